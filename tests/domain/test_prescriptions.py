"""Prescription renewals: the drug list, the dependence flag, who may do which transition."""
from __future__ import annotations

import datetime as dt

import pytest

from tui.domain import auth
from tui.domain import prescriptions as rx
from tui.models import (
    Appointment,
    AppointmentType,
    AuditEvent,
    JournalEntry,
    Patient,
    PrescriptionRequest,
)


@pytest.fixture
def patient(database):
    return Patient.create(cpr="0707614285", first_name="Jens", last_name="Hansen",
                          birth_date=dt.date(1961, 7, 7), sex="M")


@pytest.fixture
def request_(staff, patient):
    return rx.take_request(staff["secretary"], patient, "Metformin", strength="500 mg",
                           dose="1 x 2 dgl", amount="100 stk", channel="phone")


# --- the shipped list ------------------------------------------------------------

def test_the_drug_list_has_about_a_hundred_drugs_with_atc_codes():
    drugs = rx.drugs()
    assert len(drugs) >= 100
    for drug in drugs:
        assert drug.name and drug.strength and drug.form
        assert drug.atc[0] in "ABCDGHJLMNPRSV" and len(drug.atc) in (5, 7), drug


@pytest.mark.parametrize("name,atc", [
    ("Metformin", "A10BA02"), ("Zopiclon", "N05CF01"), ("Oxazepam", "N05BA04"),
    ("Tramadol", "N02AX02"), ("Clonazepam", "N03AE01"),
])
def test_known_drugs_carry_their_real_atc_code(name, atc):
    assert rx.find_drug(name).atc == atc


def test_search_finds_by_name_start_word_and_atc_code():
    assert rx.search_drugs("zop")[0].name == "Zopiclon"
    assert any(d.name.startswith("Budesonid/formoterol") for d in rx.search_drugs("symbicort"))
    assert {d.name for d in rx.search_drugs("N05BA")} >= {"Oxazepam", "Diazepam"}
    assert rx.search_drugs("xyzzy") == []
    assert len(rx.search_drugs("", limit=5)) == 5


@pytest.mark.parametrize("atc,flag", [
    ("N05CF01", True), ("N05BA04", True), ("N02AX02", True), ("N03AE01", True),
    ("N02AA05", True), ("N06BA04", True), ("n05cd02", True),
    ("N05CH01", False),  # melatonin is a hypnotic but not dependence-forming
    ("A10BA02", False), ("N06AB06", False), ("N02BE01", False), ("", False),
])
def test_dependence_forming_atc_groups_are_flagged(atc, flag):
    assert rx.is_dependence_forming(atc) is flag


# --- taking a request -----------------------------------------------------------------

def test_taking_a_request_looks_up_the_atc_code_and_flags_dependence(staff, patient):
    req = rx.take_request(staff["secretary"], patient, "Zopiclon", strength="7,5 mg",
                          amount="30 stk", channel="web")
    assert req.atc == "N05CF01" and req.dependence and req.form == "tabletter"
    assert req.status == "pending" and req.taken_by == staff["secretary"]
    assert AuditEvent.get(AuditEvent.action == "prescription_take").patient_id == patient.id


def test_free_text_drug_is_allowed_and_not_flagged(staff, patient):
    req = rx.take_request(staff["nurse"], patient, "Magistrel creme", dose="2 x dgl")
    assert req.atc == "" and not req.dependence


def test_a_request_needs_a_drug_and_a_known_channel(staff, patient):
    with pytest.raises(ValueError):
        rx.take_request(staff["secretary"], patient, "  ")
    with pytest.raises(ValueError):
        rx.take_request(staff["secretary"], patient, "Metformin", channel="pigeon")


@pytest.mark.parametrize("role,allowed", [
    ("secretary", True), ("doctor", True), ("nurse", True), ("admin", False)])
def test_who_may_take_a_request(staff, patient, role, allowed):
    if allowed:
        rx.take_request(staff[role], patient, "Metformin")
    else:
        with pytest.raises(auth.PermissionDenied):
            rx.take_request(staff[role], patient, "Metformin")


