"""Phone numbers: whatever way they were typed (or sent by an IP phone), stored as E.164.

"12 34 56 78", "12345678", "+45 12345678", "004512345678", "sip:+4512345678@pbx" and
"sip:12345678@10.0.0.1" all become "+4512345678". Foreign numbers ("+46 70 123 45 67",
"0046701234567") are kept in E.164. Too short, too long or garbage is refused with a
`ValueError` saying why.

Danish numbers (8 digits, +45) take a fast path; everything else goes through the
`phonenumbers` library, which is lenient on purpose: a number is accepted when it is
*possible* (right length for its country), not only when the library's (changing) table
of allocated ranges knows it.

No textual or rich imports here.
"""
from __future__ import annotations

import re
from urllib.parse import unquote

from tui.i18n import _

__all__ = ["normalize_phone", "format_phone", "is_danish", "DEFAULT_REGION"]

DEFAULT_REGION = "DK"

# "Name" <sip:+4512345678@pbx;user=phone>, sip:..., sips:..., tel:...
_URI = re.compile(r"(?:[^<]*<)?\s*(?:sips?|tel)\s*:\s*([^@;>?]*)", re.I)
_SEPARATORS = re.compile(r"[\s\-().\/\u00a0\u2010-\u2015]+")
_ALLOWED = re.compile(r"\+?[0-9]+", re.A)
_DK_FAST = re.compile(r"(?:\+45|0045)?([1-9][0-9]{7})", re.A)
_DK_E164 = re.compile(r"\+45[0-9]{8}", re.A)


def _strip_uri(text: str) -> str:
    if ":" in text:
        m = _URI.match(text)
        if m:
            text = m.group(1)
            if "%" in text:
                text = unquote(text)
    return text


def normalize_phone(text: str, region: str = DEFAULT_REGION) -> str:
    """Normalize a typed number or SIP URI to E.164; `ValueError` says why not."""
    if not isinstance(text, str):
        raise ValueError(_("The phone number must be text"))
    raw = text.strip()
    if not raw:
        raise ValueError(_("Type a phone number"))
    if len(raw) > 200:
        raise ValueError(_("The phone number is too long"))
    s = _SEPARATORS.sub("", _strip_uri(raw))
    if not s:
        raise ValueError(_("Cannot read the phone number: «{text}»").format(text=raw))
    m = _DK_FAST.fullmatch(s)
    if m:
        return "+45" + m.group(1)
    if not _ALLOWED.fullmatch(s):
        if any(ch.isalpha() for ch in s):
            raise ValueError(
                _("The phone number may only contain digits (and a leading +): «{text}»").format(text=raw)
            )
        raise ValueError(_("Cannot read the phone number: «{text}»").format(text=raw))
    ndigits = len(s) - s.startswith("+")
    if ndigits > 17:
        raise ValueError(_("The phone number is too long: «{text}»").format(text=raw))
    # Danish without country code but not 8 digits
    if not s.startswith(("+", "00")):
        if ndigits < 8:
            raise ValueError(
                _("The phone number is too short: {n} digits (a Danish number has 8)").format(n=ndigits)
            )
        if ndigits > 8:
            raise ValueError(
                _("The phone number is too long: {n} digits (a Danish number has 8; "
                  "put +country code before a foreign number)").format(n=ndigits)
            )
        raise ValueError(_("A Danish phone number does not start with 0"))
    # Imported on first use: it costs 12 ms of every start, and the Danish fast path
    # (most numbers a clinic sees) never needs it.
    import phonenumbers

    ValidationResult = phonenumbers.ValidationResult
    try:
        num = phonenumbers.parse(s, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise ValueError(_("Unknown country code in «{text}»").format(text=raw)) from None
        if exc.error_type in (
            phonenumbers.NumberParseException.TOO_SHORT_NSN,
            phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD,
        ):
            raise ValueError(_("The phone number is too short: «{text}»").format(text=raw)) from None
        raise ValueError(_("Cannot read the phone number: «{text}»").format(text=raw)) from None
    if num.country_code == 45:
        national = str(num.national_number)
        if num.italian_leading_zero:
            raise ValueError(_("A Danish phone number does not start with 0"))
        if len(national) < 8:
            raise ValueError(
                _("The phone number is too short: {n} digits (a Danish number has 8)").format(
                    n=len(national)
                )
            )
        if len(national) > 8:
            raise ValueError(
                _("The phone number is too long: a Danish number has 8 digits")
            )
        return "+45" + national
    reason = phonenumbers.is_possible_number_with_reason(num)
    if reason == ValidationResult.IS_POSSIBLE or reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        raise ValueError(
            _("Unknown country code: +{code}").format(code=num.country_code)
        )
    if reason == ValidationResult.TOO_SHORT:
        raise ValueError(_("The phone number is too short: «{text}»").format(text=raw))
    if reason == ValidationResult.TOO_LONG:
        raise ValueError(_("The phone number is too long: «{text}»").format(text=raw))
    raise ValueError(_("Invalid phone number: «{text}»").format(text=raw))


def is_danish(e164: str) -> bool:
    return bool(_DK_E164.fullmatch(e164))


def _pairs(digits: str) -> list[str]:
    """A run of digits as a Dane reads one: in pairs, three at the end when odd."""
    if len(digits) <= 4:
        return [digits]
    cut = len(digits) - 3 if len(digits) % 2 else len(digits)
    return [digits[i:i + 2] for i in range(0, cut, 2)] + ([digits[cut:]] if cut < len(digits) else [])


def format_phone(e164: str) -> str:
    """"12 34 56 78" for a Danish number; a foreign one in the international format
    ("+46 70 123 45 67"), its groups kept to at most four digits (in pairs where the
    library knows no grouping for the range: "+298 12 34 56", not "+298 123456").

    Never raises: text that is not a number is returned as it was.
    """
    if not isinstance(e164, str):
        return str(e164)
    if not _DK_E164.fullmatch(e164):
        try:
            e164 = normalize_phone(e164)
        except ValueError:
            return e164
    if e164.startswith("+45") and len(e164) == 11:
        n = e164[3:]
        return f"{n[0:2]} {n[2:4]} {n[4:6]} {n[6:8]}"
    import phonenumbers  # on first use, as in normalize_phone

    try:
        shown = phonenumbers.format_number(phonenumbers.parse(e164, None),
                                           phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164
    head, _sep, rest = shown.partition(" ")
    groups = [g for part in _SEPARATORS.split(rest) if part for g in _pairs(part)]
    if not head.startswith("+") or not all(g.isdigit() for g in groups):
        return shown
    return " ".join([head, *groups])
