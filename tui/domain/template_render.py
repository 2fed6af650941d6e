"""Letter templates are rendered in a separate process, with a time and an output limit.

Jinja's sandbox keeps a template away from Python's internals, but not from the CPU or
memory: `{% for a in range(100000) %}{% for b in range(100000) %}...` runs for hours and
`{{ 'x' * 10**9 }}` asks for a gigabyte, and neither can be stopped inside the desk's own
process. So every render goes to a child process (one per desk, started on first use and
reused): it gets TIME_LIMIT seconds, at most MAX_OUTPUT characters of text and
MEMORY_LIMIT bytes of memory. A child that runs over is killed, and the next render
starts a new one. The desk waits at most TIME_LIMIT (plus a start) and never hangs.

Protocol: one JSON line in ({"source", "context", "language", "max_output"}), one JSON
line out ({"text", "error"}). The child ends when its parent is gone.
"""
from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
from typing import IO, Any

from tui.i18n import _

TIME_LIMIT = 2.0  # seconds for one render
START_LIMIT = 20.0  # seconds for a new child to import what it needs (a loaded machine)
MAX_OUTPUT = 200_000  # characters of rendered text (a long letter is 20,000)
MEMORY_LIMIT = 512 * 2**20  # address space of the child


class _Child:
    """One render process and the pipe to it."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui.domain.template_render"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            close_fds=True)
        if self.proc.stdin is None or self.proc.stdout is None:  # never: both are PIPE
            raise RuntimeError("the render process has no pipes")
        self.stdin: IO[bytes] = self.proc.stdin
        self.stdout: IO[bytes] = self.proc.stdout
        self.buffer = b""
        self.started = False

    def ask(self, request: dict[str, Any], limit: float) -> dict[str, Any] | None:
        """The child's answer, or None when it ran over the time (the caller kills it)."""
        if not self.started:  # its imports are not the template's time
            if self._answer(START_LIMIT) is None:
                raise ChildGone
            self.started = True
        line = (json.dumps(request, default=str, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.stdin.write(line)
            self.stdin.flush()
        except OSError:
            raise ChildGone from None
        return self._answer(limit)

    def _answer(self, limit: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + limit
        out = self.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _w, _x = select.select([out], [], [], left)
            if not ready:
                continue
            chunk = os.read(out, 65536)
            if not chunk:
                raise ChildGone
            self.buffer += chunk
            if len(self.buffer) > MAX_OUTPUT * 6 + 4096:  # UTF-8 and JSON escapes included
                return {"text": "", "error": "overflow"}
        answer, _sep, self.buffer = self.buffer.partition(b"\n")
        reply: dict[str, Any] = json.loads(answer)
        return reply

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            pass
        for pipe in (self.stdin, self.stdout):
            try:
                pipe.close()
            except OSError:
                pass


class ChildGone(Exception):
    pass


_lock = threading.Lock()
_child: _Child | None = None
_closing = False  # the desk is shutting down: no new render process


def _at_exit() -> None:
    if _child is not None:
        _child.kill()


atexit.register(_at_exit)


def render(source: str, context: dict[str, Any], *, time_limit: float | None = None,
           max_output: int | None = None) -> tuple[str, str]:
    """(text, "") or ("", why it failed). Never raises, never takes much longer than the
    time limit: a template that runs over is stopped and reported."""
    global _child
    from tui import i18n

    limit = TIME_LIMIT if time_limit is None else time_limit
    most = MAX_OUTPUT if max_output is None else max_output
    request = {"source": source, "context": context, "language": i18n.language(), "max_output": most}
    with _lock:
        for _attempt in range(2):  # a child that died (killed from outside) is replaced once
            if _closing:
                break
            if _child is None or _child.proc.poll() is not None:
                if _child is not None:
                    _child.kill()  # its pipes
                _child = _Child()
            try:
                answer = _child.ask(request, limit)
            except ChildGone:
                _child.kill()
                _child = None
                continue
            if answer is None:
                _child.kill()
                _child = None
                return "", _("The template took longer than {s} seconds and was stopped.").format(
                    s=f"{limit:g}")
            if answer.get("error") == "overflow":  # more than it may say: not trusted further
                _child.kill()
                _child = None
            if answer.get("error") in ("too long", "overflow"):
                return "", _too_long(most)
            return str(answer.get("text", "")), str(answer.get("error", ""))
    return "", _("The template could not be rendered (the render process failed).")


def _too_long(limit: int) -> str:
    return _("The template gives more than {n} characters of text.").format(n=f"{limit:,}".replace(",", "."))


def ran_over(error: str) -> bool:
    """Was this render stopped for its time, size or memory (not a mistake in the template)?"""
    return any(error.startswith(prefix) for prefix in (
        _("The template took longer than {s} seconds and was stopped.").split("{")[0],
        _too_long(0).split("0")[0], _("The template needs too much memory.")))


def abandon() -> None:
    """The desk is leaving (a hang-up, a signal): kill the render process now, without
    waiting for the render that may hold it, so the thread waiting on its answer is free at
    once and the desk can exit; no render starts after this."""
    global _closing
    _closing = True
    child = _child
    if child is not None:
        try:
            child.proc.kill()
        except OSError:
            pass


def stop() -> None:
    """End the render process (at exit; a new one starts on the next render)."""
    global _child
    with _lock:
        if _child is not None:
            _child.kill()
            _child = None


# --- the child ----------------------------------------------------------------------------


def _die_with_parent() -> None:
    """End when the desk's process is gone, however it went (even os._exit or SIGKILL).
    (PR_SET_PDEATHSIG would fire when the worker thread that started us ends.)"""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.25)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass


def _child_main() -> None:
    _die_with_parent()
    from tui import i18n
    from tui.domain.letters import templating

    _limit_memory()
    sys.stdout.write('{"ready": true}\n')
    sys.stdout.flush()
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
            i18n.set_language(request.get("language"))
            rendered = templating.render_here(request["source"], request["context"],
                                           max_output=int(request["max_output"]))
            answer = {"text": rendered.text, "error": rendered.error}
            if rendered.error == templating.TOO_LONG:
                answer = {"text": "", "error": "too long"}
        except MemoryError:
            answer = {"text": "", "error": _("The template needs too much memory.")}
        except Exception as exc:  # noqa: BLE001  (one bad request must not end the child)
            answer = {"text": "", "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _child_main()
