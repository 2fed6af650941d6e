"""SkrankeApp: login, switching between sections, global keys, lock, idle timer."""
from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from pathlib import Path
from typing import Iterable

from rich.segment import Segment
from rich.style import NULL_STYLE
from textual import events
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.filter import Monochrome
from textual.screen import ModalScreen, Screen

from tui import i18n
from tui.config import Config
from tui.domain import audit, auth, settings
from tui.i18n import _
from tui.quiet_gc import QuietCollector
from tui.keygate import KeyGate
from tui.scanner import CardScanner
from tui.screens import SECTIONS, Section
from tui.screens.base import LIVE_SCREENS
from tui.stylesheet import LaterStylesheet
from tui.widgets.safe import ControlCharFilter

START_MODE = "start"
RELEASE_CONNECTIONS_AFTER = 60.0  # seconds without a key before a desk gives back idle connections
LOGIN_MODE = "login"
HANGUP_GRACE_SECONDS = 0.9
WATCHDOG_FIRST = 0.5  # after this the watchdog thread saves itself, and ends the process at the grace
# Where the terminal has 16 colours (TERM=xterm, TEXTUAL_COLOR_SYSTEM=standard) the terminal's
# own palette is used instead of RGB colours squeezed into 16; a cursor in a list that is not
# focused shows in reverse video (the built-in ANSI theme leaves it invisible). With NO_COLOR
# the default theme stays: Textual turns it into greys, which stay legible.
ANSI_THEME = "skranke-ansi"


class _Monochrome(Monochrome):
    """NO_COLOR's grey filter; Textual's (8.2.8) fails on a segment without a style."""

    def apply(self, segments: list[Segment], background):
        return super().apply([seg if seg.style is not None else Segment(seg.text, NULL_STYLE)
                              for seg in segments], background)


def _ansi_theme():
    from textual.theme import BUILTIN_THEMES

    base = BUILTIN_THEMES["ansi-dark"]
    return dataclasses.replace(base, name=ANSI_THEME, variables={
        **base.variables, "block-cursor-blurred-text-style": "reverse"})


def over_ssh() -> bool:
    return bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_CLIENT"))


def _section_bindings() -> list[Binding]:
    out = []
    for s in SECTIONS:
        # Not in the footer: it belongs to the screen's own keys; F1 and Ctrl+P list these.
        out.append(Binding(s.key, f"app.section('{s.id}')", s.label, key_display=s.key.upper(),
                           show=False, priority=True, id=f"section.{s.id}"))
    return out


def _login_screen():
    from tui.screens.login import LoginScreen

    return LoginScreen()


def _screen_styles() -> list[str]:
    """tui/styles/*.tcss: one file per screen module (the dialog frame is loaded first)."""
    folder = Path(__file__).parent / "styles"
    return [f"styles/{path.name}" for path in sorted(folder.glob("*.tcss"))
            if path.name != "dialogs.tcss"]


LOGIN_STYLES = ("dialogs.tcss", "login.tcss")  # parsed before the first frame; the rest after


