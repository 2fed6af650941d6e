"""The overview after login: where to go (with keys) and unsaved drafts waiting."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.domain import drafts
from tui.i18n import _
from tui.screens.base import SkrankeScreen


class StartScreen(SkrankeScreen):
    section_id = "start"

    def compose_body(self) -> ComposeResult:
        with Vertical(id="start-body"):
            yield Static(Text(_("Welcome, {name}").format(name=self.user.full_name)), classes="heading")
            yield OptionList(id="sections")
            yield Static("", id="drafts", markup=False)

    def on_screen_resume(self) -> None:
        self.refresh_overview()

    def refresh_overview(self) -> None:
        options = self.query_one("#sections", OptionList)
        options.clear_options()
        for section in self.app.sections_for_user():
            label = Text(f"{section.key.upper():>4}  ")
            label.append(_(section.label))
            label.append(f"   ({section.alt_key})", style="dim")
            options.add_option(Option(label, id=section.id))
        if not options.option_count:
            options.add_option(Option(Text(_("No sections are available to your role yet.")), disabled=True))
        waiting = drafts.list_for(self.user)
        text = Text()
        if waiting:
            text.append(_("Unsaved drafts kept for you:") + "\n", style="bold")
            for d in waiting:
                text.append(f"  • {drafts.describe(d)}\n")
        self.query_one("#drafts", Static).update(text)
        options.focus()

    @on(OptionList.OptionSelected, "#sections")
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.open_section(event.option.id)
