"""What a secretary types into a date or time field, turned into a date or a time.

`parse_date(text, today)` understands, case-insensitively, in Danish and English:

* words: "i dag"/"idag"/"today", "i morgen"/"imorgen"/"tomorrow", "i overmorgen",
  "i går"/"igår"/"yesterday", "i forgårs";
* weekday names and abbreviations ("tirsdag", "tirs", "ti", "tuesday", "tue"): the next
  such day, today excluded; "næste tirsdag"/"next tuesday": the Tuesday of next ISO week;
  "i tirsdags"/"sidste tirsdag"/"last tuesday": the most recent one before today;
* numbers, always day first: "1.12", "1/12", "1-12", "26.11.26", "26/11/2026", "261126",
  "26112026", "0112", "3.2.2027", a bare day of the month "15", and ISO "2026-11-26";
  month names: "1. december", "1 dec 2026", "tirsdag 1. december 2026 · uge 49"
  (what `format_date_long` writes). A date without a year is the next such date,
  today included;
* offsets: "+3", "-3", "+3d", "3 dage", "om 3 dage" (days), "+2u", "2 uger", "om 2 uger"
  (weeks), "+3m", "3 mdr", "om 3 måneder" (months), "+1å", "om 1 år" (years),
  "3 uger siden"/"for 3 uger siden"/"3 weeks ago" (back in time);
* ISO weeks: "uge 49", "u49", "week 49" (the Monday of that week, this year or next year
  if the week has passed), "uge 49 tirsdag"/"tirsdag uge 49", "uge 49 2027", "u49/2027".

A two-digit year means the year nearest to today (within 50 years back, 49 forward).
With `past_only=True` (birth dates) nothing ever lands in the future: a date without a
year or with a two-digit year resolves to the most recent such date not after today, a
weekday or week to the most recent one, and anything else in the future is refused.

Every refusal is a `ValueError` whose message names what was not understood.
No textual or rich imports here.
"""
from __future__ import annotations

import re
from datetime import date, time, timedelta

from dateutil.relativedelta import relativedelta

from tui.i18n import _, language

__all__ = [
    "WEEKDAYS",
    "WEEKDAYS_SHORT",
    "MONTHS",
    "MONTHS_SHORT",
    "WEEKDAYS_EN",
    "MONTHS_EN",
    "weekday_name",
    "month_name",
    "format_date_medium",
    "parse_date",
    "parse_time",
    "format_date_long",
    "format_date_short",
    "format_time",
    "describe_date",
    "iso_week_monday",
    "parse_weekdays",
]

# Danish names (lower case, as Danish writes them). Index 0 = Monday / index 1 = January.
WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
WEEKDAYS_SHORT = ("man", "tir", "ons", "tor", "fre", "lør", "søn")
MONTHS = (
    "", "januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
    "september", "oktober", "november", "december",
)
MONTHS_SHORT = ("", "jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep",
                "okt", "nov", "dec")

# --- word tables -------------------------------------------------------------------

_WEEKDAY_WORDS: dict[str, int] = {}
for _i, _names in enumerate((
    ("mandag", "man", "ma", "monday", "mon", "mo"),
    ("tirsdag", "tirs", "tir", "ti", "tuesday", "tues", "tue", "tu"),
    ("onsdag", "ons", "on", "wednesday", "wed", "we"),
    ("torsdag", "tors", "tor", "to", "thursday", "thurs", "thur", "thu", "th"),
    ("fredag", "fre", "fr", "friday", "fri"),
    ("lørdag", "lør", "lø", "lordag", "loerdag", "lor", "saturday", "sat", "sa"),
    ("søndag", "søn", "sø", "sondag", "soendag", "son", "sunday", "sun", "su"),
)):
    for _n in _names:
        _WEEKDAY_WORDS[_n] = _i
# "i tirsdags" (last Tuesday) forms
_WEEKDAY_PAST_WORDS = {WEEKDAYS[i] + "s": i for i in range(7)}
_WEEKDAY_PAST_WORDS.update({"lordags": 5, "loerdags": 5, "sondags": 6, "soendags": 6})

