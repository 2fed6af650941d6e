"""tui.domain.calls: phone events, caller matching (families, foreign numbers), the call
log, handling with reason codes, callbacks and the caller's summary."""
from __future__ import annotations

import datetime as dt

import pytest

from tui.domain import auth, calls, clock
from tui.models import (
    Appointment,
    AppointmentType,
    AuditEvent,
    Call,
    Callback,
    Patient,
    PatientChange,
    PatientPhone,
    PrescriptionRequest,
    Task,
)


def make_patient(cpr, first, last, born, *phones, sex="M", **extra):
    p = Patient.create(cpr=cpr, first_name=first, last_name=last, birth_date=born, sex=sex, **extra)
    for number in phones:
        PatientPhone.create(patient=p, number=number)
    return p


@pytest.fixture
def people(database):
    jens = make_patient("0707614285", "Jens", "Hansen", dt.date(1961, 7, 7), "+4512345678",
                        cave="Penicillin")
    # a family phone: mother and two children share the landline
    mette = make_patient("0201919990", "Mette", "Larsen", dt.date(1991, 1, 2), "+4587654321",
                         "+4522223333", sex="F")
    ida = make_patient("1503204008", "Ida", "Larsen", dt.date(2020, 3, 15), "+4587654321", sex="F")
    emil = make_patient("1503204017", "Emil", "Larsen", dt.date(2020, 3, 15), "+4587654321")
    sven = make_patient("2509479989", "Sven", "Svensson", dt.date(1947, 9, 25), "+46701234567")
    return {"jens": jens, "mette": mette, "ida": ida, "emil": emil, "sven": sven}


# --- parsing what the phones send ---------------------------------------------------


@pytest.mark.parametrize("raw, expected", [
    ("sip:+4512345678@pbx.local", "+4512345678"),
    ("sip%3A%2B4512345678%40pbx", "+4512345678"),
    ('"Jens Hansen" <sip:12345678@10.0.0.1;user=phone>', "+4512345678"),
    ("tel:+45-12-34-56-78", "+4512345678"),
    ("12 34 56 78", "+4512345678"),
    ("004512345678", "+4512345678"),
    ("sip:0046701234567@pbx", "+46701234567"),
    ("+46 70 123 45 67", "+46701234567"),
    ("sip:anonymous@anonymous.invalid", ""),
    ("201", "201"),  # an internal extension: kept, never matched
])
def test_parse_caller_accepts_what_phones_send(raw, expected):
    assert calls.parse_caller(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "sip:hacker@evil", "12345678; DROP TABLE call", "<script>",
                                 "x" * 300, "sip:@pbx@", "+", ""])
def test_parse_caller_refuses_what_is_not_a_number(raw):
    with pytest.raises(ValueError):
        calls.parse_caller(raw)


# --- matching ---------------------------------------------------------------------------


def test_one_patient_is_matched_by_number_whatever_its_form(people):
    c = calls.record_event("incoming", source="yealink", caller="sip:12345678@pbx", call_id="a1")
    assert c.patient_id == people["jens"].id
    assert c.number == "+4512345678" and c.status == "ringing"
    assert [m.name for m in calls.match_caller("+4512345678")] == ["Jens Hansen"]


def test_a_family_number_is_not_guessed_but_offered(people, staff):
    c = calls.record_event("incoming", source="snom", caller="sip:+4587654321@pbx", call_id="f1")
    assert c.patient_id is None
    found = calls.candidates(staff["secretary"], c.id)
    assert {f.name for f in found} == {"Mette Larsen", "Ida Larsen", "Emil Larsen"}
    assert all(f.cpr_masked.endswith("-xxxx") for f in found)
    row = calls.get_call(staff["secretary"], c.id)
    assert row.candidates == 3
    assert "3" in row.caller_label
    row = calls.set_patient(staff["secretary"], c.id, people["ida"].id)
    assert row.patient_name == "Ida Larsen" and row.patient_age == 6


def test_foreign_numbers_match_in_e164(people):
    c = calls.record_event("incoming", source="yealink", caller="sip:0046701234567@pbx")
    assert c.patient_id == people["sven"].id


