"""Letters: referrals, discharge summaries, appointment letters and correspondence.

A letter is drafted (usually by a secretary), put in a doctor's queue, signed by the
doctor (the database then refuses any change to its content) and sent, that is
exported as plain text, PDF or, for correspondence, a MedCom CareCommunication FHIR
message. A sent letter is never changed: a new version is a new letter that refers to
the old one (`Letter.replaces`).

Letter bodies are prefilled from Jinja2 templates rendered in a sandbox: the Danish
templates shipped in data/templates, or the clinic's own (LetterTemplate rows).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from peewee import JOIN

from tui.db import database_proxy as db
from tui.domain import audit, auth, clock, organizations, settings
from tui.domain.private import strip_controls, write_private
from tui.i18n import N_, _
from tui.models import (
    LETTER_KINDS,
    LETTER_STATUSES,
    Appointment,
    AppointmentType,
    Draft,
    Letter,
    LetterTemplate,
    Organization,
    Patient,
    PatientPhone,
    Staff,
    utcnow,
)
from tui.paths import DATA_DIR

TEMPLATE_DIR = DATA_DIR / "templates"


class LetterError(Exception):
    """A letter action that cannot be done now; the message is for the user."""


# --- kinds and their fields ----------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str  # N_-marked English
    multiline: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (value, Danish label shown in the letter)
    required: bool = False
    date: bool = False  # typed through tui.domain.dates.parse_date, stored as dd.mm.yyyy
    doctor: bool = False  # the id of an active doctor, chosen from a list


@dataclass(frozen=True)
class KindSpec:
    kind: str
    label: str  # N_-marked English
    title: str  # the Danish word printed on the letter
    fields: tuple[FieldSpec, ...]
    needs_recipient: bool = True


PRIORITIES = (("routine", "Rutine"), ("urgent", "Haster"), ("asap", "Hurtigst muligt"),
              ("acute", "Akut"))
# "" first: a yes/no that nobody answered prints "Ikke angivet", never a reassuring "Nej".
YES_NO = (("", "Ikke angivet"), ("nej", "Nej"), ("ja", "Ja"))
NOT_GIVEN = "Ikke angivet"
# The free text of a letter: its own field, printed after what the template makes of the others.
FREE_TEXT = "text"
# MedCom CareCommunication categories (code, Danish designation), from the IG's CodeSystem.
CARE_CATEGORIES = (
    ("other", "Andet"),
    ("regarding-referral", "Vedr. henvisning"),
    ("examination-results", "Undersøgelsessvar"),
    ("medicine", "Medicin"),
    ("carecoordination", "Forløbskoordinering"),
    ("discharge", "Udskrivelse"),
    ("outpatient", "Ambulant"),
    ("nursing", "Sygepleje"),
    ("training", "Træning"),
    ("assistive-devices", "Hjælpemidler"),
    ("home-care-assessment", "Visitation"),
    ("healthcare", "Sundhedspleje"),
    ("psychiatry-social-disability", "Psykiatri, social, handicap"),
    ("alcohol-and-drug-treatment", "Rusmiddelbehandling"),
    ("telemedicine", "Telemedicin"),
    ("decease", "Dødsfald"),
    ("acute-ambulant", "Akut ambulant"),
    ("extended-care-responsibility", "Udvidet behandlingsansvar"),
)

KINDS: dict[str, KindSpec] = {
    "henvisning": KindSpec("henvisning", N_("Referral"), "Henvisning", (
        FieldSpec("priority", N_("Priority"), choices=PRIORITIES, required=True),
        FieldSpec("diagnosis_code", N_("Diagnosis code (ICD-10/SKS)")),
        FieldSpec("diagnosis_text", N_("Diagnosis"), required=True),
        FieldSpec("secondary_diagnoses", N_("Other diagnoses")),
        FieldSpec("history", N_("History"), multiline=True),
        FieldSpec("findings", N_("Findings"), multiline=True),
        FieldSpec("question", N_("Question to the receiver"), multiline=True, required=True),
        FieldSpec("results", N_("Test results"), multiline=True),
        FieldSpec("medication", N_("Medication"), multiline=True),
        FieldSpec("cave", N_("CAVE / allergies")),
        FieldSpec("interpreter", N_("Interpreter")),
        FieldSpec("special_needs", N_("Special needs")),
        FieldSpec("referring_doctor", N_("Referring doctor"), required=True, doctor=True),
    )),
    "epikrise": KindSpec("epikrise", N_("Discharge summary"), "Epikrise", (
        FieldSpec("follow_up", N_("Follow-up with own GP"), choices=YES_NO, required=True),
        FieldSpec("follow_up_what", N_("Follow-up: what")),
        FieldSpec("department", N_("Department")),
        FieldSpec("admitted", N_("Admitted (date)"), required=True, date=True),
        FieldSpec("discharged", N_("Discharged (date)"), required=True, date=True),
        FieldSpec("diagnoses", N_("Diagnoses"), multiline=True, required=True),
        FieldSpec("procedures", N_("Procedures"), multiline=True),
        FieldSpec("cave", N_("CAVE / allergies")),
        FieldSpec("medication", N_("Medication"), multiline=True),
        FieldSpec("course", N_("Course"), multiline=True),
        FieldSpec("responsible_doctor", N_("Responsible doctor"), required=True, doctor=True),
    )),
    "indkaldelse": KindSpec("indkaldelse", N_("Appointment letter"), "Indkaldelse", (
        FieldSpec("appointment_text", N_("Appointment"), required=True),
        FieldSpec("place", N_("Place")),
        FieldSpec("preparation", N_("Preparation"), multiline=True),
    ), needs_recipient=False),
    "korrespondance": KindSpec("korrespondance", N_("Correspondence"), "Korrespondance", (
        FieldSpec("category", N_("Category"), choices=CARE_CATEGORIES, required=True),
    )),
}
assert tuple(KINDS) == LETTER_KINDS

STATUS_LABELS = {
    "draft": N_("draft"),
    "awaiting_signature": N_("at doctor"),
    "signed": N_("signed"),
    "sent": N_("sent"),
    "returned": N_("returned"),
}
# How a letter left the clinic (mark_sent).
SEND_CHANNELS = {"file": N_("as a file"), "medcom": N_("through MedCom"),
                 "print": N_("printed and posted")}
SEND_CHANNEL_TEXT = {"file": "som fil", "medcom": "via MedCom", "print": "udskrevet og sendt med post"}
# Whether a kind needs a doctor's signature, unless the clinic says otherwise
# (setting "letters.needs_signature": {kind: bool}).
NEEDS_SIGNATURE = {"henvisning": True, "epikrise": True, "indkaldelse": False,
                   "korrespondance": True}


def set_needs_signature(user: Staff, choices: dict[str, bool]) -> dict[str, bool]:
    """Which kinds of letter need a doctor's signature (the administrator decides)."""
    auth.require(user, "admin.settings")
    clean = {k: bool(v) for k, v in choices.items() if k in KINDS}
    stored = dict(settings.get("letters.needs_signature", {}) or {})
    stored.update(clean)
    settings.put("letters.needs_signature", stored, by=user)
    return {k: needs_signature(k) for k in KINDS}


