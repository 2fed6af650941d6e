"""The real app in the terminals a clinic has: 16 colours, 256, truecolor, NO_COLOR; 80x24,
keys only (Ctrl+G + digit instead of the F-keys), and the theme chosen for the terminal."""
from __future__ import annotations

import os
import re
from collections import Counter
import subprocess
import sys

import pytest
from tmux_session import Tmux, need_tmux, skranke_command

from tui.app import ANSI_THEME

DEMO_PASSWORD = "demo1234"

VARIANTS = {
    "xterm-16": {"TERM": "xterm"},
    "xterm-256color": {"TERM": "xterm-256color"},
    "truecolor": {"TERM": "xterm-256color", "COLORTERM": "truecolor"},
    "textual-standard": {"TERM": "xterm-256color", "TEXTUAL_COLOR_SYSTEM": "standard"},
    "no-color": {"TERM": "xterm-256color", "NO_COLOR": "1"},
}

SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colours(screen: str) -> list[tuple[str, ...]]:
    """Every extended colour the pane holds: ('5', n) for 256 colours, ('2', r, g, b) for RGB."""
    found = []
    for params in SGR.findall(screen):
        parts = params.split(";")
        i = 0
        while i < len(parts):
            if parts[i] in ("38", "48") and i + 1 < len(parts):
                if parts[i + 1] == "5":
                    found.append(("5", parts[i + 2]))
                    i += 3
                    continue
                if parts[i + 1] == "2":
                    found.append(("2", *parts[i + 2:i + 5]))
                    i += 5
                    continue
            i += 1
    return found


def basic_colours(screen: str) -> set[int]:
    """The 16-colour SGR codes used (30-37, 40-47, 90-97, 100-107)."""
    out = set()
    for params in SGR.findall(screen):
        for p in params.split(";"):
            if p.isdigit() and (30 <= int(p) <= 37 or 40 <= int(p) <= 47 or 90 <= int(p) <= 107):
                out.add(int(p))
    return out


def row_look(row: str) -> tuple[str, ...]:
    """The SGR settings in force where a table row's text begins."""
    first_letter = re.search(r"[A-Za-zÆØÅæøå]", SGR.sub(lambda m: "\0" * len(m.group()), row))
    return tuple(SGR.findall(row[:first_letter.start()])) if first_letter else ()


