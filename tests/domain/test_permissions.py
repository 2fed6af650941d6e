"""The role x action matrix: written out here so any change to it is deliberate, and
enforced by the domain functions themselves (not only by screens hiding keys)."""
from __future__ import annotations

import datetime as dt
import pathlib
import re

import pytest
from helpers import MON_TO_FRI, PASSWORD

from tui.domain import (admin, auth, booking, calls, inbox, journal, letters,
                        organizations, patients, prescriptions, schedule, settings, supplies,
                        tasks)
from tui.domain.letters import templates as letter_templates
from tui.domain.booking import BookingError
from tui.models import (AppointmentType, Organization, Patient, PrescriptionRequest, Staff,
                        SupplyItem, WorkPattern)
from tui.screens import SECTIONS

ROLES = ("secretary", "doctor", "nurse", "admin")
S, D, N, A = ROLES

# Every action, and exactly the roles that may do it (clinic settings at their defaults).
EXPECTED: dict[str, set[str]] = {
    "app.login": {S, D, N, A},
    "patient.search": {S, D, N},
    "patient.view": {S, D, N},
    "patient.register": {S, D, N},
    "patient.edit": {S, D, N},
    "patient.reveal_cpr": {S, D, N},
    "patient.reveal_address": {S, D, N},
    "journal.read": {S, D, N},
    "journal.write": {S, D, N},
    "journal.correct": {S, D, N},
    "journal.correct_others": {D},
    "audit.patient_report": {S, D, A},
    "schedule.view": {S, D, N},
    "appointment.book": {S, D, N},
    "appointment.override": {D, A},
    "appointment.status": {S, D, N},
    "appointment.cancel": {S, D, N},
    "appointment.move": {S, D, N},
    "absence.register": {S, D, A},
    "calls.view": {S, D, N},
    "calls.handle": {S, D, N},
    "letters.view": {S, D, N},
    "letter.draft": {S, D, N},
    "letter.sign": {D},
    "letter.send": {S, D, N},
    "letter.templates": {S, D, A},
    "letter.recipients": {S, D, N},
    "inbox.view": {S, D, N},
    "inbox.link": {S, D, N},
    "inbox.file": {S, D, N},
    "prescriptions.view": {S, D, N},
    "prescription.take": {S, D, N},
    "prescription.decide": {D},
    "prescription.tell": {S, D, N},
    "tasks.view": {S, D, N, A},
    "task.create": {S, D, N, A},
    "supplies.view": {S, D, N, A},
    "supplies.manage": {S, A},
    "supply.adjust": {S, D, N, A},
    "admin.view": {A},
    "admin.settings": {A},
    "admin.staff": {A},
    "admin.patterns": {A},
    "admin.types": {A},
    "admin.own_pattern": {A},
}

FRIDAY = dt.datetime(2026, 11, 27)


def test_expected_table_names_every_action():
    assert set(EXPECTED) == set(auth.PERMISSIONS)


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(database, role, action):
    assert auth.can(role, action) == (role in EXPECTED[action])


def test_nobody_logged_in_may_do_nothing(database):
    settings.put("doctors_edit_own_pattern", True)  # a setting opens nothing without a user
    assert not any(auth.can(None, action) for action in EXPECTED)
    with pytest.raises(auth.PermissionDenied):
        auth.require(None, "patient.view")


def test_doctors_reach_their_own_work_pattern_only_when_the_clinic_allows(database):
    settings.put("doctors_edit_own_pattern", True)
    assert auth.can(D, "admin.view") and auth.can(D, "admin.own_pattern")
    assert not auth.can(D, "admin.patterns") and not auth.can(N, "admin.own_pattern")
    settings.put("doctors_edit_own_pattern", False)
    assert not auth.can(D, "admin.view") and not auth.can(D, "admin.own_pattern")


# --- every action, exercised through a real domain function ----------------------------

_cpr_counter = iter(range(1000, 9999))


def _new_cpr() -> str:
    """A valid, unused CPR number (born 1 January 1965, checked by the CPR module)."""
    from tui.domain.cpr import parse_cpr

    while True:
        digits = f"010165{next(_cpr_counter):04d}"
        try:
            parsed = parse_cpr(digits)
        except ValueError:
            continue
        if parsed.passes_mod11 and not Patient.select().where(Patient.cpr == digits).exists():
            return digits


