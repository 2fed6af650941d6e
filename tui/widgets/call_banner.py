"""The ringing-call banner: on every screen, within a second of a call coming in.

The app polls `calls.ringing_now()` twice a second (one indexed query on recent
calls); when a call rings the current screen gets a one-line banner under the header
(an overlay: nothing on the screen moves), the terminal bell rings once per new call
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
    """One line: who is calling (name and age, or the number) and the key that opens it."""

    DEFAULT_CSS = """
    CallBanner {
        layer: _loading;
        dock: top;
        margin-top: 1;
        height: 1;
        width: 100%;
        background: $warning;
        color: $background;
        text-style: bold;
        padding: 0 1;
    }
    """

    def __init__(self) -> None:
        super().__init__(id="call-banner")
        self.rows: list[CallRow] = []

    def show(self, rows: list[CallRow]) -> None:
        if [(r.id, r.caller_label) for r in rows] != [(r.id, r.caller_label) for r in self.rows]:
            self.rows = list(rows)
            self.refresh()

    @property
    def call(self) -> CallRow | None:
        """The call Ctrl+R opens: the one ringing longest."""
        return self.rows[-1] if self.rows else None

    def render(self) -> Text:
        call = self.call
        if call is None:
            return Text("")
        text = Text("☎ " + _("Ringing") + ": ")
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


def _may_see_calls(app) -> bool:
    return app.user is not None and not app.locked and auth.can(app.user, "calls.view")


def poll_calls(app) -> None:
    """Called by the app twice a second: show, update or remove the banner."""
    try:
        screen = app.screen
    except (ScreenStackError, UnknownModeError):  # between two modes (log-in, log-out)
        return
    banners = list(screen.query(CallBanner))
    rows: list[CallRow] = []
    if _may_see_calls(app):
        try:
            rows = calls.ringing_now()
        except Exception:  # the database is busy: try again in half a second
            app.log.warning("polling for calls failed")
            return
    seen: set[int] = getattr(app, "_calls_seen", set())
    new = [r for r in rows if r.id not in seen]
    app._calls_seen = {r.id for r in rows}
    if new and bell_enabled(app):
        app.bell()
    if rows:
        if banners:
            banners[0].show(rows)
        else:
            banner = CallBanner()
            banner.rows = list(rows)
            screen.mount(banner)
    else:
        for banner in banners:
            banner.remove()


def bell_enabled(app) -> bool:
    return bool(app.config.phone.bell) and bool(settings.get("bell_on_call"))


def open_ringing_call(app) -> None:
    """Ctrl+R: answer the call ringing longest and open it in the Calls section."""
    if not _may_see_calls(app):
        return
    rows = calls.ringing_now()
    if not rows:
        app.notify(_("No call is ringing."), timeout=3)
        return
    call = rows[-1]
    if auth.can(app.user, "calls.handle"):
        calls.take(app.user, call.id)
    app.open_section("calls")
    app.call_after_refresh(_show_call, app, call.id)


def _show_call(app, call_id: int) -> None:
    from tui.screens.calls import CallsScreen

    for screen in reversed(app.screen_stack):
        if isinstance(screen, CallsScreen):
            screen.open_call(call_id)
            if screen is not app.screen:
                app.notify(_("The call is open in Calls, under this dialog."), timeout=4)
            return
