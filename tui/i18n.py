"""gettext for Skranke: source strings are English, Danish is the default language.

`_` looks the string up in the active catalog at call time, so a language chosen
after import (from --lang or the config file) still takes effect.
"""
from __future__ import annotations

import gettext
import io
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "skranke"
DEFAULT_LANGUAGE = "da"
LANGUAGES = ("da", "en")

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def set_language(lang: str | None) -> str:
    """Activate `lang` ("da" or "en"); returns the language in force."""
    global _translation, _language
    lang = (lang or DEFAULT_LANGUAGE).lower()[:2]
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    if lang == "en":
        _translation = gettext.NullTranslations()
    else:
        _translation = _load_po(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po")
    _language = lang
    return lang


def _load_po(path: Path) -> gettext.NullTranslations:
    # The .po file is the only catalog we keep in git; compiling it in memory
    # spares a build step and a generated .mo file.
    if not path.exists():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        catalog = read_po(fh)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def language() -> str:
    return _language


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


set_language(DEFAULT_LANGUAGE)
