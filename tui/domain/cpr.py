"""CPR numbers (personnummer) and replacement CPR numbers (erstatnings-CPR, eCPR).

Ordinary CPR: ``DDMMYY-SSSS``. The century comes from the 7th digit and YY:

    7th digit | YY 00-36 | YY 37-57 | YY 58-99
    0-3       | 19YY     | 19YY     | 19YY
    4, 9      | 20YY     | 19YY     | 19YY
    5-8       | 20YY     | 20YY     | 18YY

Sex: last digit odd = male ("M"), even = female ("F").

Modulus 11 (weights 4,3,2,7,6,5,4,3,2,1) is *reported* (`passes_mod11`) but never a
reason to refuse: numbers failing it have been issued since 1 October 2007.

Replacement CPR ``DDMMYYCAAG``: birth (or creation) date, century digit C, two letters
A-Z, sex digit G.

* National X-eCPR: C = 1 -> 19YY, C = 7 -> 20YY.
* Regional D-eCPR: C = 0, 5 or 6. Our century rule: 0 -> 19YY; 5 and 6 -> 20YY when
  that date is not after today, otherwise 19YY. (The ordinary table would give 18YY for
  YY 58-99, which cannot be a living person's replacement number; a replacement number
  is never issued for a date in the future, so "20YY unless that is the future" is the
  only reading that is always possible.)

Replacement numbers never pass mod-11 (`passes_mod11` is False) and `.kind` tells them
apart: "cpr", "x-ecpr", "d-ecpr". Letters are kept upper case in `.digits`.

No textual or rich imports here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tui.domain.dates import format_date_medium
from tui.i18n import _

__all__ = [
    "Cpr",
    "parse_cpr",
    "format_cpr",
    "normalize_cpr",
    "age_on",
    "describe_cpr",
    "mod11_ok",
    "KIND_CPR",
    "KIND_X_ECPR",
    "KIND_D_ECPR",
]

KIND_CPR = "cpr"
KIND_X_ECPR = "x-ecpr"
KIND_D_ECPR = "d-ecpr"

_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
# characters we drop while normalizing: spaces and all sorts of dashes
_DROP = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_CPR_RE = re.compile(r"[0-9]{10}")
_ECPR_RE = re.compile(r"[0-9]{7}[A-Z]{2}[0-9]")
_ALLOWED = re.compile(r"[0-9A-Za-z]*")
_DIGITS = re.compile(r"[0-9]*")  # letters are allowed only at the 8th and 9th place



@dataclass(frozen=True, slots=True)
class Cpr:
    """A parsed CPR or replacement CPR number. `repr` and `str` mask the last four."""

    digits: str
    birth_date: date
    sex: str  # "M" or "F"
    kind: str = KIND_CPR
    passes_mod11: bool = False

    @property
    def is_replacement(self) -> bool:
        return self.kind != KIND_CPR

    @property
    def masked(self) -> str:
        return f"{self.digits[:6]}-xxxx"

    @property
    def full(self) -> str:
        return f"{self.digits[:6]}-{self.digits[6:]}"

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:  # never leak the full number into logs
        return f"Cpr({self.masked!r}, kind={self.kind!r})"


def mod11_ok(digits: str) -> bool:
    """True if a 10-digit string satisfies the modulus-11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    return sum(int(c) * w for c, w in zip(digits, _WEIGHTS)) % 11 == 0


def normalize_cpr(text: str) -> str:
    """Drop spaces and dashes and upper-case letters; no validation beyond that."""
    return _DROP.sub("", text).upper()


def _century(d7: int, yy: int) -> int:
    if d7 <= 3:
        return 1900
    if d7 == 4 or d7 == 9:
        return 2000 if yy <= 36 else 1900
    # 5-8
    if yy <= 57:
        return 2000
    return 1800