def needs_signature(kind: str) -> bool:
    chosen = settings.get("letters.needs_signature", {}) or {}
    value = chosen.get(kind) if isinstance(chosen, dict) else None
    return NEEDS_SIGNATURE.get(kind, True) if value is None else bool(value)
assert tuple(STATUS_LABELS) == LETTER_STATUSES

ORGANIZATION_KINDS = organizations.KINDS


def kind_spec(kind: str) -> KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        raise LetterError(_("Unknown kind of letter: {kind}").format(kind=kind)) from None


def choice_label(choices: tuple[tuple[str, str], ...], value: str) -> str:
    return next((label for code, label in choices if code == value), value)


# --- templates: a sandbox that cannot reach Python's internals ------------------------


def _date_filter(value: Any, fmt: str = "%d.%m.%Y") -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime(fmt)
    return "" if value is None else str(value)


class _Undefined(jinja2.ChainableUndefined):
    """A missing merge field renders as nothing (and `a.b.c` of it too); but what the
    sandbox refused (Python internals, changing data) is an error, never silence."""

    __slots__ = ()

    def _refused(self) -> bool:
        return issubclass(self._undefined_exception, jinja2.exceptions.SecurityError)

    def __str__(self) -> str:
        if self._refused():
            self._fail_with_undefined_error()
        return ""

    def __getattr__(self, name: str):
        if name[:2] == "__" or self._refused():
            return self._fail_with_undefined_error()
        return self

    def __getitem__(self, _name):
        if self._refused():
            self._fail_with_undefined_error()
        return self

    def __iter__(self):
        if self._refused():
            self._fail_with_undefined_error()
        return iter(())


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
        undefined=_Undefined,
    )
    env.filters["dato"] = _date_filter
    return env


@dataclass
class Rendered:
    text: str = ""
    error: str = ""  # empty when it rendered

    @property
    def ok(self) -> bool:
        return not self.error


# Jinja's own words for what it expected, as the template's author types them.
_JINJA_TOKENS = {"end of print statement": "}}", "end of statement block": "%}",
                 "end of template": N_("the end"), "name": N_("a name"), "integer": N_("a number")}


def _token(word: str) -> str:
    shown = _JINJA_TOKENS.get(word, word)
    return _(shown) if shown in (N_("the end"), N_("a name"), N_("a number")) else shown


def _syntax_message(exc: jinja2.TemplateSyntaxError) -> str:
    """Jinja's message (English, and written for programmers) in the user's language."""
    message = exc.message or ""
    m = re.search(r"looking for the following tags: (.*?)\. The innermost block that needs to be "
                  r"closed is '(\w+)'", message)
    if m:
        return _("{block} is never closed: {{% end{block} %}} is missing").format(block=m.group(2))
    m = re.fullmatch(r"Encountered unknown tag '(\w+)'\.?.*", message, re.S)
    if m:
        return _("Unknown or misplaced tag: {{% {tag} %}}").format(tag=m.group(1))
    m = re.fullmatch(r"(?:expected token|Expected an expression,?) ?'?(.*?)'?,? got '(.*)'", message)
    if m:
        if m.group(1):
            return _("Expected «{want}» but found «{got}»").format(want=_token(m.group(1)),
                                                                 got=_token(m.group(2)))
        return _("A value is missing before «{got}»").format(got=_token(m.group(2)))
    m = re.fullmatch(r"[Uu]nexpected '(.*)'", message)
    if m:
        return _("«{token}» does not belong here").format(token=_token(m.group(1)))
    m = re.fullmatch(r"No filter named '(.*)'\.?", message)
    if m:
        return _("Unknown filter: {name}").format(name=m.group(1))
    if "end of template" in message:
        return _("The template ends too early: a tag or a {{ }} is not closed")
    return _("The template cannot be read here")


def _runtime_message(exc: Exception) -> str:
    message = str(exc)
    m = re.fullmatch(r"'(.*)' is undefined", message)
    if isinstance(exc, jinja2.UndefinedError) and m:
        return _("Unknown field: {name}").format(name=m.group(1))
    if isinstance(exc, ZeroDivisionError):
        return _("Division by zero")
    if isinstance(exc, (TypeError, ValueError)):
        return _("A field cannot be used this way")
    return _("The template failed while being filled in")


def check_template(source: str) -> str:
    """An error message for a template that does not compile, or ""."""
    try:
        environment().parse(source)
    except jinja2.TemplateSyntaxError as exc:
        return _("Line {line}: {message}").format(line=exc.lineno, message=_syntax_message(exc))
    return ""


@lru_cache(maxsize=64)
def _compiled(source: str):
    return environment().from_string(source)


def render_template(source: str, context: dict[str, Any]) -> Rendered:
    """Render a template in the sandbox, in a separate process with a time and an output
    limit (tui.domain.template_render). Never raises: a failure comes back as .error."""
    from tui.domain import template_render

    text, error = template_render.render(source, context)
    return Rendered("", error) if error else Rendered(text)


TOO_LONG = "too long"


def render_here(source: str, context: dict[str, Any], max_output: int) -> Rendered:
    """Render in this process (the render process's side of render_template)."""
    try:
        pieces, size = [], 0
        for piece in _compiled(source).generate(**context):
            size += len(piece)
            if size > max_output:
                return Rendered("", TOO_LONG)
            pieces.append(piece)
        text = "".join(pieces)
    except jinja2.TemplateSyntaxError as exc:
        return Rendered("", _("Line {line}: {message}").format(line=exc.lineno, message=_syntax_message(exc)))
    except jinja2.exceptions.SecurityError as exc:
        unsafe = re.search(r"attribute '(.+?)'", str(exc))
        return Rendered("", _("Not allowed in a template: {message}").format(
            message=unsafe.group(1) if unsafe else "?"))
    except MemoryError:
        return Rendered("", _("The template needs too much memory."))
    except Exception as exc:  # any other template failure is shown, never raised
        return Rendered("", _runtime_message(exc))
    return Rendered(text.strip("\n") + "\n")


@lru_cache(maxsize=1)
def shipped_templates() -> dict[str, str]:
    """The Danish templates that ship with Skranke, by kind."""
    out = {}
    for kind in LETTER_KINDS:
        path = TEMPLATE_DIR / f"{kind}.j2"
        out[kind] = path.read_text(encoding="utf-8") if path.exists() else ""
    return out


@dataclass(frozen=True)
class TemplateChoice:
    id: int | None  # None = the shipped template
    kind: str
    name: str
    body: str

    @property
    def shipped(self) -> bool:
        return self.id is None


