"""Babel extraction for Skranke: the Python extractor, plus key binding descriptions.

`Binding("n", "new_entry", "New entry")` is written in plain English in `BINDINGS`;
the footer, F1 help and the command palette translate the description when they show
it, so the third argument of every `Binding(...)` call belongs in the catalog as well.
babel.cfg names `extract` as the extraction method for tui/**.py.
"""
from __future__ import annotations

from babel.messages.extract import extract_python


def extract(fileobj, keywords, comment_tags, options):
    keywords = list(keywords)
    # Report a binding's description under a plain one-argument keyword of the caller.
    marker = "N_" if "N_" in keywords else "_"
    for lineno, funcname, messages, comments in extract_python(
        fileobj, [*keywords, "Binding"], comment_tags, options
    ):
        if funcname != "Binding":
            yield lineno, funcname, messages, comments
        elif isinstance(messages, tuple) and len(messages) >= 3 and messages[2]:
            yield lineno, marker, messages[2], comments
