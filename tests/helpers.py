"""Helpers for pilot tests: log in as a person would, read what the terminal shows."""
from __future__ import annotations

import time

from conftest import PASSWORD


async def login(pilot, username: str = "anne", password: str = PASSWORD) -> None:
    """Type a user name and password into the login screen, as a person would."""
    await pilot.pause()
    await pilot.press(*list(username), "enter")
    await pilot.press(*list(password), "enter")
    await pilot.pause()


def screen_text(app) -> str:
    """The text the terminal shows right now (every row of the current screen)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


async def until(pilot, check, timeout: float = 10.0) -> None:
    """Wait until check() holds: a one-second timer may run late on a loaded CI machine."""
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"still not true after {timeout} s: {check}")
        await pilot.pause(0.05)
