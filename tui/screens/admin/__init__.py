"""Administration (F9): the clinic, closing days, staff, work patterns, appointment types.

Only administrators see every tab. When the clinic lets doctors edit their own work
pattern, a doctor reaches this section too and sees only her own work patterns.
Every form is a modal (tui.screens.forms.FormScreen: Ctrl+S saves, Esc cancels) that
keeps a draft while typing; the rules and the audit trail live in tui.domain.admin.
One tab per module; the styles of the screen, its tabs and the pattern editor are in
admin.tcss.
"""
from __future__ import annotations

from tui.screens.admin.patterns import PatternEditor
from tui.screens.admin.screen import AdminScreen

__all__ = ["AdminScreen", "PatternEditor"]
