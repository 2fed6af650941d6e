"""The ringing-call banner: on every screen, within a second of a call coming in.

The app polls `calls.active_calls()` twice a second (one indexed query on recent
calls); when a call rings the current screen gets a one-line banner under the header
(an overlay on the header line: nothing on the screen moves or is hidden), the terminal bell rings once per new call
when enabled, and Ctrl+R opens the call in the Calls section (F2).

Only a logged-in, unlocked user who may see calls gets the banner.
"""
from __future__ import annotations

from rich.text import Text
from textual.app import ScreenStackError, UnknownModeError
from textual.widget import Widget

from tui.domain import auth, calls, settings
from tui.domain.calls import CallRow
from tui.i18n import _


class CallBanner(Widget):
    """One line: who is calling (name and age, or the number) and the key that opens it.

    A call for this desk is loud (and rings the bell); a call ringing at another desk
    is a quiet marker; a call she is in (answered on the phone) reads "In a call with".
    """

    DEFAULT_CSS = """
    CallBanner {
        /* Over the shell header (clinic, user, clock), never over the screen's own first
           line: the schedule's date line must stay readable while it rings. */
        layer: _loading;
        dock: top;
        margin-top: 0;
        height: 1;
        width: 100%;
        background: $warning;
        color: $background;
        text-style: bold;
        padding: 0 1;
    }
    CallBanner.-quiet {
        background: $panel;
        color: $text-muted;
        text-style: none;
    }
    """

    def __init__(self) -> None:
        super().__init__(id="call-banner")
        self.rows: list[CallRow] = []
        self.others: list[CallRow] = []

    def show(self, rows: list[CallRow], others: list[CallRow] | None = None) -> None:
        others = list(others or [])
        new = [(r.id, r.caller_label, r.status) for r in rows + others]
        if new != [(r.id, r.caller_label, r.status) for r in self.rows + self.others]:
            self.rows = list(rows)
            self.others = others
            # Loud only while a call for this desk rings; a call in progress is quiet.
            self.set_class(not any(r.status == "ringing" for r in rows), "-quiet")
            self.refresh()

    @property
    def call(self) -> CallRow | None:
        """The call Ctrl+R opens: the one ringing longest, else the one she is in."""
        return pick_call(self.rows, self.others)

    def render(self) -> Text:
        if not self.rows:
            ringing = [r for r in self.others if r.status == "ringing"]
            if not ringing:
                return Text("")
            text = Text("☎ " + _("{n} ringing at another desk").format(n=len(ringing)))
            text.append("   Ctrl+R: " + _("take it"))
            text.truncate(max(1, self.size.width - 2), overflow="ellipsis")
            return text
        call = self.call
        if call is None:
            return Text("")
        talking = call.status == "answered"
        text = Text("☎ " + (_("In a call with") if talking else _("Ringing")) + ": ")
        text.append(call.caller_label)  # patient data: Text, never markup
        if call.number_display and call.caller_label != call.number_display:
            text.append(f" · {call.number_display}")
        if len(self.rows) > 1:
            text.append("  " + _("(+{n} more)").format(n=len(self.rows) - 1))
        text.append("   Ctrl+R: " + _("open call"))
        text.truncate(max(1, self.size.width - 2), overflow="ellipsis")
        return text

    def on_click(self) -> None:
        self.app.run_action("open_ringing_call")


def pick_call(mine: list[CallRow], others: list[CallRow]) -> CallRow | None:
    """Her call: the one ringing longest, else the one she is in; else a call ringing at
    another desk (she may take it over)."""
    for rows in (mine, [r for r in others if r.status == "ringing"]):
        ringing = [r for r in rows if r.status == "ringing"]
        if ringing:
            return ringing[-1]
        if rows is mine and mine:
            return mine[0]
    return None


def _may_see_calls(app) -> bool:
    return app.user is not None and not app.locked and auth.can(app.user, "calls.view")


def split_calls(app, rows: list[CallRow]) -> tuple[list[CallRow], list[CallRow]]:
    """(calls for this desk, calls for other desks), by the phone's extension."""
    phone = app.config.phone
    me = {app.user.username.lower(), phone.desk.lower()} - {""}
    mine = [r for r in rows if calls.is_for_me(r, phone.extensions, me)]
    return mine, [r for r in rows if r not in mine]


def show_calls(app, rows: list[CallRow]) -> None:
    """Show, update or remove the banner for the active calls (from tui.call_watcher)."""
    try:
        screen = app.screen
    except (ScreenStackError, UnknownModeError):  # between two modes (log-in, log-out)
        return
    banners = list(screen.query(CallBanner))
    mine: list[CallRow] = []
    others: list[CallRow] = []
    if _may_see_calls(app):
        mine, others = split_calls(app, rows)
        shown_here = getattr(screen, "open_call_id", None)
        mine = [r for r in mine if r.id != shown_here or r.status == "ringing"]
    ringing = [r for r in mine if r.status == "ringing"]
    seen: set[int] = getattr(app, "_calls_seen", set())
    new = [r for r in ringing if r.id not in seen]
    app._calls_seen = {r.id for r in ringing}
    if new and bell_enabled(app):
        app.bell()
    shown = mine or [r for r in others if r.status == "ringing"]
    if shown:
        if banners:
            banners[0].show(mine, others)
        else:
            banner = CallBanner()
            banner.show(mine, others)
            screen.mount(banner)
    else:
        for banner in banners:
            banner.remove()


def bell_enabled(app) -> bool:
    return bool(app.config.phone.bell) and bool(settings.get("bell_on_call"))


def open_ringing_call(app) -> None:
    """Ctrl+R: answer the call ringing longest (or open the one she is in) in Calls."""
    if not _may_see_calls(app):
        return
    call = pick_call(*split_calls(app, calls.active_calls()))
    if call is None:
        app.notify(_("No call is ringing."), timeout=3)
        return
    app.open_section("calls")  # its open_call takes the call: hers, answered
    app.call_after_refresh(_show_call, app, call.id)


def _show_call(app, call_id: int) -> None:
    from tui.screens.calls import CallsScreen

    for screen in reversed(app.screen_stack):
        if isinstance(screen, CallsScreen):
            screen.open_call(call_id)
            if screen is not app.screen:
                app.notify(_("The call is open in Calls, under this dialog."), timeout=4)
            return