def _date_or_error(y: int, m: int, d: int, shown: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise ValueError(
            _("The birth date does not exist: {date}").format(date=shown)
        ) from None


def parse_cpr(text: str, today: date | None = None) -> Cpr:
    """Parse a CPR or replacement CPR number; `ValueError` says why it is refused."""
    if not isinstance(text, str):
        raise ValueError(_("The CPR number must be text"))
    s = _DROP.sub("", text)
    if not s:
        raise ValueError(_("Type a CPR number"))
    if len(s) > 10:
        raise ValueError(
            _("The CPR number must have 10 digits, not {n}").format(n=len(s))
        )
    if not _ALLOWED.fullmatch(s) or not _DIGITS.fullmatch(s[:7] + s[9:]):
        raise ValueError(_("The CPR number may only contain digits and a dash"))
    s = s.upper()
    if len(s) < 10:
        raise ValueError(
            _("The CPR number must have 10 digits, not {n}").format(n=len(s))
        )
    dd, mm, yy = s[0:2], s[2:4], s[4:6]
    if not (dd + mm + yy).isdigit():
        raise ValueError(_("The first 6 digits must be the birth date (DDMMYY)"))
    shown = f"{dd}.{mm}.{yy}"
    d, m, y = int(dd), int(mm), int(yy)
    if not 1 <= m <= 12:
        raise ValueError(
            _("The birth date does not exist: {date} (month {month})").format(date=shown, month=mm)
        )
    if today is None:
        today = date.today()

    if _CPR_RE.fullmatch(s):
        d7 = ord(s[6]) - 48
        birth = _date_or_error(_century(d7, y) + y, m, d, shown)
        kind = KIND_CPR
        passes = mod11_ok(s)
    elif _ECPR_RE.fullmatch(s):
        c = ord(s[6]) - 48
        if c == 1:
            birth, kind = _date_or_error(1900 + y, m, d, shown), KIND_X_ECPR
        elif c == 7:
            birth, kind = _date_or_error(2000 + y, m, d, shown), KIND_X_ECPR
        elif c == 0:
            birth, kind = _date_or_error(1900 + y, m, d, shown), KIND_D_ECPR
        elif c == 5 or c == 6:
            kind = KIND_D_ECPR
            birth = _date_or_error(2000 + y, m, d, shown)
            if birth > today:
                birth = _date_or_error(1900 + y, m, d, shown)
        else:
            raise ValueError(
                _("Replacement CPR: the 7th digit must be 0, 1, 5, 6 or 7, not {digit}").format(
                    digit=s[6]
                )
            )
        passes = False
    else:
        if s[6:].isalnum() and any(ch.isalpha() for ch in s[6:]):
            raise ValueError(
                _("A replacement CPR has the form DDMMYY-CLLC: digit, two letters, digit "
                  "(e.g. 020329-1WQ3)")
            )
        raise ValueError(_("The CPR number may only contain digits and a dash"))

    if birth > today:
        raise ValueError(
            _("The birth date is in the future: {date}").format(
                date=f"{birth.day:02d}.{birth.month:02d}.{birth.year}"
            )
        )
    sex = "M" if (ord(s[9]) - 48) % 2 else "F"
    return Cpr(digits=s, birth_date=birth, sex=sex, kind=kind, passes_mod11=passes)


def format_cpr(cpr: Cpr | str, masked: bool = True) -> str:
    """"DDMMYY-xxxx" (masked) or "DDMMYY-SSSS". Accepts a `Cpr` or a string."""
    if isinstance(cpr, Cpr):
        digits = cpr.digits
    else:
        digits = normalize_cpr(str(cpr))
        if len(digits) != 10 or not digits.isalnum():
            raise ValueError(
                _("The CPR number must have 10 digits, not {n}").format(n=len(digits))
            )
    if masked:
        return f"{digits[:6]}-xxxx"
    return f"{digits[:6]}-{digits[6:]}"


def age_on(cpr_or_birthdate: Cpr | date | str, day: date) -> int:
    """Age in whole years on `day` (born 29 February: a year older on 1 March)."""
    if isinstance(cpr_or_birthdate, Cpr):
        born = cpr_or_birthdate.birth_date
    elif isinstance(cpr_or_birthdate, date):
        born = cpr_or_birthdate
    else:
        born = parse_cpr(cpr_or_birthdate, today=day).birth_date
    years = day.year - born.year
    if (day.month, day.day) < (born.month, born.day):
        years -= 1
    return years


def describe_cpr(cpr: Cpr, today: date | None = None) -> str:
    """"født 7. juli 1961 · mand · 65 år" (+ the replacement kind, + a mod-11 hint)."""
    if today is None:
        today = date.today()
    b = cpr.birth_date
    parts = []
    if cpr.kind == KIND_X_ECPR:
        parts.append(_("replacement CPR (X-eCPR)"))
    elif cpr.kind == KIND_D_ECPR:
        parts.append(_("replacement CPR (D-eCPR)"))
    parts.append(_("born {date}").format(date=format_date_medium(b)))
    parts.append(_("male") if cpr.sex == "M" else _("female"))
    age = age_on(b, today)
    if age >= 2:
        parts.append(_("{n} years").format(n=age))
    else:
        months = (today.year - b.year) * 12 + today.month - b.month - (today.day < b.day)
        parts.append(_("{n} months").format(n=max(months, 0)))
    text = " · ".join(parts)
    if cpr.kind == KIND_CPR and not cpr.passes_mod11:
        text += " " + _("(fails modulus 11; the number is valid all the same)")
    return text