def test_unknown_and_hidden_numbers_are_logged_unmatched(people, staff):
    unknown = calls.record_event("incoming", source="yealink", caller="sip:+4599999999@pbx")
    hidden = calls.record_event("incoming", source="yealink", caller="sip:anonymous@x")
    assert unknown.patient_id is None and hidden.number == ""
    rows = calls.call_log(staff["secretary"], filter="unknown")
    assert {r.id for r in rows} == {unknown.id, hidden.id}
    labels = {r.id: r.caller_label for r in rows}
    assert labels[unknown.id] == "99 99 99 99"


def test_a_deceased_patient_does_not_take_a_reused_number(people):
    people["jens"].deceased_date = dt.date(2025, 1, 1)
    people["jens"].save()
    make_patient("0101801234", "Ny", "Ejer", dt.date(1980, 1, 1), "+4512345678")
    c = calls.record_event("incoming", source="yealink", caller="12345678")
    assert c.patient.first_name == "Ny"


# --- events ---------------------------------------------------------------------------


def test_ring_answer_end(people):
    c = calls.record_event("incoming", source="yealink", caller="sip:+4512345678@pbx", call_id="x")
    again = calls.record_event("incoming", source="yealink", caller="sip:+4512345678@pbx", call_id="x")
    assert again.id == c.id and Call.select().count() == 1
    calls.record_event("established", source="yealink", call_id="x")
    assert Call.get_by_id(c.id).status == "answered"
    calls.record_event("terminated", source="yealink", call_id="x")
    c = Call.get_by_id(c.id)
    assert c.status == "answered" and c.ended_at is not None and c.answered_at is not None


def test_never_answered_is_missed(people):
    c = calls.record_event("incoming", source="snom", caller="12345678", call_id="m")
    calls.record_event("terminated", source="snom", call_id="m")
    assert Call.get_by_id(c.id).status == "missed"


def test_a_group_of_phones_ringing_is_one_call(people):
    a = calls.record_event("incoming", source="yealink", caller="12345678", call_id="leg1", line="201")
    b = calls.record_event("incoming", source="yealink", caller="12345678", call_id="leg2", line="202")
    assert a.id == b.id
    # phone 202 stops ringing when 201 answers: the answered call stays answered
    calls.record_event("established", source="yealink", caller="12345678", call_id="leg1")
    calls.record_event("terminated", source="yealink", caller="12345678", call_id="leg2")
    assert Call.get_by_id(a.id).status == "answered"


def test_events_for_calls_never_seen_ringing_are_ignored(people):
    assert calls.record_event("terminated", source="yealink", call_id="outgoing-1") is None
    assert calls.record_event("established", source="yealink", caller="12345678", call_id="o2") is None
    assert Call.select().count() == 0


@pytest.mark.parametrize("kwargs", [
    {"event": "incoming", "source": "yealink"},
    {"event": "incoming", "source": "yealink", "caller": "hello"},
    {"event": "ringing", "source": "yealink", "caller": "12345678"},
    {"event": "incoming", "source": "cisco", "caller": "12345678"},
    {"event": "incoming", "source": "snom", "caller": "12345678", "name": "a\x00b"},
    {"event": "incoming", "source": "snom", "caller": "12345678", "name": "n" * 201},
    {"event": "terminated", "source": "snom"},
])
def test_bad_events_write_nothing(people, kwargs):
    with pytest.raises(ValueError):
        calls.record_event(**kwargs)
    assert Call.select().count() == 0


def test_forgotten_ringing_calls_become_missed(people):
    c = calls.record_event("incoming", source="manual", caller="12345678")
    assert [r.id for r in calls.ringing_now()] == [c.id]
    clock.freeze(dt.datetime(2026, 11, 26, 10, 4))
    assert calls.ringing_now() == []
    assert calls.expire_ringing() == 1
    assert Call.get_by_id(c.id).status == "missed"


# --- handling ---------------------------------------------------------------------------


