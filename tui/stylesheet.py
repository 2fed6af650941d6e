"""The app's stylesheet, parsed in two steps: the login's files before the first frame, every
other screen's once it is drawn.

Why: parsing the CSS of all 28 screen files was 25-30 ms of every start, before the login
could be drawn, and the login needs two of them. Textual loads a screen's own CSS_PATH at
its first visit by parsing everything again (Stylesheet.reparse, 20-30 ms a first visit),
so the files stay in the app's CSS_PATH, in their order (a later rule wins a tie), and only
their parsing waits: until `complete()`, which the app calls after the login's first frame,
or before any other screen is shown, whichever comes first.
"""
from __future__ import annotations

from collections.abc import Iterable

from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.css.types import CSSLocation


class LaterStylesheet(Stylesheet):
    def __init__(self, *, variables: dict[str, str] | None = None,
                 later: Iterable[CSSLocation] = ()) -> None:
        super().__init__(variables=variables)
        self._later = set(later)

    @property
    def is_complete(self) -> bool:
        return not self._later

    def complete(self) -> bool:
        """Parse the files kept for later (now, not at the next use); True if there were any."""
        if not self._later:
            return False
        self._later.clear()
        self.parse()
        return True

    def _parse_rules(self, css: str, read_from: CSSLocation, *args, **kwargs) -> list[RuleSet]:
        if read_from in self._later:
            return []  # and nothing cached: complete() parses it
        return super()._parse_rules(css, read_from, *args, **kwargs)

    def reparse(self) -> None:
        # a theme's new variables: everything is parsed anyway
        self._later.clear()
        super().reparse()
