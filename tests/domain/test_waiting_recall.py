"""Waiting list (fit a freed slot, offer by phone or SMS, book from the list), recall
(due list, bulk SMS/letters, do not contact, next due moved on) and referral deadlines."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import setup_clinic

from tui.domain import booking, recall, sms
from tui.domain import waiting_list as wl
from tui.models import AuditEvent, Letter, Patient
from tui.models_reach import ContactAttempt, SmsMessage, WaitingEntry

D = dt.datetime
FRI_9 = D(2026, 11, 27, 9, 0)


@pytest.fixture
def clinic(staff):
    return setup_clinic(staff)


def _patient(i: int) -> Patient:
    return Patient.create(cpr=f"01019{i:05d}"[:10], first_name=f"P{i}", last_name="Test",
                          birth_date=dt.date(1990, 1, 1), sex="F")


def test_freed_slot_counts_who_fits_by_type_staff_day_time_and_dates(clinic):
    anne, lars, sofie = clinic["secretary"], clinic["doctor"], clinic["nurse"]
    k15, blod, ekg = clinic["types"]["K15"], clinic["types"]["BLOD"], clinic["types"]["EKG"]
    jens = clinic["patients"]["jens"]
    appt = booking.book(anne, jens, lars, k15, FRI_9)
    fits = [
        wl.add(anne, _patient(1), k15),
        wl.add(anne, _patient(2), k15, staff=lars, weekdays={4}, time_from=dt.time(8), time_to=dt.time(12)),
        wl.add(anne, _patient(3), blod),  # 10 minutes, Lars performs it too
    ]
    wl.add(anne, _patient(4), k15, weekdays={0, 1})  # not Fridays
    wl.add(anne, _patient(5), k15, time_from=dt.time(13))  # afternoons only
    wl.add(anne, _patient(6), ekg)  # Lars does not do EKG
    wl.add(anne, _patient(7), clinic["types"]["K30"])  # too long for 15 minutes
    wl.add(anne, _patient(8), k15, from_date=dt.date(2026, 12, 1))  # not yet
    wl.add(anne, _patient(9), k15, until_date=dt.date(2026, 11, 26))  # no longer
    wl.add(anne, _patient(10), blod, staff=sofie)  # wants the nurse
    gone = wl.add(anne, _patient(11), k15)
    wl.remove(anne, gone.id, "fik tid andetsteds")
    booking.cancel(anne, appt, "Patient cancelled")
    start, end, who = wl.freed_slot(appt)
    assert wl.fitting_count(start, end, who) == 3
    rows = wl.fitting(anne, start, end, who)
    assert [r.id for r in rows] == [e.id for e in fits]  # same priority: the longest waiting first
    assert rows[1].wishes == "fr 08.00-12.00"


def test_offer_by_phone_logs_every_attempt_and_booking_closes_the_entry(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    p = _patient(1)
    entry = wl.add(anne, p, clinic["types"]["K15"], note="vil gerne tidligere")
    assert wl.offer_by_phone(anne, entry.id, FRI_9, lars, "no_answer") is None
    assert wl.offer_by_phone(anne, entry.id, FRI_9, lars, "declined") is None
    appt = wl.offer_by_phone(anne, entry.id, FRI_9, lars, "accepted")
    assert appt.patient_id == p.id and appt.start == FRI_9
    entry = WaitingEntry.get_by_id(entry.id)
    assert entry.state == "booked" and entry.appointment_id == appt.id
    assert [a.outcome for a in wl.attempts(entry.id)] == ["no_answer", "declined", "accepted"]
    assert wl.entries(anne) == []
    with pytest.raises(wl.WaitingError):
        wl.offer_by_phone(anne, entry.id, FRI_9, lars, "accepted")


def test_offer_by_sms_needs_consent_and_carries_a_reply_deadline(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    p = _patient(1)
    entry = wl.add(anne, p, clinic["types"]["K15"])
    with pytest.raises(wl.WaitingError):
        wl.offer_by_sms(anne, entry.id, FRI_9, lars)
    sms.give_consent(anne, p, "20304050")
    msg = wl.offer_by_sms(anne, entry.id, FRI_9, lars, reply_hours=3)
    assert msg.kind == "offer" and "fredag 27. november kl. 09.00" in msg.text
    assert "Svar JA inden torsdag 26. november kl. 13.00" in msg.text and "Beskeden kan ikke besvares" not in msg.text
    attempt = ContactAttempt.get(ContactAttempt.waiting == entry.id)
    assert attempt.channel == "sms" and attempt.reply_by == D(2026, 11, 26, 13, 0)
    assert WaitingEntry.get_by_id(entry.id).state == "waiting"  # never booked without her yes


def test_list_filters_by_type_and_staff_oldest_first_with_waiting_time(clinic):
    from tui.domain import clock

    anne, lars = clinic["secretary"], clinic["doctor"]
    with clock.stopped_at(D(2026, 11, 2, 9, 0)):
        old = wl.add(anne, _patient(1), clinic["types"]["K15"], staff=lars)
    new = wl.add(anne, _patient(2), clinic["types"]["K15"])
    blod = wl.add(anne, _patient(3), clinic["types"]["BLOD"], staff=clinic["nurse"])
    rows = wl.entries(anne)
    assert [r.id for r in rows] == [old.id, new.id, blod.id]
    assert rows[0].waited_days == 24 and rows[1].waited_days == 0
    assert [r.id for r in wl.entries(anne, type_id=clinic["types"]["K15"].id)] == [old.id, new.id]
    assert [r.id for r in wl.entries(anne, staff_id=lars.id)] == [old.id, new.id]
    assert AuditEvent.select().where(AuditEvent.action == "waiting_list_viewed").count() == 3


def test_recall_due_list_bulk_contact_honours_do_not_contact_and_logs(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    k30 = clinic["types"]["K30"]
    a, b, c, d = (_patient(i) for i in range(1, 5))
    ra = recall.add_rule(anne, a, k30, "Diabetes-årskontrol", months=12, next_due=dt.date(2026, 10, 1), staff=lars)
    rb = recall.add_rule(anne, b, k30, "KOL-kontrol", months=12, next_due=dt.date(2026, 11, 30))
    rc = recall.add_rule(anne, c, k30, "INR", weeks=6, next_due=dt.date(2026, 11, 20))
    recall.add_rule(anne, d, k30, "Diabetes-årskontrol", months=12, next_due=dt.date(2027, 1, 5))
    recall.set_do_not_contact(anne, c, True, "ønsker ikke at blive kontaktet")
    sms.give_consent(anne, a, "20304050")
    rows = recall.due_list(anne)
    assert [r.id for r in rows] == [ra.id, rc.id, rb.id]
    assert [r.overdue for r in rows] == [True, True, False] and rows[1].do_not_contact
    assert [r.id for r in recall.due_list(anne, overdue_only=True)] == [ra.id, rc.id]
    res = recall.contact(anne, [ra.id, rb.id, rc.id], "sms")
    assert (res.contacted, res.skipped_no_consent, res.skipped_do_not_contact) == (1, 1, 1)
    assert SmsMessage.get(SmsMessage.kind == "recall").patient_id == a.id
    res = recall.contact(anne, [rb.id, rc.id], "letter")
    assert (res.contacted, res.skipped_do_not_contact) == (1, 1)
    letter = Letter.get(Letter.patient == b.id)
    assert letter.kind == "indkaldelse" and letter.status == "draft" and "KOL-kontrol" in letter.fields["appointment_text"]
    assert ContactAttempt.select().where(ContactAttempt.patient == c.id).count() == 0
    with pytest.raises(recall.RecallError):
        recall.log_call(anne, rc.id, "no_answer")
    rows = {r.id: r for r in recall.due_list(anne)}
    assert rows[ra.id].attempts == 1 and rows[ra.id].last_attempt == "SMS 26.11"


def test_booking_and_doing_the_control_move_the_next_due_date(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    jens = clinic["patients"]["jens"]
    rule = recall.add_rule(anne, jens, clinic["types"]["K30"], "Diabetes-årskontrol", months=12,
                           next_due=dt.date(2026, 11, 1))
    other = recall.add_rule(anne, jens, clinic["types"]["BLOD"], "INR", weeks=6, next_due=dt.date(2026, 11, 1))
    appt = booking.book(anne, jens, lars, clinic["types"]["K30"], D(2026, 12, 3, 10, 0))
    from tui.models_reach import RecallRule
    assert RecallRule.get_by_id(rule.id).next_due == dt.date(2027, 12, 3)
    assert RecallRule.get_by_id(other.id).next_due == dt.date(2026, 11, 1)
    from tui.domain import clock
    clock.freeze(D(2026, 12, 3, 10, 30))
    booking.set_status(anne, appt, "arrived")
    booking.set_status(anne, appt, "done")
    r = RecallRule.get_by_id(rule.id)
    assert r.last_done == dt.date(2026, 12, 3) and r.next_due == dt.date(2027, 12, 3)
    assert rule.id not in {x.id for x in recall.due_list(anne)}


def test_referral_deadlines_count_working_days_and_list_the_close_ones(clinic):
    anne = clinic["secretary"]
    # received Friday 18 December 2026: 8 working days skip weekends, 25 and 26 Dec and 1 Jan
    assert recall.deadlines(dt.date(2026, 12, 18)) == (dt.date(2026, 12, 31), dt.date(2027, 1, 17))
    assert recall.deadlines(dt.date(2026, 11, 16)) == (dt.date(2026, 11, 26), dt.date(2026, 12, 16))
    a, b, c = (_patient(i) for i in range(1, 4))
    late = recall.add_referral(anne, a, dt.date(2026, 11, 16), "Lægerne i Byen")  # letter due today
    close = recall.add_referral(anne, b, dt.date(2026, 11, 19))  # letter due 1 December
    recall.add_referral(anne, c, dt.date(2026, 11, 26))  # 8 December: not close yet
    rows = recall.referral_list(anne, within_days=3)
    assert [(r.id, r.days_left) for r in rows] == [(late.id, 0), (close.id, 5)]
    recall.mark_referral(anne, late.id, letter_sent=dt.date(2026, 11, 26))
    rows = recall.referral_list(anne, within_days=3)
    assert [r.id for r in rows] == [close.id]
    rows = recall.referral_list(anne, within_days=15)
    assert [(r.id, r.letter_by, r.assess_by) for r in rows if r.id != close.id][-1] == (
        late.id, None, dt.date(2026, 12, 16))
    with pytest.raises(recall.RecallError):
        recall.add_referral(anne, a, dt.date(2026, 11, 27))


def test_a_no_show_frees_what_is_left_of_its_time_and_only_that(clinic):
    """Marked no-show at 10.05 for a 10.00-10.30 K30: 10.15-10.30 is still to come (from the
    next slot on the grid); a no-show whose time has all gone frees nothing."""
    from tui.domain import clock

    anne, lars = clinic["secretary"], clinic["doctor"]
    k30 = clinic["types"]["K30"]
    with clock.stopped_at(D(2026, 11, 26, 8, 0)):
        late = booking.book(anne, clinic["patients"]["jens"], lars, k30, D(2026, 11, 26, 10, 0))
        gone = booking.book(anne, clinic["patients"]["mark"], lars, clinic["types"]["K15"], D(2026, 11, 26, 9, 0))
    short = wl.add(anne, _patient(1), clinic["types"]["K15"])  # 15 minutes: fits 10.15-10.30
    wl.add(anne, _patient(2), k30)  # 30 minutes: does not
    clock.freeze(D(2026, 11, 26, 10, 5))
    booking.set_status(anne, late, "no_show")
    assert wl.freed_slot(booking.Appointment.get_by_id(late.id)) == (D(2026, 11, 26, 10, 15),
                                                                     D(2026, 11, 26, 10, 30), lars)
    start, end, who = wl.freed_slot(late)
    assert [r.id for r in wl.fitting(anne, start, end, who)] == [short.id]
    booking.set_status(anne, gone, "no_show")
    assert wl.freed_slot(gone) is None
    # marked before its start (she called): the whole time is offered
    with clock.stopped_at(D(2026, 11, 26, 8, 0)):
        early = booking.book(anne, clinic["patients"]["mark"], lars, clinic["types"]["K15"], D(2026, 11, 26, 14, 0))
    booking.set_status(anne, early, "no_show", before_start_ok=True)
    assert wl.freed_slot(early) == (D(2026, 11, 26, 14, 0), D(2026, 11, 26, 14, 15), lars)


def test_time_freed_inside_an_absence_or_closed_time_is_not_offered(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    appt = booking.book(anne, clinic["patients"]["jens"], lars, clinic["types"]["K15"], FRI_9)
    wl.add(anne, _patient(1), clinic["types"]["K15"])
    _absence, affected = booking.register_absence(anne, lars, FRI_9.date(), FRI_9.date(), "sick")
    assert [a.id for a in affected] == [appt.id]
    booking.cancel(anne, appt, "Patient cancelled")
    assert wl.freed_slot(appt) is None  # Lars is away: nothing to offer


def test_cancelling_or_missing_the_booked_control_makes_the_recall_due_again(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    jens, k30 = clinic["patients"]["jens"], clinic["types"]["K30"]
    from tui.models_reach import RecallRule

    rule = recall.add_rule(anne, jens, k30, "Diabetes-årskontrol", months=12, next_due=dt.date(2026, 11, 1))
    appt = booking.book(anne, jens, lars, k30, D(2026, 12, 3, 10, 0))
    assert RecallRule.get_by_id(rule.id).next_due == dt.date(2027, 12, 3)
    moved = booking.move(anne, appt, D(2026, 12, 4, 10, 0))  # a move keeps it booked: due after the new time
    assert RecallRule.get_by_id(rule.id).next_due == dt.date(2027, 12, 4)
    booking.cancel(anne, moved, "Patient cancelled")
    assert RecallRule.get_by_id(rule.id).next_due == dt.date(2026, 11, 1)  # as before the booking
    assert rule.id in {r.id for r in recall.due_list(anne)}
    # two controls booked, one cancelled: due after the one still booked
    first = booking.book(anne, jens, lars, k30, D(2026, 12, 3, 10, 0))
    second = booking.book(anne, jens, lars, k30, D(2027, 3, 3, 10, 0))
    booking.cancel(anne, second, "Patient cancelled")
    assert RecallRule.get_by_id(rule.id).next_due == dt.date(2027, 12, 3)
    # the patient does not come: due again
    from tui.domain import clock
    clock.freeze(D(2026, 12, 3, 10, 20))
    booking.set_status(anne, first, "no_show")
    assert RecallRule.get_by_id(rule.id).next_due == dt.date(2026, 11, 1)


def test_an_absence_ended_early_frees_the_time_for_the_waiting_list(clinic):
    """Lars was off sick all Friday; he is back at 10.00: from 10.00 to his booking at 11.00
    is free again, and the list is told how many fit it. An absence that ends before it
    starts is gone."""
    anne, lars = clinic["secretary"], clinic["doctor"]
    booking.register_absence(anne, lars, FRI_9.date(), FRI_9.date(), "sick")
    back = D(2026, 11, 27, 10, 0)
    fits = wl.add(anne, _patient(1), clinic["types"]["K30"])
    wl.add(anne, _patient(2), clinic["types"]["K15"], time_from=dt.time(13))  # afternoons only
    assert not booking.is_bookable_time(lars, back, back + dt.timedelta(minutes=15))
    freed = booking.end_absence(anne, lars, back)
    assert freed == (back, D(2026, 11, 28, 0, 0))
    assert booking.is_bookable_time(lars, back, back + dt.timedelta(minutes=15))
    assert not booking.is_bookable_time(lars, FRI_9, FRI_9 + dt.timedelta(minutes=15))
    # what the desk is offered: the first free stretch of the freed time
    booking.book(anne, clinic["patients"]["jens"], lars, clinic["types"]["K15"], D(2026, 11, 27, 11, 0))
    start, end, who = wl.first_free_stretch(lars, *freed)
    assert (start, end, who) == (back, D(2026, 11, 27, 11, 0), lars)
    assert [r.id for r in wl.fitting(anne, start, end, who)] == [fits.id]
    assert AuditEvent.select().where(AuditEvent.action == "absence_ended").count() == 1
    with pytest.raises(booking.BookingError):
        booking.end_absence(anne, lars, back)  # no absence there any more
    # ended at (or before) its start: removed
    booking.register_absence(anne, lars, dt.date(2026, 12, 1), dt.date(2026, 12, 1), "course")
    assert booking.end_absence(anne, lars, D(2026, 12, 1, 0, 0)) == (D(2026, 12, 1, 0, 0), D(2026, 12, 2, 0, 0))
    assert booking.absences_for(lars, dt.date(2026, 12, 1), dt.date(2026, 12, 1)) == []


def test_a_whole_day_absence_is_listed_for_the_day_and_ended_from_it(clinic):
    """Lars is off all Friday, so F3 has no column for him: the day's absences list him, and
    ending it from that day frees the day for the waiting list."""
    anne, lars = clinic["secretary"], clinic["doctor"]
    absence, _affected = booking.register_absence(anne, lars, FRI_9.date(), FRI_9.date(), "sick")
    fits = wl.add(anne, _patient(1), clinic["types"]["K15"])
    assert [a.id for a in booking.absences_on(FRI_9.date())] == [absence.id]
    at = booking.back_from(absence, FRI_9.date())
    assert at == D(2026, 11, 27, 0, 0)  # the whole day: removed
    freed = booking.end_absence(anne, lars, at)
    start, end, who = wl.first_free_stretch(lars, *freed)
    assert start == FRI_9 and who == lars
    assert [r.id for r in wl.fitting(anne, start, end, who)] == [fits.id]
    assert booking.absences_on(FRI_9.date()) == []


def test_reopening_a_closing_day_frees_the_time_of_those_working_then(clinic):
    """Friday was closed; the closing is removed: Lars and the nurse work that day again,
    and the waiting list is told for each of them."""
    from tui.domain import admin, settings

    anne = clinic["secretary"]
    admin_user = clinic.get("admin") or anne
    fits = wl.add(anne, _patient(1), clinic["types"]["K15"])
    admin.add_closed_day(admin_user, FRI_9.date(), "kursus")
    old = settings.calendar_settings()
    ref = next(c.ref for c in admin.closing_days(2026) if c.day == FRI_9.date() and c.kind == "period")
    new = admin.remove_closing(admin_user, "period", ref)
    freed = wl.freed_by_opening(old, new)
    assert {who.id for _s, _e, who in freed} == {clinic["doctor"].id, clinic["nurse"].id}
    start, end, who = next(f for f in freed if f[2] == clinic["doctor"])
    assert start == FRI_9
    assert [r.id for r in wl.fitting(anne, start, end, who)] == [fits.id]
    assert wl.freed_by_opening(new, new) == []