def test_take_and_handle_with_reason(people, staff):
    anne = staff["secretary"]
    c = calls.record_event("incoming", source="yealink", caller="12345678")
    row = calls.take(anne, c.id)
    assert row.status == "answered" and row.handled_by == "AS"
    calls.note_action(anne, c.id, "book", "27.11 09:00")
    assert calls.get_call(anne, c.id).suggested_reason == "booking"
    with pytest.raises(ValueError):
        calls.handle(anne, c.id, "nonsense")
    row = calls.handle(anne, c.id, "booking", "Booked K15")
    assert row.status == "handled" and row.reason == "booking"
    assert "Booked K15" in row.outcome and "[book]" in row.outcome
    assert calls.call_log(anne, filter="open") == []


def test_handling_needs_permission(people, staff):
    c = calls.record_event("incoming", source="yealink", caller="12345678")
    with pytest.raises(auth.PermissionDenied):
        calls.handle(staff["admin"], c.id, "other")
    with pytest.raises(auth.PermissionDenied):
        calls.call_log(staff["admin"])


def test_manual_and_walk_in_calls(people, staff):
    anne = staff["secretary"]
    c = calls.record_manual(anne, number="12 34 56 78", name="")
    assert c.patient_id == people["jens"].id and c.status == "answered" and c.source == "manual"
    w = calls.record_manual(anne, source="walk-in", patient_id=people["mette"].id)
    assert w.number == "" and w.patient_id == people["mette"].id
    with pytest.raises(ValueError):
        calls.record_manual(anne, number="")
    with pytest.raises(ValueError):
        calls.record_manual(anne, number="abc")


def test_link_unknown_number_saves_it_on_the_patient(people, staff):
    anne = staff["secretary"]
    c = calls.record_event("incoming", source="yealink", caller="+4531313131")
    calls.set_patient(anne, c.id, people["jens"].id, save_number=True)
    assert PatientPhone.select().where(PatientPhone.number == "+4531313131").get().patient_id == people["jens"].id
    assert PatientChange.select().where(PatientChange.field == "phone").count() == 1
    # the next call from it is matched at once
    nxt = calls.record_event("incoming", source="yealink", caller="31313131", call_id="n2")
    assert nxt.patient_id == people["jens"].id


def test_call_log_filters_and_day(people, staff):
    anne = staff["secretary"]
    a = calls.record_event("incoming", source="yealink", caller="12345678", call_id="1")
    calls.record_event("missed", source="yealink", call_id="1")
    clock.freeze(dt.datetime(2026, 11, 26, 10, 5))
    b = calls.record_event("incoming", source="yealink", caller="+4599999999", call_id="2")
    assert [r.id for r in calls.call_log(anne)] == [b.id, a.id]
    assert [r.id for r in calls.call_log(anne, filter="missed")] == [a.id]
    assert calls.call_log(anne, dt.date(2026, 11, 25)) == []
    row = calls.call_log(anne)[1]
    assert row.started == dt.datetime(2026, 11, 26, 10, 0) and row.status_label


# --- the caller's summary ------------------------------------------------------------------


