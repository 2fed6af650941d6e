"""gettext for Skranke: source strings are English, Danish is the default language.

`_` looks the string up in the active catalog at call time, so a language chosen
after import (from --lang or the config file) still takes effect.
"""
from __future__ import annotations

import gettext
import io
import os
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


_compiled: dict[tuple[Path, int, int], gettext.NullTranslations] = {}


def _load_po(path: Path) -> gettext.NullTranslations:
    # The .po file is the only catalog we keep in git; compiling it in memory
    # spares a build step and a generated .mo file. Compiled once per process:
    # start-up sets the language several times (import, --lang, config, app).
    if not path.exists():
        return gettext.NullTranslations()
    st = path.stat()
    key = (path, st.st_mtime_ns, st.st_size)
    if key not in _compiled:
        _compiled[key] = _compile_po(path, f"{path.parent.parent.name}-{st.st_mtime_ns}-{st.st_size}.mo")
    return _compiled[key]


def _compile_po(path: Path, cache_name: str) -> gettext.NullTranslations:
    # Parsing the .po costs tens of milliseconds at every start; the compiled
    # catalog is kept in the user's cache directory, named by the .po's time and size.
    import platformdirs

    cached = Path(platformdirs.user_cache_dir("skranke")) / cache_name
    try:
        with cached.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    except (OSError, ValueError):
        pass
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        catalog = read_po(fh)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, cached)
    except OSError:
        pass  # no cache directory: compile again next time
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
