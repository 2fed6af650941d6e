"""The Danish catalog: every string in the code is translated, placeholders survive the
translation, the app speaks Danish by default and English when asked, and so does
`skranke --help` (click's own words included)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po
from helpers import screen_text

from tui import i18n
from tui.config import Config

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = ROOT / "tui" / "locale" / "da" / "LC_MESSAGES" / "skranke.po"
# The same keywords as the extraction command in the README: _, N_ and ngettext.
KEYWORDS = {**DEFAULT_KEYWORDS, **parse_keywords(["N_", "ngettext:1,2"])}
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _extracted() -> dict[str, list[str]]:
    """msgid -> where it is used, extracted from the code right now (nothing on disk)."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def extracted() -> dict[str, list[str]]:
    return _extracted()


@pytest.fixture(scope="module")
def catalog():
    with PO_FILE.open("rb") as fh:
        return read_po(fh, locale="da")


def _translations(catalog) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for msgid, msgstr in zip(ids, strings):
            out[msgid] = msgstr
    return out


def test_extraction_finds_the_strings_of_every_layer(extracted):
    # A sanity check on the extraction itself, so the tests below cannot pass on nothing.
    assert len(extracted) > 500
    assert "Log in to Skranke" in extracted  # a screen
    assert "The CPR number must have 10 digits, not {n}" in extracted  # a domain rule
    assert "Show this message and exit." in extracted  # click's words, listed in cli.py
    assert "New entry" in extracted  # a key binding's description (tui/locale/extract.py)


def test_every_string_in_the_code_has_a_danish_translation(extracted, catalog):
    translated = _translations(catalog)
    missing = sorted(
        f"{msgid!r} ({extracted[msgid][0]})" for msgid in extracted if not translated.get(msgid)
    )
    assert not missing, "not translated in skranke.po:\n" + "\n".join(missing)


def test_no_translation_is_fuzzy(catalog):
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy


def test_placeholders_survive_the_translation(catalog):
    wrong = []
    for msgid, msgstr in _translations(catalog).items():
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(msgstr)):
            wrong.append(f"{msgid!r} -> {msgstr!r}")
    assert not wrong, "\n".join(wrong)


def test_key_names_are_not_translated(catalog):
    keys = re.compile(r"\b(?:Ctrl\+\w+|Shift\+\w+|F\d{1,2}|Esc|Enter|Tab)\b")
    wrong = []
    for msgid, msgstr in _translations(catalog).items():
        if sorted(keys.findall(msgid)) != sorted(keys.findall(msgstr)):
            wrong.append(f"{msgid!r} -> {msgstr!r}")
    assert not wrong, "\n".join(wrong)


def test_the_catalog_is_used_at_run_time():
    assert i18n.set_language(None) == "da"
    assert i18n._("Log out") == "Log ud"
    assert i18n._("Wrong user name or password.") == "Forkert brugernavn eller adgangskode."
    assert i18n.set_language("en") == "en"
    assert i18n._("Log out") == "Log out"
    assert i18n.set_language("xx") == "da"  # unknown language: the default


def test_dates_follow_the_language():
    from tui.domain.cpr import describe_cpr, parse_cpr
    from tui.domain.dates import describe_date, format_date_long, parse_date

    day, today = date(2026, 12, 1), date(2026, 11, 30)
    i18n.set_language("da")
    assert format_date_long(day) == "tirsdag 1. december 2026 · uge 49"
    assert describe_date(day, today) == "tirsdag 1. december · uge 49 · i morgen"
    assert describe_cpr(parse_cpr("0707614285", today), today).startswith("født 7. juli 1961 · mand")
    i18n.set_language("en")
    assert format_date_long(day) == "Tuesday 1 December 2026 · week 49"
    assert describe_date(day, today) == "Tuesday 1 December · week 49 · tomorrow"
    assert describe_cpr(parse_cpr("0707614285", today), today).startswith("born 7 July 1961 · male")
    with pytest.raises(ValueError, match="Type a date"):
        parse_date("", today)
    # What is shown can be typed back in, in either language.
    assert parse_date(format_date_long(day), today) == day
    i18n.set_language("da")
    assert parse_date(format_date_long(day), today) == day
    with pytest.raises(ValueError, match="Skriv en dato"):
        parse_date("", today)


def test_the_default_language_is_danish():
    assert Config().language == "da"
    assert i18n.DEFAULT_LANGUAGE == "da"


async def test_login_screen_is_danish_by_default(make_app):
    i18n.set_language(Config().language)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Log ind i Skranke" in text
        assert "Brugernavn" in text and "Adgangskode" in text
        assert "Log in to" not in text and "Password" not in text


async def test_login_screen_is_english_with_language_en(make_app):
    i18n.set_language("en")
    app = make_app(language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Log in to Skranke" in text
        assert "User name" in text and "Password" in text
        assert "Log ind" not in text and "Adgangskode" not in text


async def test_the_footer_names_the_keys_in_danish(make_app):
    from helpers import login

    app = make_app()
    async with app.run_test(size=(120, 24)) as pilot:
        await login(pilot)
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "Hjælp" in footer and "Lås" in footer
        assert "Help" not in footer and "Lock" not in footer


def _skranke(*args: str) -> str:
    env = {**os.environ, "SKRANKE_CONFIG": os.devnull}
    env.pop("SKRANKE_LANG", None)
    env.pop("SKRANKE_DB", None)
    result = subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, env=env,
        timeout=60, cwd=ROOT, check=False,
    )
    return result.stdout + result.stderr


def test_help_is_danish_by_default():
    text = _skranke("--help")
    assert "Brug:" in text and "Tilvalg:" in text and "Kommandoer:" in text
    assert "Vis denne hjælp og afslut." in text
    assert "Skranke: skranken i en dansk lægeklinik." in text
    assert "Usage:" not in text and "Show this message" not in text


def test_help_is_english_with_lang_en():
    text = _skranke("--lang", "en", "--help")
    assert "Usage:" in text and "Options:" in text and "Commands:" in text
    assert "Show this message and exit." in text
    assert "Skranke: the reception desk of a Danish clinic." in text
    assert "Brug:" not in text


def test_click_errors_are_danish_by_default():
    text = _skranke("--lang", "fr")
    assert "Fejl: Ugyldig værdi for '--lang'" in text
    text = _skranke("user", "--help")
    assert "Tilføj en bruger." in text
