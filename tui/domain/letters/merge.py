"""The merge context: everything a template may use (clinic, patient, author, doctor,
recipient, appointment, the letter's fields as printed), real or a made-up sample."""
from __future__ import annotations

from typing import Any

from tui.domain import auth, clock, settings
from tui.domain.letters.kinds import (
    CARE_CATEGORIES,
    FREE_TEXT,
    PRIORITIES,
    FieldSpec,
    choice_label,
    kind_spec,
)
from tui.domain.letters.templating import date_filter
from tui.models import Appointment, AppointmentType, Letter, Organization, Patient, PatientPhone, Staff


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
        "birth_date": date_filter(patient.birth_date),
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
    return None if appt is None else _appointment_fields(appt)


def _appointment_fields(appt: Appointment) -> dict[str, Any]:
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
    c = _appointment_fields(appt)
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
        "replaces": ({"id": replaces.id, "date": date_filter(clock.to_local(replaces.sent_at))}
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


def clinic_for_print() -> dict[str, Any]:
    """The clinic's details as a letter prints them: the phone number in Danish grouping."""
    clinic = settings.clinic()
    if clinic.get("phone"):
        clinic["phone"] = _fmt_phone(str(clinic["phone"]))
    return clinic


def next_appointment(patient: Patient | int) -> Appointment | None:
    """The patient's next booked appointment (what an appointment letter is about)."""
    row: Appointment | None = (
        Appointment.select(Appointment, AppointmentType, Staff)
        .join(AppointmentType).switch(Appointment).join(Staff)
        .where((Appointment.patient == patient) & (Appointment.status == "booked")
               & (Appointment.start >= clock.now_local()))
        .order_by(Appointment.start).first())
    return row