class World:
    """Fresh objects for one call: a patient, an appointment, a letter, a request..."""

    def __init__(self, staff):
        self.staff = staff
        self.lars, self.anne = staff[D], staff[S]
        WorkPattern.get_or_create(staff=self.lars, rrule=MON_TO_FRI, start_time=dt.time(8, 0),
                                  end_time=dt.time(16, 0), valid_from=dt.date(2026, 1, 1))
        self.k15, _ = AppointmentType.get_or_create(
            code="K15", defaults=dict(name="Konsultation", minutes=15, colour="blue", roles="doctor"))
        self.org, _ = Organization.get_or_create(name="Medicinsk Afdeling", kind="hospital")
        self._minute = 0

    def patient(self) -> Patient:
        cpr = _new_cpr()
        return Patient.create(cpr=cpr, first_name="Jens", last_name="Hansen",
                              birth_date=dt.date(1965, 1, 1), sex="M")

    def free_time(self) -> dt.datetime:
        self._minute += 15
        return FRIDAY.replace(hour=9) + dt.timedelta(minutes=self._minute)

    def appointment(self):
        return booking.book(self.anne, self.patient(), self.lars, self.k15, self.free_time())

    def entry(self):
        return journal.append(self.lars, self.patient(), "contact", "Ondt i knæet")

    def colleagues_entry(self):
        """An entry by a doctor who is none of the users tried."""
        other = (Staff.get_or_none(Staff.username == "mette")
                 or auth.create_user("mette", "Mette Læge", "doctor", PASSWORD))
        return journal.append(other, self.patient(), "contact", "Ondt i knæet")

    def letter(self, signed: bool = False):
        row = letters.create_letter(self.anne, self.patient(), "korrespondance", recipient=self.org)
        if signed:
            letters.submit(self.anne, row)
            letters.sign(self.lars, row)
        return row

    def request(self, decided: bool = False) -> PrescriptionRequest:
        req = prescriptions.take_request(self.anne, self.patient(), "Panodil", amount="100 stk")
        if decided:
            req = prescriptions.approve(self.lars, req)
        return req

    def inbox_message(self, matched: bool = True):
        from tui.models_inbox import InboxMessage

        self._minute += 1
        return InboxMessage.create(key=f"perm:{self._minute}", event="care-communication-message",
                                   status="new", patient=self.patient() if matched else None,
                                   to_role="secretary", topic="Svar", payloads=[{"text": "Tekst"}])

    def item(self) -> SupplyItem:
        return supplies.save_item(self.staff[A], name=f"Handsker {self._next()}")

    def _next(self) -> int:
        self._minute += 1
        return self._minute


def _section_opens(user, section_id: str) -> None:
    """The app's own check before it opens a section (the screen itself holds no data)."""
    from tui.app import SkrankeApp

    app = SkrankeApp()
    app.user = user
    if not app.check_action("section", (section_id,)):
        raise auth.PermissionDenied(section_id)