def templates_for(kind: str) -> list[TemplateChoice]:
    """The clinic's own templates for a kind (newest first), then the shipped one."""
    kind_spec(kind)
    rows = (LetterTemplate.select()
            .where((LetterTemplate.kind == kind) & (LetterTemplate.active == True))  # noqa: E712
            .order_by(LetterTemplate.updated_at.desc()))
    out = [TemplateChoice(r.id, r.kind, r.name, r.body) for r in rows]
    out.append(TemplateChoice(None, kind, _("Standard"),
                              shipped_templates()[kind]))
    return out


def default_template(kind: str) -> TemplateChoice:
    return templates_for(kind)[0]


def save_template(user: Staff, kind: str, name: str, body: str,
                  template_id: int | None = None) -> LetterTemplate:
    """Create or change a clinic template; refuses one that does not compile."""
    auth.require(user, "letter.templates")
    kind_spec(kind)
    name = name.strip()
    if not name:
        raise LetterError(_("The template needs a name."))
    problem = check_template(body)
    if problem:
        raise LetterError(problem)
    with db.atomic():
        if template_id is None:
            row = LetterTemplate.create(kind=kind, name=name, body=body, updated_by=user,
                                        updated_at=utcnow())
        else:
            row = LetterTemplate.get_by_id(template_id)
            row.kind, row.name, row.body = kind, name, body
            row.updated_by, row.updated_at = user, utcnow()
            row.save()
        audit.log("letter_template_saved", user, detail=f"{kind}: {name}")
    return row


def retire_template(user: Staff, template_id: int) -> None:
    auth.require(user, "letter.templates")
    row = LetterTemplate.get_by_id(template_id)
    row.active = False
    row.save()
    audit.log("letter_template_retired", user, detail=f"{row.kind}: {row.name}")


# --- the merge context -----------------------------------------------------------------


def _fmt_cpr(digits: str, masked: bool) -> str:
    from tui.domain.cpr import format_cpr

    try:
        return format_cpr(digits, masked=masked)
    except ValueError:
        return digits


def _fmt_phone(number: str) -> str:
    from tui.domain.phones import format_phone

    return format_phone(number) if number else ""


def patient_context(patient: Patient, *, masked_cpr: bool = False) -> dict[str, Any]:
    phone = (PatientPhone.select(PatientPhone.number).where(PatientPhone.patient == patient)
             .order_by(PatientPhone.id).first())
    return {
        "name": patient.full_name,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "cpr": _fmt_cpr(patient.cpr, masked_cpr),
        "birth_date": _date_filter(patient.birth_date),
        "address": "" if patient.protected_address else patient.address,
        "postcode": "" if patient.protected_address else patient.postcode,
        "city": "" if patient.protected_address else patient.city,
        "protected_address": bool(patient.protected_address),
        "phone": _fmt_phone(phone.number) if phone else "",
        "email": patient.email,
        "cave": patient.cave,
        "interpreter": patient.interpreter,
        "own_gp": patient.own_gp,
    }


def staff_context(person: Staff | None) -> dict[str, Any]:
    if person is None:
        return {"name": "", "initials": "", "title": "", "phone": "", "email": "",
                "authorisation_id": ""}
    return {
        "name": person.full_name,
        "initials": person.initials,
        "title": person.title or {"doctor": "Læge", "nurse": "Sygeplejerske",
                                  "secretary": "Lægesekretær"}.get(person.role, ""),
        "phone": person.phone,
        "email": person.email,
        "authorisation_id": person.authorisation_id or "",
    }


def organization_context(org: Organization | None) -> dict[str, Any] | None:
    if org is None:
        return None
    return {"name": org.name, "kind": org.kind, "sor": org.sor, "ean": org.ean,
            "address": org.address, "postcode": org.postcode, "city": org.city,
            "phone": org.phone}