def test_caller_summary_shows_what_the_phone_needs_and_is_audited(people, staff):
    anne, lars = staff["secretary"], staff["doctor"]
    jens = people["jens"]
    k15 = AppointmentType.create(code="K15", name="Konsultation", minutes=15)
    Appointment.create(patient=jens, staff=lars, type=k15, start=dt.datetime(2026, 12, 1, 9),
                       end=dt.datetime(2026, 12, 1, 9, 15))
    Appointment.create(patient=jens, staff=lars, type=k15, start=dt.datetime(2026, 11, 2, 9),
                       end=dt.datetime(2026, 11, 2, 9, 15), status="done")
    Appointment.create(patient=jens, staff=lars, type=k15, start=dt.datetime(2026, 10, 2, 9),
                       end=dt.datetime(2026, 10, 2, 9, 15), status="no_show")
    PrescriptionRequest.create(patient=jens, drug="Metformin", strength="500 mg", taken_by=anne)
    PrescriptionRequest.create(patient=jens, drug="Old", taken_by=anne, status="approved")
    Task.create(title="Ring om blodprøve", patient=jens, created_by=anne)
    Task.create(title="Done task", patient=jens, created_by=anne, status="done")
    s = calls.caller_summary(anne, jens.id, "phone call")
    assert s.name == "Jens Hansen" and s.age == 65 and s.cpr_masked == "070761-xxxx"
    assert s.cave == "Penicillin" and s.no_shows == 1
    assert [a.start for a in s.next_appointments] == [dt.datetime(2026, 12, 1, 9)]
    assert s.last_appointment.start == dt.datetime(2026, 11, 2, 9)
    assert s.open_renewals == ["Metformin 500 mg"] and s.open_tasks == ["Ring om blodprøve"]
    assert s.phones == ["12 34 56 78"]
    ev = AuditEvent.select().where(AuditEvent.patient == jens.id).order_by(AuditEvent.id.desc()).get()
    assert ev.user_id == anne.id and ev.action == "record_open" and "phone call" in ev.reason
    with pytest.raises(auth.PermissionDenied):
        calls.caller_summary(staff["admin"], jens.id)


# --- callbacks ------------------------------------------------------------------------------


def test_parse_due():
    now = dt.datetime(2026, 11, 26, 10, 0)
    assert calls.parse_due("14.30", now) == dt.datetime(2026, 11, 26, 14, 30)
    assert calls.parse_due("i morgen 9", now) == dt.datetime(2026, 11, 27, 9, 0)
    assert calls.parse_due("1.12 9.15", now) == dt.datetime(2026, 12, 1, 9, 15)
    for bad in ("", "9.00", "i morgen", "soon"):
        with pytest.raises(ValueError):
            calls.parse_due(bad, now)


def test_callbacks_by_person_and_time_overdue_and_done(people, staff):
    anne, lars = staff["secretary"], staff["doctor"]
    c = calls.record_event("incoming", source="yealink", caller="12345678")
    cb1 = calls.create_callback(anne, due=dt.datetime(2026, 11, 26, 13, 0), target=f"staff:{lars.id}",
                                call_id=c.id, note="Svar på blodprøve")
    cb2 = calls.create_callback(anne, due=dt.datetime(2026, 11, 26, 10, 0), target="role:secretary",
                                number="87654321")
    assert cb1.patient_id == people["jens"].id and cb1.number == "+4512345678"
    assert "[callback]" in Call.get_by_id(c.id).outcome
    clock.freeze(dt.datetime(2026, 11, 26, 11, 0))
    rows = calls.open_callbacks(anne)
    assert [r.id for r in rows] == [cb2.id, cb1.id]
    assert rows[0].overdue and not rows[1].overdue
    assert rows[1].for_label == "Lars Læge (LL)" and rows[1].who == "Jens Hansen"
    assert [r.id for r in calls.open_callbacks(lars, mine_only=True)] == [cb1.id]
    assert calls.due_callback_count(anne) == 1
    calls.complete_callback(anne, cb2.id)
    assert Callback.get_by_id(cb2.id).done_by_id == anne.id
    with pytest.raises(ValueError):
        calls.complete_callback(anne, cb2.id)
    assert [r.id for r in calls.open_callbacks(anne)] == [cb1.id]


def test_bad_callbacks_are_refused(people, staff):
    anne = staff["secretary"]
    due = dt.datetime(2026, 11, 26, 12, 0)
    with pytest.raises(ValueError):
        calls.create_callback(anne, due=due, target="role:pope", number="12345678")
    with pytest.raises(ValueError):
        calls.create_callback(anne, due=due, target="role:doctor")
    with pytest.raises(ValueError):
        calls.create_callback(anne, due=dt.datetime(2026, 11, 26, 8, 0), target="role:doctor",
                              number="12345678")
    with pytest.raises(auth.PermissionDenied):
        calls.create_callback(staff["admin"], due=due, target="role:doctor", number="12345678")
    assert Callback.select().count() == 0
    targets = [t.key for t in calls.callback_targets()]
    assert "role:doctor" in targets and f"staff:{staff['doctor'].id}" in targets
