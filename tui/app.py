"""SkrankeApp: login, switching between sections, global keys, lock, idle timer."""
from __future__ import annotations

import os
import signal
import threading
import time
from typing import Iterable

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tui import i18n
from tui.config import Config
from tui.domain import audit, auth, settings
from tui.i18n import _
from tui.screens import SECTIONS, Section
from tui.screens.base import LIVE_SCREENS

START_MODE = "start"
HANGUP_GRACE_SECONDS = 0.8


def _section_bindings() -> list[Binding]:
    out = []
    for s in SECTIONS:
        out.append(Binding(s.key, f"app.section('{s.id}')", s.label,
                           key_display=s.key.upper(), priority=True, id=f"section.{s.id}"))
    return out


class SkrankeApp(App):
    TITLE = "Skranke"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("f1", "help", "Help", key_display="F1", priority=True, id="app.help"),
        *_section_bindings(),
        Binding("f12", "section('start')", "Overview", key_display="F12", show=False,
                priority=True, id="section.start"),
        Binding("ctrl+g", "goto", "Go to", show=False, priority=True, id="app.goto"),
        Binding("ctrl+l", "lock", "Lock", priority=True, id="app.lock"),
        Binding("ctrl+q", "logout", "Log out", priority=True, id="app.logout"),
        Binding("ctrl+c", "noop", "", show=False, system=True),
    ]

    def __init__(self, config: Config | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.config = config or Config()
        self.user = None
        self.locked = False
        self._last_activity = time.monotonic()
        self.clinic_name = settings.clinic().get("name") or "Skranke"
        if self.config.keys:
            self.set_keymap(self.config.keys)

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
        minutes = settings.get("idle_lock_minutes", self.config.idle_lock_minutes)
        try:
            return max(0.1, float(minutes)) * 60
        except (TypeError, ValueError):
            return self.config.idle_lock_minutes * 60

    # --- lifecycle ------------------------------------------------------------

    def on_mount(self) -> None:
        self._install_signal_handlers()
        self.set_interval(5, self._check_idle)
        self.show_login()

    def show_login(self) -> None:
        from tui.screens.login import LoginScreen

        self.push_screen(LoginScreen())

    def logged_in(self, user) -> None:
        self.user = user
        self.locked = False
        self.touch()
        if user.must_change_password:
            from tui.screens.password import PasswordScreen

            self.push_screen(PasswordScreen(user), callback=lambda _ok: self._enter())
        else:
            self._enter()

    def _enter(self) -> None:
        from tui.screens.start import StartScreen

        if START_MODE not in self._modes:
            self.add_mode(START_MODE, StartScreen)
        self.switch_mode(START_MODE)

    def _leave(self) -> None:
        """Save all typing, close every section screen, back to the default mode."""
        self.save_all()
        self.switch_mode("_default")
        for mode in list(self._modes):
            self.remove_mode(mode)
        self.user = None
        self.locked = False

    def switch_user(self, user) -> None:
        """Another user logs in at the lock; the first user's typing is kept as drafts."""
        audit.log("user_switched", user, detail=f"from {self.user.username if self.user else ''}")
        self._leave()
        self.logged_in(user)

    def save_all(self) -> None:
        for screen in list(LIVE_SCREENS):
            try:
                screen.save_drafts()
            except Exception:  # a failing screen must not stop the others from saving
                self.log.error(f"saving drafts of {screen!r} failed")

    # --- keys -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("help", "lock", "section", "goto") and (self.user is None or self.locked):
            return False
        if action == "logout" and self.locked:
            return False
        if action == "section" and parameters:
            section_id = str(parameters[0])
            if section_id == START_MODE:
                return True
            section = next((s for s in SECTIONS if s.id == section_id), None)
            return section is not None and auth.can(self.user, section.permission)
        return True

    def action_noop(self) -> None:
        pass

    def action_section(self, section_id: str) -> None:
        self.open_section(section_id)

    def open_section(self, section_id: str) -> None:
        if self.user is None or self.locked:
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

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        screen = self.screen
        rows = []
        for key, active in screen.active_bindings.items():
            binding = active.binding
            where = _("everywhere") if active.node is self else _("this screen")
            shown = binding.key_display or self.get_key_display(binding)
            rows.append((shown, _(binding.description) or binding.tooltip, where))
        for s in self.sections_for_user():
            rows.append((f"{s.key.upper()} / {s.alt_key}", _(s.label), _("everywhere")))
        rows.append(("Ctrl+G 1", _("Help"), _("everywhere")))
        rows.append(("Ctrl+G 0", _("Overview"), _("everywhere")))
        rows.append(("Ctrl+P", _("Find any action by name"), _("everywhere")))
        title = _("Keys") + (f": {_(screen.TITLE)}" if getattr(screen, "TITLE", None) else "")
        self.push_screen(HelpScreen(title, rows))

    def action_lock(self) -> None:
        if self.user is None or self.locked:
            return
        from tui.screens.lock import LockScreen

        self.save_all()
        self.locked = True
        audit.log("lock", self.user)
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
        self._leave()
        self.show_login()

    # --- idle lock ----------------------------------------------------------

    def touch(self) -> None:
        self._last_activity = time.monotonic()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.touch()
        await super().on_event(event)

    def _check_idle(self) -> None:
        if self.user is not None and not self.locked:
            if time.monotonic() - self._last_activity >= self.idle_limit_seconds():
                self.action_lock()

    # --- command palette ----------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":  # would write patient data to disk
                yield command
        if self.user is None or self.locked:
            return
        for s in self.sections_for_user():
            yield SystemCommand(f"{_(s.label)} ({s.key.upper()})", _("Open the section"),
                                lambda sid=s.id: self.open_section(sid))
        yield SystemCommand(_("Overview") + " (F12)", _("Open the overview"),
                            lambda: self.open_section(START_MODE))
        yield SystemCommand(_("Lock") + " (Ctrl+L)", _("Lock the screen"), self.action_lock)
        yield SystemCommand(_("Log out") + " (Ctrl+Q)", _("Log out"), self.action_logout)
        yield SystemCommand(_("Help") + " (F1)", _("Show every key"), self.action_help)
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if active.node is self or not binding.description:
                continue
            shown = binding.key_display or self.get_key_display(binding)
            yield SystemCommand(f"{_(binding.description)} ({shown})", binding.tooltip or "",
                                lambda a=binding.action, n=active.node: self.call_later(
                                    n.run_action, a))

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Disabled: a screenshot would write patient data to disk."""

    def deliver_screenshot(self, *args, **kwargs) -> None:
        """Disabled: a screenshot would write patient data to disk."""

    # --- hang-up ----------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.hang_up)
            except (NotImplementedError, RuntimeError, ValueError):
                pass

    def hang_up(self) -> None:
        """The terminal went away (or we were told to stop): save, then leave within a second."""
        try:
            self.save_all()
        finally:
            watchdog = threading.Timer(HANGUP_GRACE_SECONDS, os._exit, args=(0,))
            watchdog.daemon = True
            watchdog.start()
            self.exit()


def run(config: Config) -> None:
    i18n.set_language(config.language)
    app = SkrankeApp(config)
    app.run()