# --- deciding ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["secretary", "nurse", "admin"])
@pytest.mark.parametrize("decision", ["approve", "decline", "needs_visit"])
def test_only_doctors_decide(staff, request_, role, decision):
    with pytest.raises(auth.PermissionDenied):
        if decision == "approve":
            rx.approve(staff[role], request_)
        elif decision == "decline":
            rx.decline(staff[role], request_, "no")
        else:
            rx.needs_visit(staff[role], request_)
    assert PrescriptionRequest.get_by_id(request_.id).status == "pending"
    assert JournalEntry.select().count() == 0


def test_approve_with_another_amount_is_stamped_and_written_to_the_record(staff, request_):
    doctor = staff["doctor"]
    rx.approve(doctor, request_, amount="200 stk")
    req = PrescriptionRequest.get_by_id(request_.id)
    assert req.status == "approved" and req.decided_by == doctor and req.decided_at is not None
    assert req.approved_amount == "200 stk" and req.amount == "100 stk"
    entry = JournalEntry.get()
    assert entry.patient_id == req.patient_id and entry.author == doctor
    assert entry.kind == "administrative"
    assert "Metformin" in entry.text and "200 stk" in entry.text and "godkendt" in entry.text
    assert AuditEvent.get(AuditEvent.action == "prescription_decide").user == doctor


def test_approve_with_the_same_amount_keeps_no_separate_amount(staff, request_):
    rx.approve(staff["doctor"], request_, amount="100 stk")
    assert PrescriptionRequest.get_by_id(request_.id).approved_amount == ""


def test_decline_needs_a_reason(staff, request_):
    with pytest.raises(ValueError):
        rx.decline(staff["doctor"], request_, "  ")
    rx.decline(staff["doctor"], request_, "Skal til årskontrol først")
    req = PrescriptionRequest.get_by_id(request_.id)
    assert req.status == "declined" and req.decision_note == "Skal til årskontrol først"
    assert "afvist" in JournalEntry.get().text and "årskontrol" in JournalEntry.get().text


def test_needs_a_visit(staff, request_):
    rx.needs_visit(staff["doctor"], request_, "Book 15 min")
    assert PrescriptionRequest.get_by_id(request_.id).status == "needs_visit"
    assert "konsultation" in JournalEntry.get().text


def test_a_decided_request_cannot_be_decided_again(staff, request_):
    rx.approve(staff["doctor"], request_)
    for decide in (lambda r: rx.approve(staff["doctor"], r),
                   lambda r: rx.decline(staff["doctor"], r, "x"),
                   lambda r: rx.needs_visit(staff["doctor"], r)):
        with pytest.raises(ValueError):
            decide(PrescriptionRequest.get_by_id(request_.id))
    assert JournalEntry.select().count() == 1


def test_a_dependence_forming_drug_needs_explicit_confirmation(staff, patient):
    req = rx.take_request(staff["secretary"], patient, "Oxazepam", strength="15 mg")
    with pytest.raises(ValueError):
        rx.approve(staff["doctor"], req)
    assert PrescriptionRequest.get_by_id(req.id).status == "pending"
    with pytest.raises(ValueError):  # overriding needs a reason
        rx.approve(staff["doctor"], req, confirm_dependence=True, override_reason="  ")
    assert PrescriptionRequest.get_by_id(req.id).status == "pending"
    rx.approve(staff["doctor"], req, confirm_dependence=True,
               override_reason="Set i går, stabil dosis")
    assert PrescriptionRequest.get_by_id(req.id).status == "approved"
    from tui.models import AuditEvent, JournalEntry

    entry = JournalEntry.select().where(JournalEntry.patient == patient).order_by(
        JournalEntry.id.desc()).get()
    assert "uden konsultation" in entry.text and "Set i går, stabil dosis" in entry.text
    assert AuditEvent.get(AuditEvent.action == "prescription_override").reason == (
        "Set i går, stabil dosis")