def _later_styles(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """The screen files the login does not need, as the stylesheet names its sources."""
    return [(os.path.abspath(path), "") for path in paths
            if path.parent.name == "styles" and path.name not in LOGIN_STYLES]


COLLECT_AFTER_CLOSE_SECONDS = 0.5
HEADER_TICK_SECONDS = 15  # the headers' clock; their counts as often as shell.COUNTS_FRESH_SECONDS


class SkrankeApp(KeyGate, CardScanner, App):
    TITLE = "Skranke"
    # The login screen is the first screen itself: a blank default screen first, then a
    # switch to the login, composed and styled two screens (30 ms of every start).
    DEFAULT_MODE = LOGIN_MODE
    MODES = {LOGIN_MODE: _login_screen}
    # The shared dialog frame first, each screen module's file next, the app's own styles last
    # (a later rule wins a tie, and the app's rules used to win over the screens' DEFAULT_CSS).
    CSS_PATH = ["styles/dialogs.tcss", *_screen_styles(), "app.tcss"]
    # NO_COLOR leaves only greys: the cursor and highlight show in reverse video as well.
    CSS = """
    DataTable:nocolor > .datatable--cursor { text-style: reverse bold; }
    OptionList:nocolor > .option-list--option-highlighted { text-style: reverse bold; }
    """
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("f1", "help", "Help", key_display="F1", priority=True, id="app.help"),
        *_section_bindings(),
        Binding("f12", "section('start')", "Overview", key_display="F12", show=False,
                priority=True, id="section.start"),
        Binding("ctrl+g", "goto", "Go to", show=False, priority=True, id="app.goto"),
        Binding("ctrl+t", "new_task", "New task", show=False, priority=True, id="app.new_task"),
        Binding("ctrl+r", "open_ringing_call", "Open call", show=False, priority=True,
                id="app.open_call"),
        Binding("ctrl+l", "lock", "Lock", priority=True, id="app.lock"),
        Binding("ctrl+q", "logout", "Log out", show=False, priority=True, id="app.logout"),
        Binding("ctrl+c", "noop", "", show=False, system=True, id="app.noop"),
    ]

    def __init__(self, config: Config | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.stylesheet = LaterStylesheet(variables=self.get_css_variables(),
                                          later=_later_styles(self.css_path))
        # no control character from the data reaches the terminal (tui.widgets.safe)
        self._filters.append(ControlCharFilter())
        self.config = config or Config()
        self.user = None
        self.locked = False
        self.changing_password = False  # a forced change: nothing else is reachable until done
        self._session_ended = False
        self._last_activity = time.monotonic()
        self._collector = QuietCollector()
        self.presence: threading.Thread | None = None  # run() gives the desk's heartbeat
        # (user id, monotonic time, tasks text, inbox text): the header's last counts
        # (tui.widgets.shell.ShellHeader.refresh_counts), so a new screen need not read them
        self.shell_counts: tuple | None = None
        self.clinic_name = settings.clinic().get("name") or "Skranke"
        if self.config.keys:
            self.set_keymap(self.config.keys)
        if over_ssh():
            self.animation_level = "none"  # every animation frame is bytes on the wire
        self._filters = [_Monochrome() if type(f) is Monochrome else f for f in self._filters]

    def get_driver_class(self):
        from textual.drivers.linux_driver import LinuxDriver

        driver = super().get_driver_class()
        if driver is LinuxDriver:
            from tui.driver import SkrankeLinuxDriver

            return SkrankeLinuxDriver  # ends the session when its input ends
        return driver

    def choose_theme(self, color_system: str | None) -> None:
        """The configured theme, else the ANSI one on a 16-colour terminal (not with NO_COLOR)."""
        self.register_theme(_ansi_theme())
        wanted = self.config.theme
        if not wanted and not self.no_color and color_system in (None, "standard", "windows"):
            wanted = ANSI_THEME
        if wanted and wanted in self.available_themes:
            self.theme = wanted

    # --- styles ----------------------------------------------------------------

    _css_refreshed_at = None  # the app's CSS generation at the last full refresh

    def refresh_css(self, animate: bool = True) -> None:
        """Textual re-parses the whole stylesheet and restyles the screen on every first and
        second visit to a section (a new screen's CSS count starts at -1), ~100 ms a switch.
        The stylesheet only changes with the theme (which raises the CSS count); a screen
        mounted since is styled with the current rules, so a switch without a theme change
        skips it. A real refresh restyles every screen of every section, shown or not."""
        if self._css_refreshed_at is None and self._stylesheet_is_current():
            # the first one: the theme's classes came since the nodes were styled, but the
            # rules are those just parsed (with the theme's variables)
            self.stylesheet.update(self, animate=animate)
            self._css_refreshed_at = self._css_update_count
        if self._css_refreshed_at == self._css_update_count:
            try:
                if self.screen.is_mounted:
                    self.screen._css_update_count = self._css_update_count
            except ScreenStackError:
                pass
            return
        super().refresh_css(animate)
        for stack in self._screen_stacks.values():
            for screen in stack:
                if screen is not self.screen and screen.is_mounted:
                    self.stylesheet.update(screen, animate=False)
                    screen._css_update_count = self._css_update_count
        self._css_refreshed_at = self._css_update_count

    def _stylesheet_is_current(self) -> bool:
        """The first refresh comes from Textual's start of the login mode, a moment after the
        stylesheet was parsed: with the variables of the theme it has now, nothing needs
        parsing again (25-30 ms of every start, and the next parse of a new widget's CSS
        started from nothing: 15 ms more). A theme chosen at start (the ANSI one, a
        configured one) changes them, and the refresh is a real one."""
        return getattr(self.stylesheet, "_variables", None) == self.get_css_variables()

    # --- who is logged in ---------------------------------------------------

    @property
    def user_label(self) -> str:
        if self.user is None:
            return ""
        return f"{self.user.full_name} ({self.user.initials}, {_(auth.ROLE_NAMES[self.user.role])})"

    def sections_for_user(self) -> list[Section]:
        if self.user is None:
            return []
        return [s for s in SECTIONS if auth.can(self.user, s.permission)]

    def idle_limit_seconds(self) -> float:
        minutes = settings.stored("idle_lock_minutes") or self.config.idle_lock_minutes
        try:
            return max(0.1, float(minutes)) * 60
        except (TypeError, ValueError):
            return self.config.idle_lock_minutes * 60

    # --- lifecycle ------------------------------------------------------------

    def on_mount(self) -> None:
        self._install_signal_handlers()
        threading.Thread(target=auth.prepare, name="dummy-hash", daemon=True).start()
        if not self.is_headless:  # tests and snapshots keep the default theme
            self.choose_theme(self.console.color_system)
        self.set_interval(5, self._check_idle)
        self.set_interval(HEADER_TICK_SECONDS, self.tick_headers)
        self.set_interval(3600, audit.anchor)  # the chain's head, outside the database
        from tui.call_watcher import CallWatcher

        self._call_watcher = CallWatcher(self)
        self._call_watcher.start()
        self.show_login()
        self.call_after_refresh(self._collector.start)  # once the login screen is drawn
        self.call_after_refresh(self.complete_styles)
        if self.presence is not None:
            # its own connection and schema look-up, in a thread that shares the interpreter
            # lock: started before, it ran while the login's first frame was being drawn
            self.call_after_refresh(self.presence.start)

    _header_ticks = 0

    def tick_headers(self) -> None:
        """The clock in the headers of the screens shown; their counts once they are as old as
        a header may show them (shell.COUNTS_FRESH_SECONDS)."""
        from tui.widgets.shell import COUNTS_FRESH_SECONDS, ShellHeader

        self._header_ticks += 1
        counts = self._header_ticks % max(1, COUNTS_FRESH_SECONDS // HEADER_TICK_SECONDS) == 0
        for screen in self.screen_stack:
            for header in screen.query(ShellHeader):
                if counts:
                    header.refresh_counts()
                    counts = False  # read once; the other headers take them (reuse)
                else:
                    header.refresh_counts(reuse=True)

    def complete_styles(self) -> None:
        """The screens' CSS, kept from the start (tui.stylesheet), before any of them shows."""
        if isinstance(self.stylesheet, LaterStylesheet) and self.stylesheet.complete():
            self.stylesheet.update(self)

    def push_screen(self, *args, **kwargs):
        self.complete_styles()
        return super().push_screen(*args, **kwargs)

    def switch_screen(self, *args, **kwargs):
        self.complete_styles()
        return super().switch_screen(*args, **kwargs)

    async def _replace_screen(self, screen):
        # Every way a screen closes (pop, dismiss, switch) comes here. Its objects are collected
        # a moment after (tui.quiet_gc): at once, callbacks it had queued still held it.
        replaced = await super()._replace_screen(screen)
        if not screen.is_attached:
            self.set_timer(COLLECT_AFTER_CLOSE_SECONDS, self._collector.collect_recent)
        return replaced

    def switch_mode(self, mode: str):
        if mode != LOGIN_MODE:
            self.complete_styles()
        return super().switch_mode(mode)

    def show_login(self) -> None:
        self.switch_mode(LOGIN_MODE)

    def logged_in(self, user) -> None:
        self.user = user
        self.shell_counts = None
        self.locked = False
        self._session_ended = False
        self.touch()
        if user.must_change_password:
            from tui.screens.password import PasswordScreen

            self.changing_password = True
            self.push_screen(PasswordScreen(user), callback=self._password_changed)
        else:
            self._enter()

    def _password_changed(self, _ok) -> None:
        self.changing_password = False
        self._enter()

    @property
    def door_closed(self) -> bool:
        """Nobody in, the screen locked, or a password that must be changed first."""
        return self.user is None or self.locked or self.changing_password

    _end_lock = threading.Lock()

    def end_session(self, how: str) -> None:
        """`session_ended` once per session, whichever way (and thread) it ends."""
        with self._end_lock:
            if self.user is None or self._session_ended:
                return
            self._session_ended = True
            try:
                audit.log("session_ended", self.user, detail=how)
            except Exception:  # the database is gone: the way out must not fail
                self.log.error("session_ended not written")

    def _enter(self) -> None:
        from tui.screens.start import StartScreen

        if START_MODE not in self._modes:
            self.add_mode(START_MODE, StartScreen)
        self.switch_mode(START_MODE)
        self._import_sections()

    def _import_sections(self) -> None:
        """Import her sections' screens while she reads the overview: the first F-key press
        then only builds the screen (an import was a third of a first visit). Then the
        day's working hours are expanded (tui.domain.schedule.prepare_day)."""
        modules = [s.target.partition(":")[0] for s in self.sections_for_user()]

        def run() -> None:
            import importlib

            from tui.db import database_proxy
            from tui.domain import clock, schedule

            for name in modules:
                try:
                    importlib.import_module(name)
                except Exception:  # the F-key imports it again and reports what is wrong
                    return
            try:
                with database_proxy.connection_context():
                    schedule.prepare_day(clock.today())
            except Exception:  # only a head start: the section reads it again, and says so
                return

        threading.Thread(target=run, name="import-sections", daemon=True).start()

    def _leave(self) -> None:
        """Save all typing, close every section screen, back to the default mode."""
        self.save_all()
        self.show_login()
        for mode in list(self._modes):
            if mode != LOGIN_MODE:
                self.remove_mode(mode)
        self.user = None
        self.locked = False
        self.changing_password = False

    def switch_user(self, user) -> None:
        """Another user logs in at the lock; the first user's typing is kept as drafts."""
        audit.log("user_switched", user, detail=f"from {self.user.username if self.user else ''}")
        self.end_session("user switched")
        self._leave()
        self.logged_in(user)

    def save_all(self) -> None:
        for screen in list(LIVE_SCREENS):
            try:
                screen.save_drafts()
            except Exception:  # a failing screen must not stop the others from saving
                self.log.error(f"saving drafts of {screen!r} failed")

    # --- keys -------------------------------------------------------------------

    # At the door (nobody in, locked, a forced password change) only these app actions run;
    # the lock and password screens have their own fields and keys.
    DOOR_ACTIONS = frozenset({"noop", "logout", "focus_next", "focus_previous"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.door_closed and action not in self.DOOR_ACTIONS:
            # at the login screen (nobody in) F1 lists its keys and Ctrl+Q quits; at the
            # lock and the forced password change nothing else answers
            return action in ("quit", "help") and self.user is None
        if action == "logout" and self.locked:
            return False
        if action in ("section", "goto") and self._dialog_open():
            return False  # a dialog's own F-keys win; finish or close it first
        if action == "section" and parameters:
            section_id = str(parameters[0])
            if section_id == START_MODE:
                return True
            section = next((s for s in SECTIONS if s.id == section_id), None)
            return section is not None and auth.can(self.user, section.permission)
        return True

    def _dialog_open(self) -> bool:
        try:
            return isinstance(self.screen, ModalScreen)
        except ScreenStackError:  # not running (yet)
            return False

    def action_noop(self) -> None:
        pass

    def action_new_task(self) -> None:
        """Ctrl+T: write a task or message from any screen."""
        from tui.screens.tasks import TaskEditScreen

        if self.door_closed or isinstance(self.screen, TaskEditScreen):
            return
        if not auth.can(self.user, "task.create"):
            self.bell()
            return
        self.push_screen(TaskEditScreen())

    def action_section(self, section_id: str) -> None:
        self.open_section(section_id)

    def open_section(self, section_id: str) -> None:
        if self.door_closed:
            return
        if section_id == START_MODE:
            self._enter()
            return
        section = next((s for s in SECTIONS if s.id == section_id), None)
        if section is None or not auth.can(self.user, section.permission):
            self.bell()
            return
        if section_id not in self._modes:
            self.add_mode(section_id, section.load())
        self.switch_mode(section_id)

    def action_goto(self) -> None:
        """Ctrl+G then a digit: the F-keys for terminals that keep them for themselves."""
        from tui.screens.goto import GotoScreen

        if isinstance(self.screen, GotoScreen):
            return
        choices = [("1", _("Help"), "help")]
        choices += [(s.digit, _(s.label), s.id) for s in self.sections_for_user()]
        choices.append(("0", _("Overview"), START_MODE))

        def chosen(target: str | None) -> None:
            if target == "help":
                self.action_help()
            elif target:
                self.open_section(target)

        self.push_screen(GotoScreen(choices), callback=chosen)

    def _usable_bindings(self, screen):
        """(node, binding) for every key usable on `screen` now, ours only: each binding of
        a key (one key can do different things in different views), not only the first."""
        seen: set[tuple[str, str]] = set()
        for node, bindings in screen._modal_binding_chain:
            for _key, binding in bindings:
                if (binding.key, binding.action) in seen or binding.system or not binding.description:
                    continue
                seen.add((binding.key, binding.action))
                if binding.action == "section('start')":
                    continue  # F12 is listed once, with its Ctrl+G twin
                if node is not self and node is not screen and not type(node).__module__.startswith("tui."):
                    continue  # Textual's own widget keys (copy, Tab, PgUp in a table) are not hers
                if "super+" in binding.key or binding.action in (
                        "copy", "screen.copy_text", "app.focus_next", "app.focus_previous",
                        "focus_next", "focus_previous"):
                    continue
                if node is self and (self.user is None or self.locked) and binding.action != "help":
                    continue
                if not self._check_action_state(binding.action, node):
                    continue  # not usable here now (another view of the screen)
                yield node, binding

    def action_help(self) -> None:
        """F1: this screen's keys first, then the global ones, then the focused field's."""
        from tui.screens.help import HelpScreen, key_label

        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        own, everywhere, field = [], [], []
        digits = {f"app.section('{s.id}')": s.digit for s in SECTIONS}
        for node, binding in self._usable_bindings(screen):
            shown = key_label(binding.key_display or binding.key)
            if binding.action in digits:
                shown = f"{shown} / Ctrl+G {digits[binding.action]}"
            if node is self:
                everywhere.append((shown, _(binding.description), _("everywhere")))
            elif node is screen:
                own.append((shown, _(binding.description), _("this screen")))
            else:
                field.append((shown, _(binding.description), _("in the focused field")))
        if self.user is not None and not self.locked:
            everywhere += [
                ("Ctrl+G 1", _("Help"), _("everywhere")),
                ("F12 / Ctrl+G 0", _("Overview"), _("everywhere")),
                ("Ctrl+P", _("Find any action by name"), _("everywhere")),
            ]
        title = _("Keys") + (f": {_(screen.TITLE)}" if getattr(screen, "TITLE", None) else "")
        self.push_screen(HelpScreen(title, own + everywhere + field))

    # --- incoming calls: the banner on every screen (tui.widgets.call_banner) ---

    def on_calls_changed(self, message) -> None:
        """Posted by tui.call_watcher's thread (never a poll on this thread)."""
        from tui.widgets.call_banner import show_calls

        show_calls(self, message.rows)

    def on_unmount(self) -> None:
        watcher = getattr(self, "_call_watcher", None)
        if watcher is not None:
            watcher.stop()
        self._collector.release()

    def action_open_ringing_call(self) -> None:
        from tui.widgets.call_banner import open_ringing_call

        if self.door_closed:
            return
        open_ringing_call(self)

    def action_lock(self) -> None:
        if self.user is None or self.locked:
            return
        if CommandPalette.is_open(self):
            self.pop_screen()
        from tui.screens.lock import LockScreen

        self.save_all()
        audit.log("lock", self.user)
        self.locked = True
        self.push_screen(LockScreen(self.user))

    def unlocked(self) -> None:
        self.locked = False
        self.touch()
        self.pop_screen()

    def action_logout(self) -> None:
        if self.user is None:
            self.exit()
            return
        if self.locked:
            return
        auth.logout(self.user)
        self.end_session("logout")
        self._leave()
        self.show_login()

    # --- the health-card scanner (tui/scanner.py) ----------------------------

    def scanned(self, cpr: str) -> None:
        """A health card was scanned: in F3 her arrival today, anywhere else her record."""
        from tui.domain import booking, clock, patients
        from tui.domain.cpr import format_cpr

        if not auth.can(self.user, "patient.view"):
            self.bell()
            return
        patient = patients.find_by_cpr(cpr)
        if patient is None:
            self.bell()
            self.notify(_("No patient with CPR number {cpr}.").format(cpr=format_cpr(cpr)),
                        severity="warning", markup=False)
            return
        screen = self.screen
        if self.config.scanner_arrives and getattr(screen, "section_id", "") == "schedule":
            appt = booking.arrival_candidate(patient, clock.today())
            if appt is not None and auth.can(self.user, "appointment.status"):
                booking.set_status(self.user, appt, "arrived")
                self.notify(_("{name}: arrived for {time}").format(
                    name=patient.full_name, time=f"{appt.start:%H.%M}"), markup=False)
                screen.load_day()
                return
        from tui.screens.record import RecordScreen

        self.push_screen(RecordScreen(patient.id))

    # --- idle lock ----------------------------------------------------------

    def touch(self) -> None:
        self._last_activity = time.monotonic()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.touch()
        await super().on_event(event)

    def _check_idle(self) -> None:
        if self.user is not None and not self.locked and not self.changing_password:
            if time.monotonic() - self._last_activity >= self.idle_limit_seconds():
                self.action_lock()
        self._collector.collect_if_quiet(self._last_activity)
        self._release_connections_if_idle()

    _released_at = float("-inf")

    def _release_connections_if_idle(self) -> None:
        # A PostgreSQL server serves every desk: one nobody works at keeps only its own
        # connection, not the ones its workers left in the pool (tui.db).
        now = time.monotonic()
        if now - self._last_activity >= RELEASE_CONNECTIONS_AFTER and self._released_at < self._last_activity:
            from tui.db import release_idle_connections

            release_idle_connections()
            self._released_at = now

    # --- command palette ----------------------------------------------------

    def action_command_palette(self) -> None:
        if not self.door_closed and not CommandPalette.is_open(self):
            self.push_screen(DanishPalette(id="--command-palette"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's own entries (Theme, Keys, Maximize, Quit, Screenshot) are left out: in
        # English, and Quit would end the session past the log-out; F1 lists every key.
        if self.door_closed:
            return
        for s in self.sections_for_user():
            yield SystemCommand(f"{_(s.label)} ({s.key.upper()})", _("Open the section"),
                                lambda sid=s.id: self.open_section(sid))
        yield SystemCommand(_("Overview") + " (F12)", _("Open the overview"),
                            lambda: self.open_section(START_MODE))
        yield SystemCommand(_("Lock") + " (Ctrl+L)", _("Lock the screen"), self.action_lock)
        yield SystemCommand(_("Log out") + " (Ctrl+Q)", _("Log out"), self.action_logout)
        yield SystemCommand(_("Help") + " (F1)", _("Show every key"), self.action_help)
        for active in screen.active_bindings.values():
            binding = active.binding
            if active.node is self or not binding.description or not active.enabled:
                continue  # disabled: not for this user (the screen's check_action) or not now
            if active.node is not screen and not binding.show:
                continue  # a field's own editing keys (copy, home, shift+tab) are not actions
            shown = binding.key_display or self.get_key_display(binding)
            yield SystemCommand(f"{_(binding.description)} ({shown})", binding.tooltip or "",
                                lambda a=binding.action, n=active.node: self.call_later(
                                    n.run_action, a))

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Disabled: a screenshot would write patient data to disk."""

    def deliver_screenshot(self, *args, **kwargs) -> None:
        """Disabled: a screenshot would write patient data to disk."""

    # --- errors the user can do something about -------------------------------

    def recover(self, error: Exception) -> bool:
        """Tell the user about an error she can act on; False for a real bug."""
        from tui.domain import drafts, health

        cause = getattr(error, "error", error)  # a failed worker carries the real error
        kept = ""
        if isinstance(cause, drafts.KeptLocally):
            kept, cause = str(cause.path), cause.error
        if health.is_busy_error(cause):
            self.call_later(self._show_busy)
            return True
        if isinstance(cause, auth.PermissionDenied):
            self.notify(str(cause), severity="error", markup=False)
            return True
        kind = "key" if isinstance(cause, audit.AuditKeyError) else health.problem(cause)
        if kind is None:
            return False
        self.log.error(f"database problem ({kind}): {cause!r}")
        if kind == "file_changed":  # the drafts saved into the lost file went with it
            drafts.keep_all_locally()
        self.call_later(self._show_db_problem, kind, kept or self._keep_typing_locally())
        return True

    async def _dispatch_message(self, message) -> None:
        # Textual stops a widget's message loop on any exception; a busy database or a
        # refused permission must not end the session, so they are caught here.
        try:
            await super()._dispatch_message(message)
        except Exception as error:
            if not self.recover(error):
                raise

    def worker_failed(self, error: Exception) -> None:
        """The one handler for errors in workers (tui.workers.db_worker): a database problem
        gets its dialog, a refused permission a notice; anything else is logged and shown,
        and the session goes on."""
        if self.recover(error):
            return
        self.log.error(f"worker failed: {error!r}")
        self.notify(_("This could not be done: {error}").format(error=error),
                    severity="error", markup=False)

    def _handle_exception(self, error: Exception) -> None:
        # Timers and workers end up here: a database problem is explained, anything else is
        # a crash, reported without local variables (tui.crash).
        if self.recover(error):
            return
        from rich.text import Text

        from tui import crash

        path = crash.write_report(error)
        self._keep_typing_locally()
        self.end_session("crash")  # never raises (the database may be what failed)
        self._return_code = crash.EXIT_CODE
        if self._exception is None:  # a pilot test re-raises it
            self._exception = error
            self._exception_event.set()
        self._exit_renderables.append(Text(crash.message(path)))
        self._close_messages_no_wait()

    def _keep_typing_locally(self) -> str:
        """Every screen's typing into drafts; where those went when the database refused."""
        from tui.domain import drafts

        self.save_all()
        folder = drafts.local_dir()
        return str(folder) if folder.is_dir() and any(folder.iterdir()) else ""

    def _show_busy(self) -> None:
        from tui.screens.busy import BusyScreen

        if not isinstance(self.screen, BusyScreen):
            self.push_screen(BusyScreen())

    def _show_db_problem(self, kind: str, kept: str) -> None:
        from tui.screens.db_problem import DatabaseProblemScreen

        if not isinstance(self.screen, DatabaseProblemScreen):
            self.push_screen(DatabaseProblemScreen(kind, kept))

    def end_after_database_problem(self) -> None:
        """The database file is not the one this desk opened: nothing more can be saved."""
        self._keep_typing_locally()
        self.exit(return_code=3)

    # --- hang-up ----------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()

        def on_signal(signum, frame) -> None:
            # A plain handler runs in the main thread at the next bytecode even while the
            # event loop is held up; the watchdog starts at once, then the loop is asked
            # to save and leave.
            self._start_watchdog()
            loop.call_soon_threadsafe(self.hang_up)

        if self.is_headless or threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGHUP, signal.SIGTERM):
            try:
                signal.signal(sig, on_signal)
            except (ValueError, OSError):
                pass

    _watchdog: threading.Timer | None = None

    def _start_watchdog(self) -> None:
        """Whatever holds things up (a stuck worker, a locked database, a loaded machine),
        the process is gone within a second of being told to stop: if the event loop has
        not saved and left by then, this thread saves what it can and ends the process."""
        if self._watchdog is not None:
            return

        def last_resort() -> None:
            from tui.db import database_proxy

            def save() -> None:
                with database_proxy.connection_context():
                    self.end_session("terminal closed or process stopped")  # a quick insert first
                    self.save_all()

            saver = threading.Thread(target=save, daemon=True)
            saver.start()
            saver.join(HANGUP_GRACE_SECONDS - WATCHDOG_FIRST)
            os._exit(0)

        self._watchdog = threading.Timer(WATCHDOG_FIRST, last_resort)
        self._watchdog.daemon = True
        self._watchdog.start()

    def hang_up(self) -> None:
        """The terminal went away (or we were told to stop): save, then leave within a second."""
        from tui.domain import template_render

        self._start_watchdog()
        # a worker waiting on a template's render would hold the exit up to the template's
        # time limit, past the watchdog: its render process goes first
        template_render.abandon()
        try:
            self.end_session("terminal closed or process stopped")  # a quick insert first
            self.save_all()
        finally:
            self.exit()


class DanishPalette(CommandPalette):
    """The command palette in the interface's language."""

    def __init__(self, **kwargs) -> None:
        super().__init__(placeholder=_("Find an action…"), **kwargs)

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual's own (8.2.8) with its English "No matches found" translated.
        from rich.align import Align
        from rich.text import Text
        from textual.command import CommandList
        from textual.widgets.option_list import Option

        self._stop_no_matches_countdown()

        def _show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(Option(
                    Align.center(Text(_("Nothing found"), style="not bold")),
                    disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, _show_no_matches)


def run(config: Config) -> None:
    import sys

    from tui.domain.desks import Presence

    i18n.set_language(config.language)
    app = SkrankeApp(config)
    # skranke migrate and doctor see this desk; started once the login is drawn
    app.presence = presence = Presence(audit.terminal_name())
    try:
        app.run()
    finally:
        # quit, a crash: whatever ended the app ends the session too
        app.end_session("app ended" if not app.return_code else "app crashed")
        presence.stop()
    if app.return_code:
        sys.exit(app.return_code)
