"""Name keys for search: case-folded, å=aa, æ=ae, ø=oe, each part of a name on its own.

"Hansen-Møller" gives the keys "hansen", "moeller" and "hansenmoeller", so a double
or hyphenated surname is found by either part, however the secretary spells ø.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue"})
_SPLIT = re.compile(r"[\s\-]+")
_DROP = re.compile(r"[^a-z0-9]")


@lru_cache(maxsize=8192)  # names repeat (Jensen, Hansen...): results are sorted by this key
def normalize(text: str) -> str:
    """One comparable key: lower case, Danish letters spelled out, accents and signs gone."""
    folded = text.casefold().translate(_FOLD)
    plain = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return _DROP.sub("", plain)


def parts(text: str) -> list[str]:
    """The keys a name is found by: every part, and the whole name when it has several."""
    pieces = [normalize(p) for p in _SPLIT.split(text.strip())]
    pieces = [p for p in pieces if p]
    keys = list(dict.fromkeys(pieces))
    if len(pieces) > 1:
        whole = "".join(pieces)
        if whole not in keys:
            keys.append(whole)
    return keys


def name_keys(first_name: str, last_name: str) -> list[tuple[str, str]]:
    """(kind, key) rows for PatientNameKey: kind "f" for first names, "l" for last names,
    and kind "p" for each pair "lastkey firstkey".

    The pairs make "svend jensen" one index range (every Jensen with a first name starting
    with svend) instead of a walk through all Jensens testing their first names: the walk
    grew with the number of Jensens, the range only with the number of answers.
    """
    firsts, lasts = parts(first_name), parts(last_name)
    return ([("f", k) for k in firsts] + [("l", k) for k in lasts]
            + [("p", f"{last} {first}") for last in lasts for first in firsts])


_COLLATE = str.maketrans({"æ": "{", "ä": "{", "ø": "|", "ö": "|", "å": "}", "ü": "y"})


@lru_cache(maxsize=8192)
def collate(text: str) -> str:
    """A sort key in Danish order: Æ, Ø, Å after Z, and "Aa" sorted as Å (Aagaard after
    Østergaard), accents otherwise ignored ("Émile" with the E's)."""
    folded = text.casefold().replace("aa", "å").translate(_COLLATE)
    plain = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9{|} ]", "", plain)