_MONTH_WORDS: dict[str, int] = {}
for _i, _names in enumerate((
    ("januar", "jan", "january"),
    ("februar", "feb", "february"),
    ("marts", "mar", "march", "mrt"),
    ("april", "apr"),
    ("maj", "may"),
    ("juni", "jun", "june"),
    ("juli", "jul", "july"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("oktober", "okt", "october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
), start=1):
    for _n in _names:
        _MONTH_WORDS[_n] = _i

_DAY_WORDS = {
    "i dag": 0, "idag": 0, "today": 0, "dd": 0,
    "i morgen": 1, "imorgen": 1, "tomorrow": 1, "morgen": 1,
    "i overmorgen": 2, "iovermorgen": 2, "overmorgen": 2,
    "i går": -1, "igår": -1, "yesterday": -1, "i gaar": -1, "igaar": -1,
    "i forgårs": -2, "iforgårs": -2, "i forgaars": -2, "iforgaars": -2,
}

_UNIT_WORDS: dict[str, str] = {}
for _unit, _names in (
    ("d", ("d", "dag", "dage", "dg", "day", "days")),
    ("w", ("u", "uge", "uger", "w", "wk", "wks", "week", "weeks")),
    ("m", ("m", "md", "mdr", "mnd", "mdr.", "md.", "mnd.", "måned", "måneder",
           "maaned", "maaneder", "maned", "maneder", "mo", "month", "months")),
    ("y", ("å", "år", "aa", "aar", "y", "yr", "yrs", "year", "years")),
):
    for _n in _names:
        _UNIT_WORDS[_n] = _unit

_WS = re.compile(r"\s+")
_RE_NUMERIC = re.compile(r"(\d{1,2})\s*[./-]\s*(\d{1,2})(?:\s*[./-]\s*(\d{4}|\d{2}))?\.?", re.A)
_RE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.A)
_RE_COMPACT = re.compile(r"\d{4}|\d{6}|\d{8}", re.A)
_RE_DAY_ONLY = re.compile(r"(\d{1,2})\.?", re.A)
_RE_OFFSET = re.compile(
    r"(?:(om|in|for)\s+)?([+-])?\s*(\d{1,5})\s*([a-zæøå.]*)(?:\s+(siden|ago))?", re.A | re.I
)
_RE_WEEK = re.compile(
    r"(?:(?P<wd1>[a-zæøå]+)\.?\s+)?(?:uge|u|week|wk|w)\s*\.?\s*(?P<week>\d{1,2})"
    r"(?:\s*[/,-]?\s*(?P<year>\d{4}))?(?:\s*,?\s+(?P<wd2>[a-zæøå]+)\.?)?",
    re.A,
)
_RE_MONTHNAME = re.compile(
    r"(?:(?P<wd>[a-zæøå]+)\.?,?\s+(?:d\.\s*|den\s+)?)?(?P<day>\d{1,2})\.?\s*(?P<month>[a-zæøå]+)\.?"
    r"(?:\s*,?\s*(?P<year>\d{4}|\d{2}))?(?:\s*[·,-]?\s*(?:uge|u|week)\s*(?P<week>\d{1,2}))?",
    re.A,
)
_RE_MONTHNAME_EN = re.compile(
    r"(?:(?P<wd>[a-zæøå]+)\.?,?\s+)?(?P<month>[a-zæøå]+)\.?\s*(?P<day>\d{1,2})(?:st|nd|rd|th)?"
    r"(?:\s*,?\s*(?P<year>\d{4}))?",
    re.A,
)
_RE_TIME = re.compile(
    r"(?:kl\.?|klokken|at)?\s*(\d{1,2})(?:\s*[.:]\s*(\d{2}))?(?:\s*(?:h|t))?", re.A | re.I
)
_RE_TIME_COMPACT = re.compile(r"(?:kl\.?|klokken|at)?\s*(\d{3,4})", re.A | re.I)

_MIN_DATE_ORD = date.min.toordinal()
_MAX_DATE_ORD = date.max.toordinal()


# --- helpers -----------------------------------------------------------------------


def _out_of_range(text: str) -> ValueError:
    return ValueError(_("The date is out of range: {text}").format(text=text))


def _make_date(y: int, m: int, d: int, text: str) -> date:
    if not 1 <= m <= 12:
        raise ValueError(
            _("Invalid date: {text} (there is no month {month})").format(text=text, month=m)
        )
    try:
        return date(y, m, d)
    except ValueError:
        if 1 <= y <= 9999:
            raise ValueError(_("Invalid date: {text}").format(text=text)) from None
        raise _out_of_range(text) from None


def _two_digit_year(yy: int, today: date, past_only: bool) -> int:
    """Resolve a two-digit year: nearest to today, or the most recent one if past_only."""
    century = today.year - today.year % 100
    if past_only:
        y = century + yy
        return y if y <= today.year else y - 100
    y = century + yy
    if y > today.year + 49:
        y -= 100
    elif y < today.year - 50:
        y += 100
    return y


def _without_year(m: int, d: int, today: date, past_only: bool, text: str) -> date:
    """The next (or, past_only, the latest) date with this day and month; today counts."""
    if not 1 <= m <= 12:
        raise ValueError(
            _("Invalid date: {text} (there is no month {month})").format(text=text, month=m)
        )
    if not 1 <= d <= 31 or (m == 2 and d > 29) or (d == 31 and m in (4, 6, 9, 11)):
        raise ValueError(_("Invalid date: {text}").format(text=text))
    step = -1 if past_only else 1
    y = today.year
    for _k in range(9):  # 29 February is at most 8 years away
        try:
            candidate = date(y, m, d)
        except ValueError:
            y += step
            continue
        if (candidate <= today) if past_only else (candidate >= today):
            return candidate
        y += step
    raise _out_of_range(text)


def _with_year(y: int, ytext: str, m: int, d: int, today: date, past_only: bool, text: str) -> date:
    if len(ytext) == 2:
        y = _two_digit_year(y, today, past_only)
        if past_only and y == today.year and (m, d) > (today.month, today.day):
            y -= 100  # a birth date is never in the future
    elif y < 1:
        raise _out_of_range(text)
    return _make_date(y, m, d, text)


def _shift_days(today: date, days: int, text: str) -> date:
    o = today.toordinal() + days
    if not _MIN_DATE_ORD <= o <= _MAX_DATE_ORD:
        raise _out_of_range(text)
    return date.fromordinal(o)


def _next_weekday(today: date, wd: int) -> date:
    """The next such weekday, today excluded."""
    return today + timedelta(days=(wd - today.weekday() - 1) % 7 + 1)


def _prev_weekday(today: date, wd: int) -> date:
    """The most recent such weekday, today excluded."""
    return today - timedelta(days=(today.weekday() - wd - 1) % 7 + 1)


# Whole names a weekday word may be the start of ("tors", "wedn"), each with its day.
_WEEKDAY_FULL = [(n, i) for n, i in _WEEKDAY_WORDS.items() if n.endswith(("dag", "day"))]


def _weekday_of(word: str) -> int | None:
    """A weekday from one word: a name or its usual short form, a unique start of a name
    of two letters or more, an RRULE code (MO) or a number 1-7 (1 = Monday)."""
    if word in _WEEKDAY_WORDS:
        return _WEEKDAY_WORDS[word]
    if word.isdigit() and 1 <= int(word) <= 7:
        return int(word) - 1
    hits = {i for n, i in _WEEKDAY_FULL if len(word) >= 2 and n.startswith(word)}
    return hits.pop() if len(hits) == 1 else None


def parse_weekdays(text: str) -> list[int]:
    """Weekdays as a person types them, 0 = Monday: "ma ti fr", "mandag, onsdag",
    "tirsdag og torsdag", "ma-fr", "1,3,5", "MO,FR", "tors". The one reading of weekdays
    (work patterns, recurring closing days, a booking's wished days, the waiting list)."""
    s = (text or "").strip().lower()
    days: set[int] = set()
    for part in re.split(r"[\s,;/+.]+", s):
        if not part or part in ("og", "and", "&"):
            continue
        if "-" in part or "–" in part:
            a, _sep, b = re.split(r"([-–])", part, maxsplit=1)
            lo, hi = _weekday_of(a), _weekday_of(b)
            if lo is None or hi is None or hi < lo:
                raise ValueError(_("Unknown weekday: {text}").format(text=part))
            days.update(range(lo, hi + 1))
            continue
        day = _weekday_of(part)
        if day is None:
            raise ValueError(_("Unknown weekday: {text}").format(text=part))
        days.add(day)
    if not days:
        raise ValueError(_("Write the weekdays, like ma ti fr or ma-fr."))
    return sorted(days)


def _weeks_in_year(y: int) -> int:
    return date(y, 12, 28).isocalendar()[1]


def iso_week_monday(year: int, week: int) -> date:
    """The Monday of ISO week `week` of ISO year `year`."""
    return date.fromisocalendar(year, week, 1)


def _weekday_word(word: str | None, text: str) -> int | None:
    if word is None:
        return None
    wd = _WEEKDAY_WORDS.get(word.rstrip("."))
    if wd is None:
        raise ValueError(_("Unknown weekday: «{word}» in «{text}»").format(word=word, text=text))
    return wd


def _week_date(week: int, year: int | None, wd: int, today: date, past_only: bool, text: str) -> date:
    if not 1 <= week <= 53:
        raise ValueError(_("Invalid week number: {week} (weeks go from 1 to 53)").format(week=week))
    if year is not None:
        if not 1 <= year <= 9998:
            raise _out_of_range(text)
        if week > _weeks_in_year(year):
            raise ValueError(_("There is no week {week} in {year}").format(week=week, year=year))
        return date.fromisocalendar(year, week, wd + 1)
    y = today.isocalendar()[0]
    step = -1 if past_only else 1
    for _k in range(8):
        if 1 <= y <= 9998 and week <= _weeks_in_year(y):
            monday = date.fromisocalendar(y, week, 1)
            if past_only:
                if monday <= today:
                    day = monday + timedelta(days=wd)
                    if day <= today:
                        return day
            elif monday + timedelta(days=6) >= today:
                return monday + timedelta(days=wd)
        y += step
    raise _out_of_range(text)


def _not_understood(text: str) -> ValueError:
    return ValueError(_("Cannot read the date: «{text}»").format(text=text))


# --- parse_date --------------------------------------------------------------------


def parse_date(text: str, today: date | None = None, *, past_only: bool = False) -> date:
    """Turn what was typed into a date; `ValueError` names what was not understood."""
    if not isinstance(text, str):
        raise ValueError(_("Cannot read the date: «{text}»").format(text=text))
    if today is None:
        today = date.today()
    result = _parse_date(text, today, past_only)
    if past_only and result > today:
        raise ValueError(
            _("The date is in the future: {date}").format(date=format_date_short(result))
        )
    return result


def _parse_date(raw: str, today: date, past_only: bool) -> date:
    s = _WS.sub(" ", raw.strip().lower())
    if not s:
        raise ValueError(_("Type a date"))
    shown = raw.strip()
    if len(s) > 60:
        raise ValueError(_("Cannot read the date: the text is too long"))
    c0 = s[0]

    if c0.isdigit():
        # 1.12 / 1/12 / 1-12 / 26.11.26 / 26/11/2026
        m = _RE_NUMERIC.fullmatch(s)
        if m:
            d, mo, ys = int(m[1]), int(m[2]), m[3]
            if ys is None:
                return _without_year(mo, d, today, past_only, shown)
            return _with_year(int(ys), ys, mo, d, today, past_only, shown)
        m = _RE_ISO.fullmatch(s)
        if m:
            return _with_year(int(m[1]), m[1], int(m[2]), int(m[3]), today, past_only, shown)
        if _RE_COMPACT.fullmatch(s):
            d, mo = int(s[0:2]), int(s[2:4])
            if len(s) == 4:
                return _without_year(mo, d, today, past_only, shown)
            return _with_year(int(s[4:]), s[4:], mo, d, today, past_only, shown)
        m = _RE_DAY_ONLY.fullmatch(s)
        if m:
            return _day_of_month(int(m[1]), today, past_only, shown)

    # words: i dag, i morgen, ...
    off = _DAY_WORDS.get(s)
    if off is not None:
        return _shift_days(today, off, shown)

    # weekday names
    word = s.rstrip(".")
    wd = _WEEKDAY_WORDS.get(word)
    if wd is not None:
        return _prev_weekday(today, wd) if past_only else _next_weekday(today, wd)

    if " " in s:
        first, _sp, rest = s.partition(" ")
        rest_word = rest.rstrip(".")
        if first in ("næste", "naeste", "next") and rest_word in _WEEKDAY_WORDS:
            monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
            return monday + timedelta(days=_WEEKDAY_WORDS[rest_word])
        if first in ("på", "paa", "on", "this", "denne", "kommende") and rest_word in _WEEKDAY_WORDS:
            return _next_weekday(today, _WEEKDAY_WORDS[rest_word])
        if first in ("sidste", "last", "forrige") and rest_word in _WEEKDAY_WORDS:
            return _prev_weekday(today, _WEEKDAY_WORDS[rest_word])
        if first == "i" and rest_word in _WEEKDAY_PAST_WORDS:
            return _prev_weekday(today, _WEEKDAY_PAST_WORDS[rest_word])
        if first in ("næste", "naeste", "next") and rest_word in ("uge", "week"):
            return today - timedelta(days=today.weekday()) + timedelta(days=7)
        if first in ("næste", "naeste", "next") and rest_word in ("måned", "maaned", "month"):
            return _add(today, "m", 1, shown)
        if first in ("næste", "naeste", "next") and rest_word in ("år", "aar", "year"):
            return _add(today, "y", 1, shown)

    # offsets: +3, +2u, 2 uger, om 3 måneder, 3 uger siden
    if c0 in "+-" or c0.isdigit() or s.startswith(("om ", "in ", "for ")):
        m = _RE_OFFSET.fullmatch(s)
        if m:
            prep, sign, num, unit_word, ago = m.groups()
            unit = _UNIT_WORDS.get(unit_word) if unit_word else None
            if unit_word and unit is None:
                if not _looks_like_monthname(s):
                    raise ValueError(
                        _("Unknown unit: «{unit}» in «{text}» (use d, w, m or y)").format(
                            unit=unit_word, text=shown
                        )
                    )
            elif unit is not None or sign or prep in ("om", "in"):
                if prep == "for" and not ago:
                    raise _not_understood(shown)
                n = int(num)
                if sign == "-" or ago:
                    if sign == "-" and ago:
                        raise _not_understood(shown)
                    n = -n
                elif prep == "for":
                    raise _not_understood(shown)
                return _add(today, unit or "d", n, shown)

    # ISO weeks: uge 49, u49, week 49, uge 49 tirsdag, tirsdag uge 49, uge 49 2027
    if "u" in s or "w" in s:
        m = _RE_WEEK.fullmatch(s)
        if m:
            wd1 = _weekday_word(m["wd1"], shown)
            wd2 = _weekday_word(m["wd2"], shown)
            if wd1 is not None and wd2 is not None:
                raise _not_understood(shown)
            wd = wd1 if wd1 is not None else (wd2 if wd2 is not None else 0)
            year = int(m["year"]) if m["year"] else None
            return _week_date(int(m["week"]), year, wd, today, past_only, shown)

    # month names: 1. december, 1 dec 2026, tirsdag 1. december 2026 · uge 49, dec 1
    result = _parse_monthname(s, today, past_only, shown)
    if result is not None:
        return result

    raise _not_understood(shown)


def _looks_like_monthname(s: str) -> bool:
    return _RE_MONTHNAME.fullmatch(s) is not None


def _day_of_month(d: int, today: date, past_only: bool, text: str) -> date:
    """A bare day of the month: the next (or latest) date with that day; today counts."""
    if not 1 <= d <= 31:
        raise ValueError(_("Invalid date: {text}").format(text=text))
    y, mo = today.year, today.month
    step = -1 if past_only else 1
    for _k in range(13):
        try:
            candidate = date(y, mo, d)
        except ValueError:
            candidate = None
        if candidate is not None and ((candidate <= today) if past_only else (candidate >= today)):
            return candidate
        mo += step
        if mo == 13:
            y, mo = y + 1, 1
        elif mo == 0:
            y, mo = y - 1, 12
    raise _out_of_range(text)


def _add(today: date, unit: str, n: int, text: str) -> date:
    try:
        if unit == "d":
            return _shift_days(today, n, text)
        if unit == "w":
            return _shift_days(today, 7 * n, text)
        # dateutil has no stubs: relativedelta is Any to mypy, date + relativedelta is a date
        shifted: date = today + (relativedelta(months=n) if unit == "m" else relativedelta(years=n))
        return shifted
    except (OverflowError, ValueError):
        raise _out_of_range(text) from None


def _parse_monthname(s: str, today: date, past_only: bool, shown: str) -> date | None:
    m = _RE_MONTHNAME.fullmatch(s)
    en = False
    if m is None or m["month"] not in _MONTH_WORDS:
        m2 = _RE_MONTHNAME_EN.fullmatch(s)
        if m2 is not None and m2["month"] in _MONTH_WORDS:
            m, en = m2, True
        elif m is None:
            return None
    month = _MONTH_WORDS.get(m["month"])
    if month is None:
        raise ValueError(_("Cannot read «{word}» in «{text}»").format(word=m["month"], text=shown))
    wd = _weekday_word(m["wd"], shown)
    d = int(m["day"])
    ys = m["year"]
    if ys is None:
        result = _without_year(month, d, today, past_only, shown)
    else:
        result = _with_year(int(ys), ys, month, d, today, past_only, shown)
    if wd is not None and result.weekday() != wd:
        raise ValueError(
            _("{date} is a {actual}, not a {given}").format(
                date=format_date_short(result),
                actual=weekday_name(result.weekday()),
                given=weekday_name(wd),
            )
        )
    if not en and m["week"] is not None and int(m["week"]) != result.isocalendar()[1]:
        raise ValueError(
            _("{date} is in week {actual}, not week {given}").format(
                date=format_date_short(result), actual=result.isocalendar()[1], given=int(m["week"])
            )
        )
    return result


# --- parse_time --------------------------------------------------------------------


def parse_time(text: str) -> time:
    """"10", "1030", "10.30", "10:30", "kl 10.30", "kl. 9" -> time."""
    if not isinstance(text, str):
        raise ValueError(_("Cannot read the time: «{text}»").format(text=text))
    s = text.strip()
    if not s:
        raise ValueError(_("Type a time"))
    if len(s) > 30:
        raise ValueError(_("Cannot read the time: the text is too long"))
    m = _RE_TIME.fullmatch(s)
    if m:
        h = int(m[1])
        mi = int(m[2]) if m[2] else 0
    else:
        m = _RE_TIME_COMPACT.fullmatch(s)
        if not m:
            raise ValueError(_("Cannot read the time: «{text}»").format(text=s))
        digits = m[1]
        h, mi = int(digits[:-2]), int(digits[-2:])
    if h > 23:
        raise ValueError(
            _("Invalid time: «{text}» (hours go from 0 to 23)").format(text=s)
        )
    if mi > 59:
        raise ValueError(
            _("Invalid time: «{text}» (minutes go from 0 to 59)").format(text=s)
        )
    return time(h, mi)


# --- formatting --------------------------------------------------------------------


# English names for display in English mode (the parser knows both languages).
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = (
    "", "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)


def _english() -> bool:
    return language() == "en"


def weekday_name(index: int) -> str:
    """Weekday `index` (0 = Monday) in the active language: "tirsdag" / "Tuesday"."""
    return WEEKDAYS_EN[index] if _english() else WEEKDAYS[index]


def month_name(month: int) -> str:
    """Month `month` (1 = January) in the active language: "december" / "December"."""
    return MONTHS_EN[month] if _english() else MONTHS[month]


def _day_month(day: date) -> str:
    """"1. december" / "1 December"."""
    if _english():
        return f"{day.day} {MONTHS_EN[day.month]}"
    return f"{day.day}. {MONTHS[day.month]}"


def _week(day: date) -> str:
    return _("week {week}").format(week=day.isocalendar()[1])


def format_date_medium(day: date) -> str:
    """"7. juli 1961" / "7 July 1961"."""
    return f"{_day_month(day)} {day.year}"


def format_date_long(day: date) -> str:
    """"tirsdag 1. december 2026 · uge 49" ("Tuesday 1 December 2026 · week 49" in English)."""
    return f"{weekday_name(day.weekday())} {_day_month(day)} {day.year} · {_week(day)}"


def format_date_short(day: date) -> str:
    """"01.12.2026"."""
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def format_time(t: time) -> str:
    """"10.30" (Danish clock notation)."""
    return f"{t.hour:02d}.{t.minute:02d}"


def describe_date(day: date, today: date | None = None) -> str:
    """What a date field shows beside itself: "tirsdag 1. december · uge 49".

    The year is shown only when it is not this year; today, tomorrow and yesterday
    are named.
    """
    if today is None:
        today = date.today()
    text = f"{weekday_name(day.weekday())} {_day_month(day)}"
    if day.year != today.year:
        text += f" {day.year}"
    text += " · " + _week(day)
    delta = day.toordinal() - today.toordinal()
    if delta == 0:
        text += " · " + _("today")
    elif delta == 1:
        text += " · " + _("tomorrow")
    elif delta == -1:
        text += " · " + _("yesterday")
    return text