@pytest.mark.parametrize("typed", ["Stesolid", "stesolid 5 mg", "Imovane", "Tradolan",
                                   "Lyrica", "Ritalin", "OxyNorm", "Rivotril", "Contalgin"])
def test_danish_brand_names_get_their_atc_code_and_the_flag(staff, patient, typed):
    req = rx.take_request(staff["secretary"], patient, typed)
    assert req.atc and req.dependence and not rx.is_unknown(req)


def test_a_drug_without_an_atc_code_is_flagged_unknown(staff, patient):
    req = rx.take_request(staff["secretary"], patient, "Hjemmebryg 3 mg")
    assert rx.is_unknown(req) and not req.dependence
    assert not rx.is_unknown(rx.take_request(staff["secretary"], patient, "Metformin"))


# --- the queue and the told-list ------------------------------------------------------

def test_the_queue_is_oldest_first_with_earlier_renewals_and_last_visit(staff, patient):
    from tui.domain import clock

    sec, doc = staff["secretary"], staff["doctor"]
    clock.freeze(dt.datetime(2026, 11, 20, 9, 0))
    old = rx.take_request(sec, patient, "Metformin")
    rx.approve(doc, old)
    clock.freeze(dt.datetime(2026, 11, 25, 9, 0))
    first = rx.take_request(sec, patient, "Amlodipin")
    clock.freeze(dt.datetime(2026, 11, 26, 9, 0))
    second = rx.take_request(sec, patient, "Losartan")
    clock.freeze(dt.datetime(2026, 11, 26, 10, 0))
    assert [r.id for r in rx.pending(doc)] == [first.id, second.id]
    kind = AppointmentType.create(code="K15", name="Konsultation")
    Appointment.create(patient=patient, staff=doc, type=kind, status="done",
                       start=dt.datetime(2026, 10, 1, 9), end=dt.datetime(2026, 10, 1, 9, 15))
    Appointment.create(patient=patient, staff=doc, type=kind, status="no_show",
                       start=dt.datetime(2026, 11, 2, 9), end=dt.datetime(2026, 11, 2, 9, 15))
    Appointment.create(patient=patient, staff=doc, type=kind, status="booked",
                       start=dt.datetime(2026, 12, 2, 9), end=dt.datetime(2026, 12, 2, 9, 15))
    ctx = rx.context(doc, first)
    assert [r.id for r in ctx.earlier] == [second.id, old.id]
    assert ctx.last_visit == dt.datetime(2026, 10, 1, 9)
    assert ctx.next_visit == dt.datetime(2026, 12, 2, 9)
    assert AuditEvent.select().where((AuditEvent.action == "prescription_view")
                                     & (AuditEvent.patient == patient.id)).count() == 1


def test_the_told_list_and_who_may_mark_told(staff, request_, patient):
    sec, doc = staff["secretary"], staff["doctor"]
    assert rx.untold(sec) == []
    with pytest.raises(ValueError):
        rx.mark_told(sec, request_, "phone")  # not decided yet
    rx.approve(doc, request_)
    assert [r.id for r in rx.untold(sec)] == [request_.id]
    with pytest.raises(auth.PermissionDenied):
        rx.mark_told(staff["admin"], request_, "phone")
    with pytest.raises(ValueError):
        rx.mark_told(sec, request_, "telepathy")
    rx.mark_told(sec, request_, "sms")
    req = PrescriptionRequest.get_by_id(request_.id)
    assert (req.told_by, req.told_how) == (sec, "sms") and req.told_at is not None
    assert rx.untold(sec) == []
    with pytest.raises(ValueError):
        rx.mark_told(sec, req, "phone")


def test_admin_sees_no_renewals(staff, request_):
    with pytest.raises(auth.PermissionDenied):
        rx.pending(staff["admin"])
    assert rx.pending_count(staff["admin"]) == 0
    assert rx.pending_count(staff["secretary"]) == 1