# action -> a call of the domain function a screen uses for it
CALLS = {
    "app.login": lambda w, u: auth.login(u.username, PASSWORD),
    "patient.search": lambda w, u: patients.search(u, "hansen"),
    "patient.view": lambda w, u: patients.open_record(u, w.patient().id),
    "patient.register": lambda w, u: patients.register(u, cpr=_new_cpr(), first_name="Ny",
                                                       last_name="Patient"),
    "patient.edit": lambda w, u: patients.update(u, w.patient(), address="Vej 1"),
    "patient.reveal_cpr": lambda w, u: patients.reveal_cpr(u, w.patient()),
    "patient.reveal_address": lambda w, u: patients.reveal_address(u, w.patient()),
    "journal.read": lambda w, u: journal.entries(u, w.patient()),
    "journal.write": lambda w, u: journal.append(u, w.patient(), "contact", "Tekst"),
    # her own entry; someone else's is journal.correct_others
    "journal.correct": lambda w, u: journal.correct(
        u, journal.append(u, w.patient(), "contact", "Ondt i knæet"), "Rettet tekst"),
    "journal.correct_others": lambda w, u: journal.correct(u, w.colleagues_entry(), "Rettet tekst"),
    "audit.patient_report": lambda w, u: patients.access_log(u, w.patient()),
    "schedule.view": lambda w, u: schedule.day_view(FRIDAY.date(), u),
    "appointment.book": lambda w, u: booking.book(u, w.patient(), w.lars, w.k15, w.free_time()),
    "appointment.override": lambda w, u: booking.book(
        u, w.patient(), w.lars, w.k15, w.appointment().start, override_reason="akut"),
    "appointment.status": lambda w, u: booking.set_status(u, w.appointment(), "arrived"),
    "appointment.cancel": lambda w, u: booking.cancel(u, w.appointment(), "patienten ringede"),
    "appointment.move": lambda w, u: booking.move(u, w.appointment(), w.free_time()),
    "absence.register": lambda w, u: booking.register_absence(
        u, w.lars, dt.date(2026, 12, 7), dt.date(2026, 12, 7), "course"),
    "calls.view": lambda w, u: calls.call_log(u),
    "calls.handle": lambda w, u: calls.record_manual(u, number="12345678", name="Opkald"),
    "letters.view": lambda w, u: letters.list_letters(u),
    "letter.draft": lambda w, u: letters.create_letter(u, w.patient(), "korrespondance",
                                                       recipient=w.org),
    "letter.sign": lambda w, u: letters.sign(u, letters.submit(w.anne, w.letter())),
    "letter.send": lambda w, u: letters.export(u, w.letter(signed=True), "txt", w.folder),
    "letter.templates": lambda w, u: letter_templates.list_templates(u),
    "letter.recipients": lambda w, u: organizations.directory(u),
    "inbox.view": lambda w, u: inbox.list_messages(u),
    "inbox.link": lambda w, u: inbox.link_patient(u, w.inbox_message(matched=False).id, w.patient()),
    "inbox.file": lambda w, u: inbox.file_message(u, w.inbox_message().id),
    "prescriptions.view": lambda w, u: prescriptions.pending(u),
    "prescription.take": lambda w, u: prescriptions.take_request(u, w.patient(), "Panodil"),
    "prescription.decide": lambda w, u: prescriptions.approve(u, w.request()),
    "prescription.tell": lambda w, u: prescriptions.mark_told(u, w.request(decided=True), "phone"),
    "tasks.view": lambda w, u: tasks.inbox(u),
    "task.create": lambda w, u: tasks.create_task(u, "Ring tilbage", to=w.anne),
    "supplies.view": lambda w, u: supplies.items(u),
    "supplies.manage": lambda w, u: supplies.save_item(u, name=f"Gaze {w._next()}"),
    "supply.adjust": lambda w, u: supplies.adjust_stock(u, w.item(), 5, "optælling"),
    "admin.view": lambda w, u: _section_opens(u, "admin"),
    "admin.settings": lambda w, u: admin.add_closed_day(u, dt.date(2026, 12, 8), "kursus"),
    "admin.staff": lambda w, u: admin.reset_password(u, w.staff[N]),
    "admin.patterns": lambda w, u: admin.save_patterns(u, w.staff[N], admin.patterns_of(w.staff[N])),
    "admin.types": lambda w, u: admin.retire_type(u, w.k15, True),
    "admin.own_pattern": lambda w, u: admin.save_patterns(u, w.lars, admin.patterns_of(w.lars)),
}

# Booking reports a refused permission as a BookingError the dialog shows as it is.
REFUSAL = {"appointment.book": BookingError, "appointment.override": BookingError}
# An override is a kind of booking: it needs the right to book as well (so an
# administrator, who may override but not book, cannot use it through booking.book).
ALSO_NEEDS = {"appointment.override": "appointment.book"}


def test_every_action_has_a_call():
    assert set(CALLS) == set(EXPECTED)


@pytest.mark.parametrize("action", sorted(CALLS))
def test_the_domain_refuses_roles_without_the_action(staff, tmp_path, action):
    world = World(staff)
    world.folder = tmp_path
    for role in ROLES:
        user = staff[role]
        allowed = role in EXPECTED[action] and role in EXPECTED[ALSO_NEEDS.get(action, action)]
        if allowed:
            CALLS[action](world, user)  # must not raise at all
        else:
            with pytest.raises(REFUSAL.get(action, auth.PermissionDenied)):
                CALLS[action](world, user)


def test_a_doctor_edits_only_her_own_pattern_when_allowed(staff):
    World(staff)
    lars, sofie = staff[D], staff[N]
    settings.put("doctors_edit_own_pattern", True)
    admin.save_patterns(lars, lars, admin.patterns_of(lars))
    with pytest.raises(auth.PermissionDenied):
        admin.save_patterns(lars, sofie, admin.patterns_of(sofie))


# --- the table and the code agree -------------------------------------------------------

ROOT = pathlib.Path(__file__).resolve().parents[2] / "tui"
CHECK = re.compile(r"\b(?:require|can)\(\s*[\w.\[\]\"']+\s*,\s*\"([a-z_]+\.[a-z_]+)\"")


def _checked_in(folder: pathlib.Path) -> set[str]:
    found = set()
    for path in folder.rglob("*.py"):
        found |= set(CHECK.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_action_is_checked_somewhere_and_none_is_unknown():
    """Each action in the table is checked by a domain function (or, for a section that
    shows nothing by itself, by the app before it opens the section); no code checks an
    action the table does not have."""
    in_domain = _checked_in(ROOT / "domain")
    sections = {s.permission for s in SECTIONS}
    everywhere = _checked_in(ROOT)
    table = set(auth.PERMISSIONS)
    assert everywhere <= table, f"checked but not in the table: {everywhere - table}"
    unchecked = table - in_domain - sections
    assert not unchecked, f"in the table but never checked: {unchecked}"