def pen_at(screen: str, text: str) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The foreground and background colours in force where `text` begins on its line
    (None: the terminal's default)."""
    line = next(row for row in screen.splitlines() if text in SGR.sub("", row))
    plain_at = SGR.sub("", line).index(text)
    fg: tuple[str, ...] | None = None
    bg: tuple[str, ...] | None = None
    shown = 0
    for part in re.split(r"(\x1b\[[0-9;]*m)", line):
        match = SGR.fullmatch(part)
        if not match:
            shown += len(part)
            if shown > plain_at:
                break
            continue
        codes = match.group(1).split(";")
        i = 0
        while i < len(codes):
            code = codes[i]
            if code in ("", "0"):
                fg = bg = None
            elif code in ("38", "48"):
                size = 3 if codes[i + 1] == "5" else 5
                colour = tuple(codes[i + 1:i + size])
                fg, bg = (colour, bg) if code == "38" else (fg, colour)
                i += size - 1
            elif code.isdigit() and (30 <= int(code) <= 37 or 90 <= int(code) <= 97):
                fg = (code,)
            elif code.isdigit() and (40 <= int(code) <= 47 or 100 <= int(code) <= 107):
                bg = (code,)
            elif code == "39":
                fg = None
            elif code == "49":
                bg = None
            i += 1
    return fg, bg


def is_grey(colour: tuple[str, ...]) -> bool:
    if colour[0] == "2":
        return len(set(colour[1:])) == 1
    n = int(colour[1])
    if n >= 232 or n in (0, 7, 8, 15):
        return True
    if 16 <= n <= 231:
        n -= 16
        return n // 36 == (n // 6) % 6 == n % 6
    return False


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("terminals") / "clinic.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env.update(SKRANKE_DB=f"sqlite:///{path}", SKRANKE_CONFIG=os.devnull)
    subprocess.run([sys.executable, "-m", "tui", "demo", "--no-open", "--patients", "300"],
                   env=env, check=True, capture_output=True, timeout=120)
    return path


@pytest.fixture
def tmux():
    need_tmux()
    t = Tmux("h10-term")
    yield t
    t.kill()


@pytest.mark.slow
@pytest.mark.sqlite_only
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_usable_at_80x24_with_keys_only(variant, demo_db, tmux):
    env = {"SKRANKE_DB": f"sqlite:///{demo_db}", "SKRANKE_CONFIG": os.devnull,
           "SKRANKE_LANG": "en", **VARIANTS[variant]}
    name = f"h10-term-{variant}"
    tmux.new(name, skranke_command(env))
    tmux.wait_for(name, "Log in to Skranke", "User name", "Password", timeout=30)
    # legible from the first frame: the start restyles without parsing everything again
    # (tui/app.py refresh_css), and once drew the title in its own background colour
    login = tmux.capture(name, escapes=True)
    # (the screen's colour: the background set most often; tmux leaves out what it repeats)
    backgrounds = Counter(tuple(m.group(1).split(";")) for m in re.finditer(r"\x1b\[48;([0-9;]*)m", login))
    screen_colour = [colour for colour, _n in backgrounds.most_common(1)]
    for text in ("Log in to Skranke", "User name"):
        fg, bg = pen_at(login, text)
        assert fg is None or fg not in (bg, *screen_colour), (text, fg, bg, backgrounds)
    tmux.type(name, "anne")
    tmux.send(name, "Enter")
    tmux.type(name, DEMO_PASSWORD)
    tmux.send(name, "Enter")
    tmux.wait_for(name, "Welcome")

    # F3: the day's header, the people's columns, the keys in the footer.
    tmux.send(name, "F3")
    tmux.wait_re(name, r"week \d+")
    # The grid opens at the current time of day (the real clock here), so any time row will do.
    tmux.wait_for(name, "Prev day")
    tmux.wait_re(name, r"\b\d\d\.\d\d\b")
    assert "Traceback" not in tmux.capture(name)

    # Ctrl+G 4 instead of F4: the search field, then results that follow the typing.
    tmux.send(name, "C-g")
    tmux.wait_for(name, "Go to (press a digit")
    tmux.send(name, "4")
    tmux.wait_for(name, "Find patient", "Name, CPR, birth date or phone")
    tmux.type(name, "Hansen")
    found = tmux.wait_re(name, r"(\d+) found")
    assert int(found.group(1)) >= 1
    tmux.send(name, "Down")
    screen = tmux.capture(name, escapes=True)
    lines = screen.splitlines()
    assert len(lines) <= 24 and all(len(SGR.sub("", line)) <= 80 for line in lines)

    # The cursor row must stand out from the others without colour: reverse video or
    # a background of its own.
    # (the demo clinic is drawn for the day it is built: 3 Hansens on one day, 6 on another)
    result_rows = [line for line in lines if "-xxxx" in line]
    assert len(result_rows) >= min(3, int(found.group(1))), SGR.sub("", screen)
    looks = Counter(row_look(row) for row in result_rows)  # zebra stripes give two looks
    assert 1 in looks.values(), f"no row stands out as the highlighted one: {looks}"

    # The colours fit the terminal.
    used = colours(screen)
    if variant in ("xterm-16", "textual-standard"):
        assert used == [], f"more than 16 colours on a 16-colour terminal: {used[:5]}"
        assert basic_colours(screen), "no colour at all"
    elif variant == "xterm-256color":
        assert used and all(c[0] == "5" for c in used)
    elif variant == "truecolor":
        assert any(c[0] == "2" for c in used)
    elif variant == "no-color":
        assert all(is_grey(c) for c in used), f"colour with NO_COLOR: {[c for c in used if not is_grey(c)][:5]}"
        assert not basic_colours(screen) - {30, 37, 40, 47, 90, 97, 100, 107}

    # Ctrl+G 3 back to the schedule, Ctrl+G 1 for the help, Escape closes it.
    tmux.send(name, "C-g")
    tmux.send(name, "3")
    tmux.wait_for(name, "Prev day")
    tmux.send(name, "C-g")
    tmux.send(name, "1")
    tmux.wait_for(name, "Keys: Schedule", "Prev day", "Esc closes")
    tmux.send(name, "Escape")
    # the help shows "Prev day" too: wait until it has closed, or the Ctrl+G that follows
    # reaches the terminal right after the Escape and the two read as one Alt+Ctrl+G
    tmux.wait_for(name, "Keys: Schedule", gone=True)
    tmux.wait_for(name, "Prev day")
    tmux.send(name, "C-g")
    tmux.send(name, "0")
    tmux.wait_for(name, "Welcome")
    assert "Traceback" not in tmux.capture(name)


# --- the theme, in-process ------------------------------------------------------------


async def test_sixteen_colours_get_the_ansi_theme(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)):
        default = app.theme
        app.choose_theme("truecolor")
        assert app.theme == default
        app.choose_theme("256")
        assert app.theme == default
        app.choose_theme("standard")
        assert app.theme == ANSI_THEME
        assert app.current_theme.ansi
        # The cursor of an unfocused list shows in reverse video, not in an invisible colour.
        assert app.get_css_variables()["block-cursor-blurred-text-style"] == "reverse"


async def test_no_color_keeps_the_greys(make_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)):
        default = app.theme
        app.choose_theme("standard")
        assert app.theme == default and app.no_color


async def test_the_configured_theme_wins(make_app):
    app = make_app(theme="nord")
    async with app.run_test(size=(80, 24)):
        app.choose_theme("standard")
        assert app.theme == "nord"


async def test_no_animations_over_ssh(make_app, monkeypatch):
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.7 50022 10.0.0.1 22")
    assert make_app().animation_level == "none"
    monkeypatch.delenv("SSH_CONNECTION")
    monkeypatch.delenv("SSH_CLIENT", raising=False)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "full")
    assert make_app().animation_level != "none"