def appointment_context(appt: Appointment | None) -> dict[str, Any] | None:
    if appt is None:
        return None
    from tui.domain.dates import WEEKDAYS

    start = appt.start
    return {
        "date": start.strftime("%d.%m.%Y"),
        "time": start.strftime("%H.%M"),
        "weekday": WEEKDAYS[start.weekday()],
        "with": appt.staff.full_name,
        "type": appt.type.name,
        "minutes": int((appt.end - appt.start).total_seconds() // 60),
    }


def describe_appointment(appt: Appointment) -> str:
    """'torsdag 03.12.2026 kl. 10.30 (Konsultation 15 min)': the default appointment field."""
    c = appointment_context(appt)
    return f"{c['weekday']} {c['date']} kl. {c['time']} ({c['type']}, {c['minutes']} min)"


def doctor_by_id(value: Any) -> Staff | None:
    """The active doctor a doctor field names (its value is the Staff id), or None."""
    try:
        staff_id = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    person = Staff.get_or_none(Staff.id == staff_id)
    if person is None or not person.active or not auth.can(person, "letter.sign"):
        return None
    return person


def _field_text(spec: FieldSpec, value: str) -> str:
    """What a field prints as in the letter: a doctor's name, a choice's label, the text."""
    if spec.doctor:
        person = doctor_by_id(value)
        return person.full_name if person is not None else ""
    if spec.choices:
        return choice_label(spec.choices, value) if value else ""
    return value


def merge_context(patient: Patient, kind: str, fields: dict[str, Any], *,
                  author: Staff | None = None, doctor: Staff | None = None,
                  recipient: Organization | None = None,
                  appointment: Appointment | None = None,
                  replaces: Letter | None = None, masked_cpr: bool = False) -> dict[str, Any]:
    """Everything a template may use: clinic, patient, author, doctor (the signer, never
    the author), recipient, appointment, f (the structured fields as printed), today."""
    spec = kind_spec(kind)
    raw = {f.name: str(fields.get(f.name, "") or "") for f in spec.fields}
    values = {f.name: _field_text(f, raw[f.name]) for f in spec.fields}
    values.update({k: str(v) for k, v in fields.items() if k not in values})
    values.pop(FREE_TEXT, None)
    responsible = next((doctor_by_id(raw[f.name]) for f in spec.fields if f.doctor), None)
    return {
        "kind": kind,
        "title": spec.title,
        "clinic": clinic_for_print(),
        "patient": patient_context(patient, masked_cpr=masked_cpr),
        "author": staff_context(author),
        "doctor": staff_context(doctor),
        "responsible": staff_context(responsible),
        "recipient": organization_context(recipient),
        "appointment": appointment_context(appointment),
        "f": values,
        "priority_text": choice_label(PRIORITIES, raw.get("priority", "")),
        "category_text": choice_label(CARE_CATEGORIES, raw.get("category", "")),
        "today": clock.today().strftime("%d.%m.%Y"),
        "replaces": ({"id": replaces.id, "date": _date_filter(clock.to_local(replaces.sent_at))}
                     if replaces is not None else None),
    }


def default_fields(kind: str, patient: Patient, user: Staff,
                   appointment: Appointment | None = None) -> dict[str, str]:
    """Field values a new letter starts with (from the record and the appointment)."""
    spec = kind_spec(kind)
    out = {f.name: "" for f in spec.fields}
    if "cave" in out:
        out["cave"] = patient.cave
    if "interpreter" in out:
        out["interpreter"] = patient.interpreter
    if "priority" in out:
        out["priority"] = "routine"
    if "category" in out:
        out["category"] = "other"
    if auth.can(user, "letter.sign"):
        for f in spec.fields:
            if f.doctor:
                out[f.name] = str(user.id)
    if appointment is not None and "appointment_text" in out:
        out["appointment_text"] = describe_appointment(appointment)
    return out


def sample_context(kind: str) -> dict[str, Any]:
    """A made-up patient and clinic for previewing a template while it is edited."""
    spec = kind_spec(kind)
    fields = {f.name: (f.choices[0][0] if f.choices else f"<{f.name}>") for f in spec.fields}
    return {
        "kind": kind, "title": spec.title, "clinic": settings.clinic(),
        "patient": {"name": "Søren Ærø Åberg", "first_name": "Søren", "last_name": "Ærø Åberg",
                    "cpr": "010203-xxxx", "birth_date": "01.02.2003", "address": "Østergade 1",
                    "postcode": "5970", "city": "Ærøskøbing", "protected_address": False,
                    "phone": "12 34 56 78", "email": "", "cave": "Penicillin",
                    "interpreter": "", "own_gp": ""},
        "author": {"name": "Anne Sekretær", "initials": "AS", "title": "Lægesekretær",
                   "phone": "", "email": "", "authorisation_id": ""},
        "doctor": {"name": "Lars Læge", "initials": "LL", "title": "Læge", "phone": "",
                   "email": "", "authorisation_id": "ABC12"},
        "responsible": {"name": "Lars Læge", "initials": "LL", "title": "Læge", "phone": "",
                        "email": "", "authorisation_id": "ABC12"},
        "recipient": {"name": "Medicinsk afdeling", "kind": "hospital", "sor": "999000000001",
                      "ean": "5790000000005", "address": "Sygehusvej 1", "postcode": "5700",
                      "city": "Svendborg", "phone": ""},
        "appointment": {"date": "03.12.2026", "time": "10.30", "weekday": "torsdag",
                        "with": "Lars Læge", "type": "Konsultation", "minutes": 15},
        "f": fields,
        "priority_text": "Rutine", "category_text": "Andet",
        "today": clock.today().strftime("%d.%m.%Y"), "replaces": None,
    }


# --- letters ------------------------------------------------------------------------


def _letter_context(letter: Letter, *, fields=None, recipient=None, masked_cpr=False):
    doctor = letter.signer if letter.signer_id else None
    return merge_context(
        letter.patient, letter.kind, fields if fields is not None else (letter.fields or {}),
        author=letter.author, doctor=doctor,
        recipient=recipient if recipient is not None else letter.recipient,
        appointment=letter.appointment if letter.appointment_id else None,
        replaces=letter.replaces if letter.replaces_id else None, masked_cpr=masked_cpr)


def free_text(letter: Letter, fields: dict[str, Any] | None = None) -> str:
    """The letter's own text (typed in the editor), kept apart from the structured fields.

    A letter from before the split has no such field: its text is what its body says
    after what the template made of the fields, or the whole body when it was rewritten."""
    values = fields if fields is not None else (letter.fields or {})
    if FREE_TEXT in values:
        return str(values[FREE_TEXT] or "")
    body = letter.body or ""
    made = prefill_body(letter, fields=values, text="")
    if made.ok and body.startswith(made.text.rstrip("\n")):
        return body[len(made.text.rstrip("\n")):].strip("\n")
    return body


def prefill_body(letter: Letter, template_body: str | None = None, *,
                 fields: dict[str, Any] | None = None,
                 recipient: Organization | None = None, text: str | None = None) -> Rendered:
    """The whole text of the letter: what the template makes of the (possibly unsaved)
    field values, then the free text. Rendered again at every change, so what is signed
    is always what the fields say."""
    if template_body is None:
        template_body = (letter.template.body if letter.template_id
                         else default_template(letter.kind).body)
    values = dict(fields if fields is not None else (letter.fields or {}))
    if text is None:
        text = free_text(letter, values)
    rendered = render_template(template_body, _letter_context(letter, fields=values,
                                                              recipient=recipient))
    if not rendered.ok:
        return rendered
    parts = [rendered.text.strip("\n"), str(text or "").strip("\n")]
    return Rendered("\n\n".join(p for p in parts if p) + "\n")


compose_body = prefill_body


def next_appointment(patient: Patient | int) -> Appointment | None:
    """The patient's next booked appointment (what an appointment letter is about)."""
    return (Appointment.select(Appointment, AppointmentType, Staff)
            .join(AppointmentType).switch(Appointment).join(Staff)
            .where((Appointment.patient == patient) & (Appointment.status == "booked")
                   & (Appointment.start >= clock.now_local()))
            .order_by(Appointment.start).first())


def default_subject(kind: str, patient: Patient) -> str:
    return f"{kind_spec(kind).title}: {patient.full_name}"


def create_letter(user: Staff, patient: Patient, kind: str, *,
                  recipient: Organization | None = None,
                  appointment: Appointment | None = None,
                  template: TemplateChoice | None = None,
                  fields: dict[str, Any] | None = None,
                  body: str | None = None, subject: str | None = None,
                  replaces: Letter | None = None) -> Letter:
    """A new draft; its text is rendered from its fields (`body` is its free text)."""
    auth.require(user, "letter.draft")
    kind_spec(kind)
    template = template or default_template(kind)
    values = default_fields(kind, patient, user, appointment)
    values.update({k: str(v) for k, v in (fields or {}).items()})
    if body is not None and FREE_TEXT not in (fields or {}):
        values[FREE_TEXT] = body
    values.setdefault(FREE_TEXT, "")
    values = _normalized(kind, values)
    letter = Letter(
        patient=patient, kind=kind, recipient=recipient, appointment=appointment,
        template=template.id, fields=values, subject=subject or default_subject(kind, patient),
        body="", status="draft", author=user, replaces=replaces)
    # Rendered before the transaction: a slow template (up to its time limit) must not hold
    # the database's write lock, which every other desk waits on.
    rendered = prefill_body(letter, template.body)
    letter.body = rendered.text if rendered.ok else values[FREE_TEXT]
    with db.atomic():
        letter.created_at = letter.updated_at = utcnow()
        letter.save(force_insert=True)
        audit.log("letter_created", user, patient=patient,
                  detail=f"letter {letter.id} ({kind})" + (f", replaces {replaces.id}" if replaces else ""))
    return letter


def get_letter(user: Staff, letter_id: int, *, reason: str = "") -> Letter:
    """A letter, for reading; the look at the patient's letter is audited."""
    auth.require(user, "letters.view")
    letter = (Letter.select(Letter, Patient).join(Patient)
              .where(Letter.id == letter_id).get_or_none())
    if letter is None:
        raise LetterError(_("The letter no longer exists."))
    audit.log("letter_viewed", user, patient=letter.patient_id, detail=f"letter {letter.id}",
              reason=reason)
    return letter


def peek(user: Staff, letter_id: int) -> Letter | None:
    """The letter row (for its status and kind) without showing its content: not audited."""
    auth.require(user, "letters.view")
    return Letter.get_or_none(Letter.id == letter_id)


def organization(org_id: int | None) -> Organization | None:
    return Organization.get_or_none(Organization.id == org_id) if org_id else None


def _reload(letter: Letter | int) -> Letter:
    letter_id = letter if isinstance(letter, int) else letter.id
    row = Letter.get_or_none(Letter.id == letter_id)
    if row is None:
        raise LetterError(_("The letter no longer exists."))
    return row


EDITABLE = ("draft", "returned")


def _must_be(letter: Letter, *statuses: str) -> None:
    if letter.status not in statuses:
        if letter.status in ("signed", "sent"):
            raise LetterError(_("The letter is signed and cannot change. Write a new version."))
        raise LetterError(_("Not possible while the letter is {status}.").format(
            status=_(STATUS_LABELS[letter.status])))


def _normalized(kind: str, fields: dict[str, Any]) -> dict[str, str]:
    """Field values as stored: a date that parses is stored as dd.mm.yyyy ("i går" becomes
    the date); anything else is kept as typed, and `problems` refuses it."""
    from tui.domain.dates import parse_date

    out = {k: str(v) for k, v in fields.items()}
    for f in kind_spec(kind).fields:
        value = out.get(f.name, "").strip()
        if f.date and value:
            try:
                out[f.name] = parse_date(value, clock.today()).strftime("%d.%m.%Y")
            except ValueError:
                out[f.name] = value
    return out


def update_draft(user: Staff, letter: Letter | int, *, fields: dict[str, Any] | None = None,
                 body: str | None = None, subject: str | None = None,
                 recipient: Organization | None | bool = False,
                 template_id: int | None | bool = False) -> Letter:
    """Save changes to a draft (also one returned by a doctor). `recipient=False` keeps it.
    `body` is the free text; the letter's text is rendered again from all its fields."""
    auth.require(user, "letter.draft")

    def changed() -> Letter:
        row = _reload(letter)
        _must_be(row, "draft", "returned", "awaiting_signature")
        if row.status == "awaiting_signature" and not auth.can(user, "letter.sign"):
            raise LetterError(_("The letter waits for a doctor's signature. Ask the doctor "
                                "to return it to you to change it."))
        values = dict(row.fields or {})
        if FREE_TEXT not in values:
            values[FREE_TEXT] = free_text(row)
        if fields is not None:
            values.update({k: str(v) for k, v in fields.items()})
        if body is not None:
            values[FREE_TEXT] = body
        row.fields = _normalized(row.kind, values)
        if subject is not None:
            row.subject = subject.strip()[:200]
        if recipient is not False:
            row.recipient = recipient
        if template_id is not False:
            row.template = template_id
        return row

    # the template runs (up to its time limit) outside the transaction: no lock is held
    row = changed()
    rendered = prefill_body(row, fields=row.fields,
                            recipient=row.recipient if row.recipient_id else None)
    if not rendered.ok:
        raise LetterError(_("Template error: {e}").format(e=rendered.error))
    with db.atomic():
        row = changed()  # read again: it may have changed meanwhile
        row.body = rendered.text
        row.updated_at = utcnow()
        row.save()
    return row


def problems(letter: Letter, fields: dict[str, Any] | None = None) -> list[str]:
    """What stops the letter from going to a doctor or being signed, for the user."""
    spec = kind_spec(letter.kind)
    values = fields if fields is not None else (letter.fields or {})
    out = []
    if spec.needs_recipient and not letter.recipient_id:
        out.append(_("Recipient"))
    for f in spec.fields:
        value = str(values.get(f.name, "") or "").strip()
        if f.required and not value:
            out.append(_(f.label))
        elif value and f.date:
            from tui.domain.dates import parse_date

            try:
                parse_date(value, clock.today())
            except ValueError:
                out.append(_("{field}: not a date").format(field=_(f.label)))
        elif value and f.doctor and doctor_by_id(value) is None:
            out.append(_("{field}: must be an active doctor").format(field=_(f.label)))
    if not (letter.body or "").strip():
        out.append(_("Text"))
    return out


def missing_fields(letter: Letter) -> list[str]:
    """Kept for callers: the problems of `problems` (already translated)."""
    return problems(letter)


def _check_complete(row: Letter) -> None:
    found = problems(row)
    if found:
        raise LetterError(_("Fill in first: {fields}").format(fields=", ".join(found)))


def submit(user: Staff, letter: Letter | int, signer: Staff | None = None) -> Letter:
    """Draft -> awaiting signature, in `signer`'s queue (any doctor's when None)."""
    auth.require(user, "letter.draft")
    if signer is not None and not auth.can(signer, "letter.sign"):
        raise LetterError(_("{name} cannot sign letters.").format(name=signer.full_name))
    with db.atomic():
        row = _reload(letter)
        _must_be(row, *EDITABLE)
        if not needs_signature(row.kind):
            raise LetterError(_("This kind of letter needs no signature: finish it instead."))
        _check_complete(row)
        row.status = "awaiting_signature"
        row.signer = signer
        row.return_comment = ""
        row.submitted_at = utcnow()
        row.updated_at = utcnow()
        row.save()
        audit.log("letter_submitted", user, patient=row.patient_id,
                  detail=f"letter {row.id} to {signer.username if signer else 'any doctor'}")
    return row


def return_to_draft(user: Staff, letter: Letter | int, comment: str) -> Letter:
    """A doctor sends a letter back to its author with a comment: the letter is
    "returned" (not a plain draft) and the author gets a task about it."""
    from tui.domain import tasks

    auth.require(user, "letter.sign")
    comment = comment.strip()
    if not comment:
        raise LetterError(_("Write what should be changed."))
    with db.atomic():
        row = _reload(letter)
        _must_be(row, "awaiting_signature")
        row.status = "returned"
        row.return_comment = comment
        row.updated_at = utcnow()
        row.save()
        audit.log("letter_returned", user, patient=row.patient_id, detail=f"letter {row.id}",
                  reason=comment)
        author = row.author
        if author.active and author.id != user.id:
            title = f"Brev nr. {row.id} ({kind_spec(row.kind).title}) returneret: {comment}"
            try:
                tasks.create_task(user, title[:200], text=comment, patient=row.patient,
                                  to=author, due=clock.today())
            except (ValueError, auth.PermissionDenied):
                tasks.create_task(user, title[:200], text=comment, to=author, due=clock.today())
    return row


def _freeze(row: Letter, user: Staff | None) -> None:
    """Render the text from the fields one last time and lock the letter."""
    rendered = prefill_body(row, fields=row.fields or {},
                            recipient=row.recipient if row.recipient_id else None)
    if not rendered.ok:
        raise LetterError(_("Template error: {e}").format(e=rendered.error))
    row.body = rendered.text
    _check_complete(row)
    row.status = "signed"
    row.signer = user
    row.signed_at = utcnow()
    if row.submitted_at is None:
        row.submitted_at = row.signed_at
    row.updated_at = row.signed_at
    row.content_hash = audit.letter_hash(row)  # sealed (tui.domain.audit)
    row.save()


def sign(user: Staff, letter: Letter | int) -> Letter:
    """A doctor signs: from now on the database refuses changes to the letter."""
    auth.require(user, "letter.sign")
    with db.atomic():
        row = _reload(letter)
        _must_be(row, "awaiting_signature", *EDITABLE)
        if row.status == "awaiting_signature" and row.signer_id not in (None, user.id):
            # queued for a colleague: taken over first (tui.domain.signing.take_over)
            raise LetterError(_("The letter waits for {name}. Take it over first.").format(
                name=row.signer.full_name))
        _freeze(row, user)
        audit.log("letter_signed", user, patient=row.patient_id, detail=f"letter {row.id}")
    return row


def finish(user: Staff, letter: Letter | int) -> Letter:
    """A kind that needs no doctor's signature (appointment letters, by default) is made
    final by its author: locked like a signed letter, with no signer."""
    auth.require(user, "letter.draft")
    with db.atomic():
        row = _reload(letter)
        _must_be(row, *EDITABLE)
        if needs_signature(row.kind):
            raise LetterError(_("This kind of letter needs a doctor's signature."))
        _freeze(row, None)
        audit.log("letter_finished", user, patient=row.patient_id, detail=f"letter {row.id}")
    return row


def thread_segments(letter: Letter) -> int:
    """How many earlier segments of a MedCom thread a reply or forward carries (0 for others)."""
    import json

    from tui.domain.fhir import EARLIER_FIELD

    try:
        rows = json.loads(str((letter.fields or {}).get(EARLIER_FIELD) or "[]"))
    except ValueError:
        return 0
    return len(rows) if isinstance(rows, list) else 0


def discard(user: Staff, letter: Letter | int) -> None:
    """Delete a draft that will not be sent (signed letters cannot be deleted)."""
    auth.require(user, "letter.draft")
    with db.atomic():
        row = _reload(letter)
        _must_be(row, *EDITABLE)
        Draft.delete().where((Draft.kind == "letter") & (Draft.key == str(row.id))).execute()
        Letter.update(replaces=None).where(Letter.replaces == row.id).execute()
        row.delete_instance()
        audit.log("letter_discarded", user, patient=row.patient_id, detail=f"letter {row.id}")


def new_version(user: Staff, letter: Letter | int) -> Letter:
    """A sent (or signed) letter is never changed: its new version is a new draft."""
    auth.require(user, "letter.draft")
    old = _reload(letter)
    if old.status not in ("signed", "sent"):
        raise LetterError(_("Only a signed or sent letter gets a new version; change the draft."))
    fields = dict(old.fields or {})
    if FREE_TEXT not in fields:
        fields[FREE_TEXT] = free_text(old)
    return create_letter(
        user, old.patient, old.kind, recipient=old.recipient,
        appointment=old.appointment if old.appointment_id else None,
        template=default_template(old.kind), fields=fields,
        subject=old.subject, replaces=old)


# --- lists ------------------------------------------------------------------------------


@dataclass
class LetterRow:
    id: int
    kind: str
    status: str
    patient_id: int
    patient_name: str
    recipient: str
    subject: str
    author: str  # initials
    signer: str
    updated: dt.datetime  # local
    return_comment: str
    replaces_id: int | None


def list_letters(user: Staff, *, status: str | None = None, kind: str | None = None,
                 patient: Patient | int | None = None, to_sign: bool = False,
                 limit: int = 200, offset: int = 0) -> list[LetterRow]:
    """Letters, newest change first, filtered; `to_sign` = this doctor's queue."""
    auth.require(user, "letters.view")
    Author = Staff.alias()
    Signer = Staff.alias()
    query = (Letter.select(Letter.id, Letter.kind, Letter.status, Letter.patient,
                           Letter.subject, Letter.updated_at, Letter.return_comment,
                           Letter.replaces, Patient.first_name, Patient.last_name,
                           Organization.name.alias("org_name"),
                           Author.initials.alias("author_initials"),
                           Signer.initials.alias("signer_initials"))
             .join(Patient, on=(Letter.patient == Patient.id))
             .switch(Letter).join(Organization, JOIN.LEFT_OUTER, on=(Letter.recipient == Organization.id))
             .switch(Letter).join(Author, on=(Letter.author == Author.id))
             .switch(Letter).join(Signer, JOIN.LEFT_OUTER, on=(Letter.signer == Signer.id)))
    if to_sign:
        query = query.where((Letter.status == "awaiting_signature")
                            & ((Letter.signer == user) | Letter.signer.is_null()))
    if status:
        query = query.where(Letter.status == status)
    if kind:
        query = query.where(Letter.kind == kind)
    if patient is not None:
        pid = patient.id if isinstance(patient, Patient) else patient
        query = query.where(Letter.patient == pid)
    query = query.order_by(Letter.updated_at.desc(), Letter.id.desc()).limit(limit).offset(offset)
    out = []
    for r in query.dicts():
        out.append(LetterRow(
            id=r["id"], kind=r["kind"], status=r["status"], patient_id=r["patient"],
            patient_name=f"{r['first_name']} {r['last_name']}".strip(),
            recipient=r["org_name"] or "", subject=r["subject"],
            author=r["author_initials"] or "", signer=r["signer_initials"] or "",
            updated=clock.to_local(r["updated_at"]), return_comment=r["return_comment"] or "",
            replaces_id=r["replaces"]))
    return out


def to_sign_count(user: Staff) -> int:
    if not auth.can(user, "letter.sign"):
        return 0
    return (Letter.select().where((Letter.status == "awaiting_signature")
                                  & ((Letter.signer == user) | Letter.signer.is_null())).count())


def doctors() -> list[Staff]:
    """Who may sign, for the 'send to' choice."""
    roles = [r for r in ("doctor",) if r in auth.PERMISSIONS["letter.sign"]]
    return list(Staff.select().where(Staff.role.in_(roles) & (Staff.active == True))  # noqa: E712
                .order_by(Staff.full_name))


# --- the editor's unsaved typing (drafts) ----------------------------------------------


def draft_title(letter: Letter) -> str:
    return f"{letter.kind} · {letter.patient.full_name}"


def save_typing(user: Staff, letter: Letter, data: dict[str, Any]) -> None:
    """What the editor holds, saved every second as it is typed (the drafts table)."""
    from tui.domain import drafts

    payload = dict(data)
    payload["title"] = draft_title(letter)
    payload["letter_id"] = letter.id
    drafts.save(user, "letter", letter.id, payload)


def load_typing(user: Staff, letter_id: int) -> dict[str, Any] | None:
    from tui.domain import drafts

    return drafts.load(user, "letter", letter_id)


def forget_typing(user: Staff, letter_id: int) -> None:
    from tui.domain import drafts

    drafts.discard(user, "letter", letter_id)


def unsaved_letters(user: Staff) -> list[tuple[int, str, dt.datetime]]:
    """(letter id, title, saved at local) of letters with typing kept from an earlier session."""
    rows = (Draft.select().where((Draft.owner == user) & (Draft.kind == "letter"))
            .order_by(Draft.updated_at.desc()))
    out = []
    for d in rows:
        try:
            letter_id = int(d.key)
        except ValueError:
            continue
        if Letter.get_or_none(Letter.id == letter_id) is None:
            d.delete_instance()
            continue
        out.append((letter_id, str((d.data or {}).get("title", "")), clock.to_local(d.updated_at)))
    return out


# --- rendering ---------------------------------------------------------------------


@dataclass
class LetterDoc:
    """A letter laid out for output: the same parts for text, PDF and the preview."""

    title: str
    place_date: str
    recipient_lines: list[str]
    meta: list[tuple[str, str]]
    subject: str
    body: str
    signature: list[str]
    notes: list[str] = field(default_factory=list)


def letter_doc(letter: Letter, *, fields: dict[str, Any] | None = None, body: str | None = None,
               subject: str | None = None, recipient: Organization | None | bool = False,
               masked_cpr: bool = False) -> LetterDoc:
    """Lay out a letter (or the editor's unsaved version of it)."""
    org = letter.recipient if recipient is False else recipient
    ctx = _letter_context(letter, fields=fields, recipient=org, masked_cpr=masked_cpr)
    clinic, patient = ctx["clinic"], ctx["patient"]
    spec = kind_spec(letter.kind)
    when = clock.to_local(letter.signed_at).date() if letter.signed_at else clock.today()
    place = clinic.get("city") or ""
    recipient_lines: list[str] = []
    if letter.kind == "indkaldelse" and org is None:
        recipient_lines = [patient["name"], patient["address"],
                           f"{patient['postcode']} {patient['city']}".strip()]
    elif ctx["recipient"]:
        r = ctx["recipient"]
        recipient_lines = [r["name"], r["address"], f"{r['postcode']} {r['city']}".strip()]
        if r["sor"]:
            recipient_lines.append(f"SOR {r['sor']}")
    recipient_lines = [line for line in recipient_lines if line]
    meta = [("Patient", patient["name"]), ("CPR", patient["cpr"])]
    address = ", ".join(p for p in (patient["address"],
                                     f"{patient['postcode']} {patient['city']}".strip()) if p)
    if address:
        meta.append(("Adresse", address))
    if patient["phone"]:
        meta.append(("Telefon", patient["phone"]))
    if letter.kind == "henvisning":
        meta.append(("Prioritet", ctx["priority_text"]))
    if letter.kind == "korrespondance":
        meta.append(("Kategori", ctx["category_text"]))
    doctor = letter.signer if letter.signer_id else None
    signature = []
    if doctor is not None:
        sc = staff_context(doctor)
        signature = [sc["name"], sc["title"]]
        if sc["authorisation_id"]:
            signature.append(f"Autorisations-ID {sc['authorisation_id']}")
    else:
        signature = (["(ikke underskrevet)"] if needs_signature(letter.kind)
                     else [clinic.get("name", "")])
    notes = []
    if letter.replaces_id:
        old = letter.replaces
        sent = clock.to_local(old.sent_at).strftime("%d.%m.%Y") if old.sent_at else ""
        notes.append(f"Erstatter brev nr. {old.id}" + (f" sendt {sent}" if sent else "") + ".")
    return LetterDoc(
        title=spec.title,
        place_date=f"{place + ', ' if place else ''}{when.strftime('%d.%m.%Y')}",
        recipient_lines=recipient_lines, meta=meta,
        subject=(subject if subject is not None else letter.subject),
        body=(body if body is not None else letter.body).rstrip("\n"),
        signature=[s for s in signature if s], notes=notes)


def doc_text(doc: LetterDoc, clinic: dict[str, Any] | None = None) -> str:
    """The letter as plain text (letterhead first when `clinic` is given)."""
    lines: list[str] = []
    if clinic is not None:
        lines.append(clinic.get("name", ""))
        addr = ", ".join(p for p in (clinic.get("address", ""),
                                      f"{clinic.get('postcode', '')} {clinic.get('city', '')}".strip()) if p)
        if addr:
            lines.append(addr)
        if clinic.get("phone"):
            lines.append(f"Tlf. {clinic['phone']}")
        lines.append("")
    lines.extend(doc.recipient_lines)
    lines.append("")
    lines.append(doc.place_date.rjust(60) if doc.place_date else "")
    lines.append("")
    lines.append(doc.title.upper())
    if doc.subject:
        lines.append(f"Emne: {doc.subject}")
    lines.append("")
    width = max(len(k) for k, _v in doc.meta) if doc.meta else 0
    for key, value in doc.meta:
        lines.append(f"{key + ':':<{width + 2}}{value}")
    lines.extend(doc.notes)
    lines.append("")
    lines.append(doc.body)
    lines.append("")
    lines.extend(closing_lines(doc))
    return "\n".join(lines).rstrip() + "\n"


GREETING = "Med venlig hilsen"


def closing_lines(doc: LetterDoc) -> list[str]:
    """The greeting and the signature; no second greeting when the text ends with one."""
    tail = [line.strip().casefold().rstrip(",.") for line in doc.body.strip().splitlines()[-3:]]
    greeting = [] if GREETING.casefold() in tail else [GREETING]
    return greeting + list(doc.signature)


def clinic_for_print() -> dict[str, Any]:
    """The clinic's details as a letter prints them: the phone number in Danish grouping."""
    clinic = settings.clinic()
    if clinic.get("phone"):
        clinic["phone"] = _fmt_phone(str(clinic["phone"]))
    return clinic


def letter_text(letter: Letter) -> str:
    return doc_text(letter_doc(letter), clinic_for_print())


def _letter_pdf(letter: Letter):
    from tui.domain.pdf import ClinicPDF, FontMissing

    clinic = clinic_for_print()
    doc = letter_doc(letter)
    patient = dict(doc.meta)
    head = f"{patient.get('Patient', '')}, CPR {patient.get('CPR', '')}"
    try:
        pdf = ClinicPDF(clinic, f"{doc.title} – {doc.subject}", running_head=head, archival=True)
    except FontMissing as exc:
        raise LetterError(_("The PDF cannot be made: {why}").format(why=exc)) from None
    pdf.set_lang("da")
    pdf.set_subject(doc.title)
    # the same letter gives the same bytes: a re-exported MedCom message is identical
    made = letter.signed_at or letter.updated_at or utcnow()
    pdf.set_creation_date(made.replace(tzinfo=dt.timezone.utc))
    ident = hashlib.md5(f"skranke-letter-{letter.id}-{made.isoformat()}".encode()).hexdigest().upper()
    pdf.file_id = lambda: f"<{ident}><{ident}>"
    pdf.add_page()
    pdf.set_font(pdf.family, "", 10)
    top = pdf.get_y()
    for line in doc.recipient_lines:
        pdf.cell(100, 5, pdf.safe(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(pdf.l_margin, top)
    pdf.cell(0, 5, pdf.safe(doc.place_date), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + 5 * len(doc.recipient_lines)) + 6)
    pdf.heading(doc.title)
    if doc.subject:
        pdf.paragraph(f"Emne: {doc.subject}", bold=True)
        pdf.ln(2)
    pdf.key_values(doc.meta)
    for note in doc.notes:
        pdf.paragraph(note, bold=True)
    for para in doc.body.split("\n"):
        pdf.paragraph(para)
    pdf.ln(6)
    for line in closing_lines(doc):
        pdf.paragraph(line)
    return pdf


def write_pdf(letter: Letter, path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_private(target, pdf_bytes(letter))  # patient data: private (tui.domain.private)
    return target


# --- export -------------------------------------------------------------------------

EXPORT_FORMATS = ("pdf", "txt", "fhir")


def export_filename(letter: Letter, fmt: str) -> str:
    """'henvisning-42-aaberg-2026-11-26.pdf': no CPR number in a file name."""
    from tui.domain.names import normalize

    last = re.sub(r"[^a-z0-9]+", "-", normalize(letter.patient.last_name)).strip("-") or "patient"
    day = (clock.to_local(letter.signed_at) or clock.now_local()).date().isoformat()
    ext = {"pdf": "pdf", "txt": "txt", "fhir": "json"}[fmt]
    return f"{letter.kind}-{letter.id}-{last}-{day}.{ext}"


def _journal_note(user: Staff, patient_id: int, text: str) -> None:
    """An 'administrative' note in the patient's record."""
    from tui.domain import journal

    journal.append(user, Patient.get_by_id(patient_id), "administrative", text)


def export_folder(folder: str | Path) -> Path:
    """The folder, created (private: 0700) when it does not exist yet."""
    path = Path(folder).expanduser()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise LetterError(_("The folder cannot be made: {folder} ({why})").format(
            folder=str(path), why=exc.strerror or exc)) from None
    if not path.is_dir():
        raise LetterError(_("The folder does not exist: {folder}").format(folder=str(path)))
    return path


def pdf_bytes(letter: Letter) -> bytes:
    """The letter as an archival PDF, in memory (for a file or a MedCom attachment).
    The same letter version gives the same bytes (a re-sent message is identical)."""
    data = bytes(_letter_pdf(letter).output())
    # fpdf2 stamps the XMP metadata with the time of writing; use the creation time (the
    # same length, so the cross-reference offsets stay right)
    created = re.search(rb'xmp:CreateDate="([^"]*)"', data)
    if created:
        stamp = created.group(1)
        data = re.sub(rb'(xmp:(?:ModifyDate|MetadataDate)=")([^"]*)(")',
                      lambda m: m.group(1) + (stamp if len(stamp) == len(m.group(2))
                                              else m.group(2)) + m.group(3), data)
    return data


def export(user: Staff, letter: Letter | int, fmt: str, folder: str | Path) -> Path:
    """Write a signed letter to `folder` (PDF, plain text or MedCom FHIR JSON). Writing a
    file is not sending it: `mark_sent` records that. Audited."""
    auth.require(user, "letter.send")
    if fmt not in EXPORT_FORMATS:
        raise LetterError(_("Unknown format: {fmt}").format(fmt=fmt))
    row = _reload(letter)
    if row.status not in ("signed", "sent"):
        raise LetterError(_("Only a signed letter can be exported."))
    if fmt == "fhir" and row.recipient_id is None:
        raise LetterError(_("The letter has no recipient."))
    if fmt == "fhir":
        from tui.domain import fhir

        try:
            bundle = fhir.message_for(row, settings.clinic())
        except fhir.FhirError as exc:
            raise LetterError(_("The MedCom message cannot be made: {why}").format(why=exc)) from None
        found = fhir.problems(bundle)
        if found:
            raise LetterError("; ".join(found))
        data = strip_controls(json.dumps(bundle, ensure_ascii=False, indent=2)).encode("utf-8")
    elif fmt == "pdf":
        data = pdf_bytes(row)
    else:
        data = strip_controls(letter_text(row)).encode("utf-8")
    target = export_folder(folder) / export_filename(row, fmt)
    write_private(target, data)
    audit.log("letter_exported", user, patient=row.patient_id,
              detail=f"letter {row.id} as {fmt} to {target}")
    return target


def mark_sent(user: Staff, letter: Letter | int, channel: str) -> Letter:
    """Record that a signed letter has left the clinic, and how (file, MedCom, print).
    Noted in the patient's record; a letter is sent once (a new version is a new letter)."""
    auth.require(user, "letter.send")
    if channel not in SEND_CHANNELS:
        raise LetterError(_("Unknown way of sending: {c}").format(c=channel))
    with db.atomic():
        row = _reload(letter)
        if row.status == "sent":
            raise LetterError(_("The letter was sent already."))
        if row.status != "signed":
            raise LetterError(_("Only a signed letter can be sent."))
        now = utcnow()
        Letter.update(status="sent", sent_at=now, sent_channel=channel, updated_at=now).where(
            Letter.id == row.id).execute()
        recipient = row.recipient.name if row.recipient_id else row.patient.full_name
        audit.log("letter_sent", user, patient=row.patient_id,
                  detail=f"letter {row.id} via {channel}")
        _journal_note(user, row.patient_id,
                      f"{kind_spec(row.kind).title} til {recipient} sendt "
                      f"{SEND_CHANNEL_TEXT[channel]} (brev nr. {row.id}).")
    return _reload(row.id)


# --- organizations (recipients): the directory lives in tui.domain.organizations ---------


def search_organizations(text: str = "", *, kind: str | None = None,
                         limit: int = 30) -> list[Organization]:
    """Active recipients by name, city, SOR or EAN; every word must match somewhere."""
    return organizations.search(text, kind=kind, limit=limit)


def create_organization(user: Staff, name: str, *, kind: str = "hospital", sor: str = "",
                        ean: str = "", address: str = "", postcode: str = "", city: str = "",
                        phone: str = "") -> Organization:
    """A new recipient (see organizations.create); problems come back as a LetterError."""
    try:
        return organizations.create(user, name, kind=kind, sor=sor, ean=ean, address=address,
                                    postcode=postcode, city=city, phone=phone)
    except organizations.OrganizationError as exc:
        raise LetterError(str(exc)) from None
