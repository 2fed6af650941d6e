"""The template sandbox: Jinja2 that cannot reach Python's internals, its errors in the
user's language, and rendering (in the render process, tui.domain.template_render)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tui.i18n import N_, _


def date_filter(value: Any, fmt: str = "%d.%m.%Y") -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime(fmt)
    return "" if value is None else str(value)


class _Undefined(jinja2.ChainableUndefined):
    """A missing merge field renders as nothing (and `a.b.c` of it too); but what the
    sandbox refused (Python internals, changing data) is an error, never silence."""

    __slots__ = ()

    def _refused(self) -> bool:
        return issubclass(self._undefined_exception, jinja2.exceptions.SecurityError)

    def __str__(self) -> str:
        if self._refused():
            self._fail_with_undefined_error()
        return ""

    def __getattr__(self, name: str) -> _Undefined:
        if name[:2] == "__" or self._refused():
            return self._fail_with_undefined_error()
        return self

    # the same override as jinja2's own ChainableUndefined (which ignores it the same way)
    def __getitem__(self, _name: str) -> _Undefined:  # type: ignore[override]
        if self._refused():
            self._fail_with_undefined_error()
        return self

    def __iter__(self) -> Iterator[Any]:
        if self._refused():
            self._fail_with_undefined_error()
        return iter(())


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
        undefined=_Undefined,
    )
    env.filters["dato"] = date_filter
    return env


@dataclass
class Rendered:
    text: str = ""
    error: str = ""  # empty when it rendered

    @property
    def ok(self) -> bool:
        return not self.error


# Jinja's own words for what it expected, as the template's author types them.
_JINJA_TOKENS = {"end of print statement": "}}", "end of statement block": "%}",
                 "end of template": N_("the end"), "name": N_("a name"), "integer": N_("a number")}


def _token(word: str) -> str:
    shown = _JINJA_TOKENS.get(word, word)
    return _(shown) if shown in (N_("the end"), N_("a name"), N_("a number")) else shown


def _syntax_message(exc: jinja2.TemplateSyntaxError) -> str:
    """Jinja's message (English, and written for programmers) in the user's language."""
    message = exc.message or ""
    m = re.search(r"looking for the following tags: (.*?)\. The innermost block that needs to be "
                  r"closed is '(\w+)'", message)
    if m:
        return _("{block} is never closed: {{% end{block} %}} is missing").format(block=m.group(2))
    m = re.fullmatch(r"Encountered unknown tag '(\w+)'\.?.*", message, re.S)
    if m:
        return _("Unknown or misplaced tag: {{% {tag} %}}").format(tag=m.group(1))
    m = re.fullmatch(r"(?:expected token|Expected an expression,?) ?'?(.*?)'?,? got '(.*)'", message)
    if m:
        if m.group(1):
            return _("Expected «{want}» but found «{got}»").format(want=_token(m.group(1)),
                                                                 got=_token(m.group(2)))
        return _("A value is missing before «{got}»").format(got=_token(m.group(2)))
    m = re.fullmatch(r"[Uu]nexpected '(.*)'", message)
    if m:
        return _("«{token}» does not belong here").format(token=_token(m.group(1)))
    m = re.fullmatch(r"No filter named '(.*)'\.?", message)
    if m:
        return _("Unknown filter: {name}").format(name=m.group(1))
    if "end of template" in message:
        return _("The template ends too early: a tag or a {{ }} is not closed")
    return _("The template cannot be read here")


def _runtime_message(exc: Exception) -> str:
    message = str(exc)
    m = re.fullmatch(r"'(.*)' is undefined", message)
    if isinstance(exc, jinja2.UndefinedError) and m:
        return _("Unknown field: {name}").format(name=m.group(1))
    if isinstance(exc, ZeroDivisionError):
        return _("Division by zero")
    if isinstance(exc, (TypeError, ValueError)):
        return _("A field cannot be used this way")
    return _("The template failed while being filled in")


def check_template(source: str) -> str:
    """An error message for a template that does not compile, or ""."""
    try:
        environment().parse(source)
    except jinja2.TemplateSyntaxError as exc:
        return _("Line {line}: {message}").format(line=exc.lineno, message=_syntax_message(exc))
    return ""


@lru_cache(maxsize=64)
def _compiled(source: str) -> jinja2.Template:
    return environment().from_string(source)


def render_template(source: str, context: dict[str, Any]) -> Rendered:
    """Render a template in the sandbox, in a separate process with a time and an output
    limit (tui.domain.template_render). Never raises: a failure comes back as .error."""
    from tui.domain import template_render

    text, error = template_render.render(source, context)
    return Rendered("", error) if error else Rendered(text)


TOO_LONG = "too long"


def render_here(source: str, context: dict[str, Any], max_output: int) -> Rendered:
    """Render in this process (the render process's side of render_template)."""
    try:
        pieces, size = [], 0
        for piece in _compiled(source).generate(**context):
            size += len(piece)
            if size > max_output:
                return Rendered("", TOO_LONG)
            pieces.append(piece)
        text = "".join(pieces)
    except jinja2.TemplateSyntaxError as exc:
        return Rendered("", _("Line {line}: {message}").format(line=exc.lineno, message=_syntax_message(exc)))
    except jinja2.exceptions.SecurityError as exc:
        unsafe = re.search(r"attribute '(.+?)'", str(exc))
        return Rendered("", _("Not allowed in a template: {message}").format(
            message=unsafe.group(1) if unsafe else "?"))
    except MemoryError:
        return Rendered("", _("The template needs too much memory."))
    except Exception as exc:  # any other template failure is shown, never raised
        return Rendered("", _runtime_message(exc))
    return Rendered(text.strip("\n") + "\n")
