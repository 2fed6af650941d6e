"""Demo patients: households with names, addresses, phones and CPR numbers (some failing
mod-11, some replacement numbers), built from the name lists in data/demo."""
from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from tui.demo.clinic import DEMO_DIR, insert_many
from tui.domain.clock import to_utc
from tui.domain.cpr import KIND_CPR, KIND_X_ECPR, Cpr, mod11_ok, parse_cpr
from tui.domain.names import normalize
from tui.domain.patients import name_key_rows
from tui.domain.phones import normalize_phone
from tui.models import (
    Patient,
    PatientNameKey,
    PatientPhone,
)


def lines(name: str) -> list[str]:
    text = (DEMO_DIR / name).read_text(encoding="utf-8")
    out = [line.strip() for line in text.splitlines()]
    return list(dict.fromkeys(x for x in out if x and not x.startswith("#")))


@dataclass
class Names:
    female: list[str]
    male: list[str]
    surnames: list[str]
    streets: list[str]
    postcodes: list[tuple[str, str]]
    postcode_weights: list[int]
    # language -> kind ("f", "m", "l") -> names, for households that may need an interpreter
    other: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def load_names() -> Names:
    with (DEMO_DIR / "postcodes.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    other: dict[str, dict[str, list[str]]] = {}
    with (DEMO_DIR / "other_names.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            other.setdefault(row["language"], {"f": [], "m": [], "l": []})[row["kind"]].append(row["name"])
    return Names(
        female=lines("first_names_female.txt"),
        male=lines("first_names_male.txt"),
        surnames=lines("surnames.txt"),
        streets=lines("streets.txt"),
        postcodes=[(r["postcode"], r["city"]) for r in rows],
        postcode_weights=[int(r["weight"]) for r in rows],
        other=other,
    )



MOBILE_PREFIXES = ["20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
                   "40", "41", "42", "50", "51", "52", "53", "60", "61", "71", "81", "91",
                   "92", "93"]
LANDLINE_PREFIXES = ["46", "46", "46", "46", "43", "44", "47", "48", "59"]
CAVE = ["Penicillin", "Ibuprofen", "Sulfonamider", "Acetylsalicylsyre", "Latex", "Jod",
        "Kodein", "Plaster", "Nødder (anafylaksi)", "Bistik"]
PATIENT_NOTES = [
    "Foretrækker at blive ringet op efter kl. 15.",
    "Hørehæmmet: tal tydeligt, gerne sms.",
    "Kommer med kørestol; brug indgangen i gården.",
    "Ønsker kvindelig læge.",
    "Pårørende (datter) må kontaktes.",
]


@dataclass
class Person:
    cpr: str
    kind: str
    first: str
    last: str
    birth: dt.date
    sex: str
    address: str
    postcode: str
    city: str
    email: str = ""
    cave: str = ""
    interpreter: str = ""
    protected: bool = False
    deceased: dt.date | None = None
    note: str = ""
    created: dt.datetime | None = None
    phones: list[tuple[str, str]] = field(default_factory=list)  # (E.164, label)


def _birth_for_age(rng: random.Random, age: int, today: dt.date) -> dt.date:
    anchor = dt.date(today.year - age, today.month, min(today.day, 28))
    return anchor - dt.timedelta(days=rng.randrange(365))


def _adult_age(rng: random.Random) -> int:
    band = rng.choices([(18, 30), (30, 45), (45, 60), (60, 75), (75, 90), (90, 100)],
                       weights=[30, 20, 18, 20, 12, 2])[0]
    return rng.randint(*band)


class _CprMaker:
    """Candidates for CPR numbers; parse_cpr decides whether they are valid."""

    def __init__(self, rng: random.Random, today: dt.date):
        self.rng = rng
        self.today = today
        self.used: set[str] = set()  # membership only, never iterated

    def _check(self, digits: str, kind: str, birth: dt.date, sex: str) -> Cpr:
        parsed = parse_cpr(digits, today=self.today)
        if parsed.kind != kind or parsed.birth_date != birth or parsed.sex != sex:
            raise AssertionError(f"demo CPR candidate misread: {parsed!r}")
        self.used.add(parsed.digits)
        return parsed

    def _century_digit(self, year: int) -> int:
        yy = year % 100
        if year < 2000:
            if yy >= 37 and self.rng.random() < 0.05:
                return self.rng.choice([4, 9])
            return self.rng.randint(0, 3)
        if yy <= 36:
            return self.rng.choice([4, 5, 6, 7, 8, 9])
        return self.rng.randint(5, 8)

    def ordinary(self, birth: dt.date, sex: str, *, mod11: bool = True) -> Cpr:
        rng = self.rng
        want = 1 if sex == "M" else 0
        head = birth.strftime("%d%m%y")
        while True:
            d7 = self._century_digit(birth.year)
            body = head + str(d7) + f"{rng.randrange(100):02d}"
            if mod11:
                total = sum(int(c) * w for c, w in zip(body, (4, 3, 2, 7, 6, 5, 4, 3, 2)))
                check = (-total) % 11
                if check == 10 or check % 2 != want:
                    continue
                digits = body + str(check)
            else:
                last = rng.choice([1, 3, 5, 7, 9] if want else [0, 2, 4, 6, 8])
                digits = body + str(last)
                if mod11_ok(digits):
                    continue
            if digits in self.used:
                continue
            return self._check(digits, KIND_CPR, birth, sex)

    def replacement(self, birth: dt.date, sex: str, first: str, last: str) -> Cpr:
        """National X-eCPR: DDMMYY, 1 (1900s) or 7 (2000s), initials, sex digit."""
        c = "1" if birth.year < 2000 else "7"
        letters = ((normalize(first)[:1] or "X") + (normalize(last)[:1] or "X")).upper()
        while True:
            g = self.rng.choice("13579" if sex == "M" else "02468")
            digits = birth.strftime("%d%m%y") + c + letters + g
            if digits in self.used:
                letters = letters[0] + chr(65 + self.rng.randrange(26))
                continue
            return self._check(digits, KIND_X_ECPR, birth, sex)


class _PhoneMaker:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def _make(self, prefixes: list[str]) -> str:
        while True:
            prefix = self.rng.choice(prefixes)
            rest = "".join(str(self.rng.randrange(10)) for _ in range(8 - len(prefix)))
            number = normalize_phone(prefix + rest)
            if number not in self.used:
                self.used.add(number)
                return number

    def mobile(self) -> str:
        return self._make(MOBILE_PREFIXES)

    def landline(self) -> str:
        return self._make(LANDLINE_PREFIXES)


@dataclass
class _Makers:
    """What the demo's people are drawn from; one random generator, used in a fixed order."""

    rng: random.Random
    today: dt.date
    names: Names
    cprs: _CprMaker
    phones: _PhoneMaker


def make_patients(rng: random.Random, count: int, today: dt.date, names: Names) -> list[Person]:
    """`count` patients, living in households; some share a landline."""
    mk = _Makers(rng, today, names, _CprMaker(rng, today), _PhoneMaker(rng))
    households = _make_households(mk, count)
    people = [p for members in households for p in members]
    for members in households:
        _give_phones(mk, members)
    _special_cprs(mk, people, count)
    _add_details(rng, people, today)
    _deceased_and_protected(rng, people, today, count)
    return people


def _make_households(mk: _Makers, count: int) -> list[list[Person]]:
    """Households until there are `count` people; about 5 % speak another language."""
    rng = mk.rng
    languages = list(mk.names.other)
    households: list[list[Person]] = []
    total = 0
    while total < count:
        home = _address(rng, mk.names)
        lang = rng.choice(languages) if languages and rng.random() < 0.05 else ""  # "" = Danish
        members = _household_members(mk, lang, home)[: count - total]
        if lang:
            _need_interpreter(mk, members, lang)
        households.append(members)
        total += len(members)
    return households


def _household_members(mk: _Makers, lang: str, home: tuple[str, str, str]) -> list[Person]:
    rng = mk.rng
    surname_pool = mk.names.other[lang]["l"] if lang else mk.names.surnames
    surname = rng.choice(surname_pool)
    kind = rng.choices(["single", "couple", "family", "single_parent"], weights=[40, 30, 24, 6])[0]
    if kind == "single":
        return [_person(mk, lang, _adult_age(rng), _sex(rng), surname, home)]
    if kind == "couple":
        return _couple(mk, lang, surname, surname_pool, home)
    return _family(mk, lang, kind == "family", surname, surname_pool, home)


def _couple(mk: _Makers, lang: str, surname: str, surname_pool: list[str],
            home: tuple[str, str, str]) -> list[Person]:
    rng = mk.rng
    age = rng.choices([rng.randint(22, 45), rng.randint(45, 70), rng.randint(70, 95)],
                      weights=[25, 45, 30])[0]
    s1 = _sex(rng)
    first = _person(mk, lang, age, s1, surname, home)
    other = surname if rng.random() < 0.7 else rng.choice(surname_pool)
    s2 = ("M" if s1 == "F" else "F") if rng.random() < 0.95 else s1
    return [first, _person(mk, lang, max(18, min(100, age + rng.randint(-5, 5))), s2, other, home)]


def _family(mk: _Makers, lang: str, two_parents: bool, surname: str, surname_pool: list[str],
            home: tuple[str, str, str]) -> list[Person]:
    """A mother and father (or one parent of either sex) with one to three children."""
    rng = mk.rng
    parent_age = rng.randint(27, 56)
    members = [_person(mk, lang, parent_age, "F" if two_parents else _sex(rng), surname, home)]
    if two_parents:
        other = surname if rng.random() < 0.75 else rng.choice(surname_pool)
        members.append(_person(mk, lang, max(20, parent_age + rng.randint(-4, 6)), "M", other, home))
    for _i in range(rng.choices([1, 2, 3], weights=[40, 45, 15])[0]):
        child_age = parent_age - rng.randint(22, 40)
        if child_age < 0 or child_age > 21:
            child_age = rng.randint(0, min(21, parent_age - 22))
        members.append(_person(mk, lang, child_age, _sex(rng), surname, home))
    return members


def _person(mk: _Makers, lang: str, age: int, sex: str, last: str,
            home: tuple[str, str, str]) -> Person:
    birth = _birth_for_age(mk.rng, age, mk.today)
    first = _first_name(mk.rng, mk.names, lang, sex)
    cpr = mk.cprs.ordinary(birth, sex)
    return Person(cpr=cpr.digits, kind=cpr.kind, first=first, last=last, birth=cpr.birth_date,
                  sex=cpr.sex, address=home[0], postcode=home[1], city=home[2])


def _sex(rng: random.Random) -> str:
    return rng.choice("FM")


def _first_name(rng: random.Random, names: Names, lang: str, sex: str) -> str:
    pool = names.male if sex == "M" else names.female
    if lang:
        pool = names.other[lang]["m" if sex == "M" else "f"]
    first = rng.choice(pool)
    if rng.random() < 0.28:
        second = rng.choice(pool)
        if second != first:
            first = f"{first} {second}"
    return first


def _address(rng: random.Random, names: Names) -> tuple[str, str, str]:
    street = rng.choice(names.streets)
    number: int | str = rng.randint(1, 140)
    if rng.random() < 0.1:
        number = f"{number}{rng.choice('ABC')}"
    floor = ""
    if rng.random() < 0.3:
        floor = f", {rng.choice(['st.', '1.', '2.', '3.', '4.'])} {rng.choice(['tv.', 'th.', 'mf.'])}"
    postcode, city = rng.choices(names.postcodes, weights=names.postcode_weights)[0]
    return f"{street} {number}{floor}", postcode, city


def _need_interpreter(mk: _Makers, members: list[Person], lang: str) -> None:
    for p in members:
        if (mk.today - p.birth).days >= 18 * 365 and mk.rng.random() < 0.45:
            p.interpreter = lang


def _give_phones(mk: _Makers, members: list[Person]) -> None:
    """Mobiles for most from 13, a landline shared in ~10% of households, and a young
    child's record carries a parent's mobile."""
    rng, today = mk.rng, mk.today
    adults = [p for p in members if (today - p.birth).days >= 18 * 365]
    for p in members:
        age = (today - p.birth).days // 365
        if age >= 13 and (age < 75 or rng.random() < 0.75) and rng.random() < 0.96:
            p.phones.append((mk.phones.mobile(), "mobil"))
    same_name = [p for p in members if p.last == members[0].last]
    if len(same_name) >= 2 and rng.random() < 0.22:
        number = mk.phones.landline()
        for p in same_name[:4]:
            p.phones.append((number, "fastnet"))
    elif len(members) == 1 and (today - members[0].birth).days >= 70 * 365 and rng.random() < 0.5:
        members[0].phones.append((mk.phones.landline(), "fastnet"))
    for p in members:
        if (today - p.birth).days < 15 * 365:
            for parent in adults:
                mobiles = [n for n, label in parent.phones if label == "mobil"]
                if mobiles:
                    p.phones.append((mobiles[0], "mor" if parent.sex == "F" else "far"))


def _special_cprs(mk: _Makers, people: list[Person], count: int) -> None:
    """Post-2007 numbers failing mod-11 (born 1 January) for some children, replacement
    numbers for some adults."""
    rng, today, cprs = mk.rng, mk.today, mk.cprs
    n_failing = max(1, round(count * 0.005))
    n_replacement = max(1, round(count * 0.005))
    children = [i for i, p in enumerate(people)
                if dt.date(2008, 1, 1) <= p.birth and p.birth.year < today.year]
    adults_idx = [i for i, p in enumerate(people) if 18 <= (today - p.birth).days // 365 <= 70]
    for i in rng.sample(children, min(n_failing, len(children))):
        p = people[i]
        cprs.used.discard(p.cpr)
        birth = dt.date(p.birth.year, 1, 1)
        cpr = cprs.ordinary(birth, p.sex, mod11=False)
        p.cpr, p.birth = cpr.digits, cpr.birth_date
    for i in rng.sample(adults_idx, min(n_replacement, len(adults_idx))):
        p = people[i]
        cprs.used.discard(p.cpr)
        cpr = cprs.replacement(p.birth, p.sex, p.first, p.last)
        p.cpr, p.kind = cpr.digits, cpr.kind


def _add_details(rng: random.Random, people: list[Person], today: dt.date) -> None:
    """E-mail, CAVE, protected address, a note and the day the record was made."""
    for p in people:
        age = (today - p.birth).days // 365
        if 18 <= age <= 78 and rng.random() < 0.4:
            p.email = _email(rng, p)
        if rng.random() < 0.05:
            p.cave = ", ".join(rng.sample(CAVE, rng.choices([1, 2], weights=[85, 15])[0]))
        if rng.random() < 0.004:
            p.protected = True
        if rng.random() < 0.01:
            p.note = rng.choice(PATIENT_NOTES)
        p.created = to_utc(dt.datetime.combine(
            max(p.birth, today - dt.timedelta(days=rng.randint(30, 12 * 365))),
            dt.time(rng.randint(8, 15), rng.randrange(60))))


def _email(rng: random.Random, p: Person) -> str:
    local = f"{normalize(p.first.split()[0])}.{normalize(p.last.split('-')[-1].split()[-1])}"
    if rng.random() < 0.4:
        local += str(rng.randint(1, 99))
    return f"{local}@{rng.choice(['example.com', 'example.net', 'example.org'])}"


def _deceased_and_protected(rng: random.Random, people: list[Person], today: dt.date,
                            count: int) -> None:
    """A few of the old have died; at least one patient has a protected address."""
    old = [p for p in people if (today - p.birth).days >= 75 * 365]
    for p in rng.sample(old, min(len(old), max(1, round(count * 0.004)))):
        p.deceased = today - dt.timedelta(days=rng.randint(10, 700))
    if not any(p.protected for p in people):
        rng.choice(people).protected = True


def insert_patients(people: list[Person]) -> list[int]:
    rows = [{
        "cpr": p.cpr, "cpr_kind": p.kind, "first_name": p.first, "last_name": p.last,
        "birth_date": p.birth, "sex": p.sex, "address": p.address, "postcode": p.postcode,
        "city": p.city, "email": p.email, "protected_address": p.protected, "cave": p.cave,
        "interpreter": p.interpreter, "note": p.note, "deceased_date": p.deceased,
        "created_at": p.created, "updated_at": p.created,
    } for p in people]
    insert_many(Patient, rows)
    # peewee types .tuples() as the model query; its rows are (cpr, id)
    pairs = cast("Iterable[tuple[str, int]]", Patient.select(Patient.cpr, Patient.id).tuples())
    by_cpr = dict(pairs)
    ids = [by_cpr[p.cpr] for p in people]
    keys, phones = [], []
    for p, pid in zip(people, ids):
        keys.extend(name_key_rows(pid, p.first, p.last))
        for number, label in p.phones:
            phones.append({"patient": pid, "number": number, "label": label})
    insert_many(PatientNameKey, keys)
    insert_many(PatientPhone, phones)
    return ids


