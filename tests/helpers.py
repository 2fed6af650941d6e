"""Helpers for pilot tests: log in as a person would, read what the terminal shows."""
from __future__ import annotations

import time

from conftest import PASSWORD


async def login(pilot, username: str = "anne", password: str = PASSWORD) -> None:
    """Type a user name and password into the login screen, as a person would."""
    await pilot.pause()
    await pilot.press(*list(username), "enter")
    await pilot.press(*list(password), "enter")
    await logged_in(pilot)


async def logged_in(pilot) -> None:
    """Wait for the answer to a password (it is hashed in a worker)."""
    from tui.screens.login import LoginForm

    await pilot.pause()
    # the keys first (the input gate may still hold the Enter that starts the check)
    await until(pilot, lambda: keys_done(pilot.app))
    await until(pilot, lambda: not any(form.checking for form in pilot.app.screen.query(LoginForm)))
    await pilot.pause()


def screen_text(app) -> str:
    """The text the terminal shows right now (every row of the current screen)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def keys_done(app) -> bool:
    """Every key the test pressed has been let through the input gate (tui.keygate): pilot.press
    returns when the keys are queued there, which on a loaded machine is before they land."""
    return not getattr(app, "_gate_keys", None) and getattr(app, "_gate_task", None) is None


async def until(pilot, check, timeout: float = 10.0) -> None:
    """Wait until check() holds: a one-second timer may run late on a loaded CI machine."""
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"still not true after {timeout} s: {check}")
        await pilot.pause(0.05)


class Beat:
    """A 50 ms timer on the app: the longest gap between its beats is how long the desk
    was deaf to keys (work done on the event loop, a render, shows as a gap that long)."""

    def __init__(self, app) -> None:
        self.last = time.monotonic()
        self.longest = 0.0
        self.timer = app.set_interval(0.05, self.beat)

    def beat(self) -> None:
        now = time.monotonic()
        self.longest = max(self.longest, now - self.last)
        self.last = now


KEY_NAMES = {"enter", "tab", "backspace", "escape", "space", "up", "down", "left", "right",
             "home", "end", "pageup", "pagedown", "delete", "insert"}


def post_keys(app, *keys: str, gap: float = 0.0) -> None:
    """Post every key to the app at once, without waiting between them (Textual issue 6605):
    what a burst over SSH, a paste or a card scanner does. Text is split into characters.
    With `gap` the keys carry the times of keys typed that many seconds apart (a person
    typing while the app was busy: they arrive together, but were not a card scan)."""
    from textual import events
    from textual._time import get_time
    from textual.keys import _character_to_key

    stamp = get_time() - 60

    names = {"enter": "\r", "tab": "\t", "backspace": "\x7f", "escape": "\x1b", "space": " "}
    for item in keys:
        named = item in KEY_NAMES or "+" in item or (item[0] == "f" and item[1:].isdigit())
        chars = [item] if named else list(item)
        for key in chars:
            if len(key) == 1:
                event = events.Key(_character_to_key(key) if not key.isalnum() else key, key)
            else:
                event = events.Key(key, names.get(key))
            if gap:
                stamp += gap
                event.time = stamp
            event.set_sender(app)
            app.post_message(event)
