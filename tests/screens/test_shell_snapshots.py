"""SVG snapshots of the login screen and the shell, at 80x24 and 120x40."""
from __future__ import annotations

import pytest
from helpers import login

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES)
def test_login_screen(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_shell_after_login(snap_compare, make_app, size):
    async def run_before(pilot):
        await login(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_lock_screen(snap_compare, make_app, size):
    async def run_before(pilot):
        await login(pilot)
        await pilot.press("ctrl+l")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)
