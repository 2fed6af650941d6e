"""The desk's side of reaching patients, with the pilot: the waiting list from the booking
dialog in one key, a cancelled slot offered to the list, recalls in bulk, the outbox with
resend, and SMS consent withdrawn from the record."""
from __future__ import annotations

import datetime as dt

from helpers import login, screen_text, settle, setup_clinic, until

from tui.domain import booking, recall, sms
from tui.domain import waiting_list as wl
from tui.models import AuditEvent, Patient
from tui.models_reach import ContactAttempt, SmsMessage, WaitingEntry

D = dt.datetime
FRI_9 = D(2026, 11, 27, 9, 0)


def _patient(i: int, first: str) -> Patient:
    return Patient.create(cpr=f"01019{i:05d}"[:10], first_name=first, last_name="Test",
                          birth_date=dt.date(1990, 1, 1), sex="F")


async def _reach_tab(pilot, key: str, shows: str) -> None:
    """Log in, open the reach section (F10, on its waiting list), then its tab `key`."""
    await login(pilot)
    await pilot.press("f10")
    await until(pilot, lambda: "Venteliste" in screen_text(pilot.app))
    await pilot.press(key)
    await until(pilot, lambda: shows in screen_text(pilot.app))


async def test_booking_dialog_puts_the_patient_on_the_waiting_list_in_one_key(make_app, staff):
    c = setup_clinic(staff)
    jens = c["patients"]["jens"]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot)
        from tui.screens.booking import BookingScreen

        app.push_screen(BookingScreen(patient=jens))
        await pilot.pause()
        await pilot.press(*"K15", "ctrl+n")
        await until(pilot, lambda: "venteliste" in screen_text(app).lower())
        await pilot.press(*"man ons", "ctrl+s")
        await until(pilot, lambda: WaitingEntry.select().count() == 1)
    entry = WaitingEntry.get()
    assert entry.patient_id == jens.id and entry.type.code == "K15" and entry.weekdays == "0,2"


async def test_cancel_in_the_schedule_shows_who_fits_and_v_offers_by_phone(make_app, staff):
    c = setup_clinic(staff)
    anne, lars = c["secretary"], c["doctor"]
    at = D(2026, 11, 26, 10, 30)
    booking.book(anne, c["patients"]["jens"], lars, c["types"]["K15"], at)
    mette = _patient(1, "[red]Mette[/]")
    entry = wl.add(anne, mette, c["types"]["K15"])
    wl.add(anne, _patient(2, "Ole"), c["types"]["EKG"])  # does not fit
    app = make_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("down", "down", "c")  # Lars at 10.30: cancel
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: any("1 på ventelisten" in n.message for n in app._notifications))
        await pilot.app.workers.wait_for_complete()
        await pilot.press("v")
        await until(pilot, lambda: "[red]Mette[/]" in screen_text(app))
        assert "Ole" not in screen_text(app)
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("down", "enter")  # "declined"
        await until(pilot, lambda: ContactAttempt.select().count() == 1)
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("enter")  # "accepted"
        await until(pilot, lambda: WaitingEntry.get_by_id(entry.id).state == "booked")
    assert [a.outcome for a in wl.attempts(entry.id)] == ["declined", "accepted"]
    assert WaitingEntry.get_by_id(entry.id).appointment.start == at


async def test_a_no_show_in_the_schedule_shows_who_fits_what_is_left(make_app, staff):
    """She marks Jens no-show at 10.30 before his time (he called: not coming): the freed
    time is offered like a cancelled one; then V opens the list for it."""
    c = setup_clinic(staff)
    anne, lars = c["secretary"], c["doctor"]
    booking.book(anne, c["patients"]["jens"], lars, c["types"]["K15"], D(2026, 11, 26, 10, 30))
    wl.add(anne, _patient(1, "Mette"), c["types"]["K15"])
    app = make_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("down", "down", "n")  # Lars at 10.30: no-show, before his time
        await until(pilot, lambda: "Jens" in screen_text(app) and "10.30" in screen_text(app)
                    and app.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("j")
        await until(pilot, lambda: any("1 på ventelisten" in n.message and "10.30" in n.message
                                       for n in app._notifications))
        await pilot.app.workers.wait_for_complete()
        await pilot.press("v")
        await until(pilot, lambda: "Mette" in screen_text(app))


async def test_x_on_an_absence_ends_it_and_offers_the_freed_time(make_app, staff):
    """Lars was to be off until 14.00; at 10.30 she puts the cursor on his column and presses
    X: he is back from there, and the waiting list is told at once who fits."""
    c = setup_clinic(staff)
    anne, lars = c["secretary"], c["doctor"]
    booking.register_absence(anne, lars, D(2026, 11, 26, 8, 0), D(2026, 11, 26, 14, 0), "sick")
    wl.add(anne, _patient(1, "Mette"), c["types"]["K15"])
    app = make_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("down", "down", "x")  # Lars at 10.30, inside his absence
        await until(pilot, lambda: "Afslut Lars Læges fravær 26.11 10.30" in screen_text(app))
        await pilot.press("j")
        await until(pilot, lambda: any("1 på ventelisten" in n.message and "26.11 10.30" in n.message
                                       for n in app._notifications))
        await pilot.app.workers.wait_for_complete()
        await pilot.press("v")
        await until(pilot, lambda: "Mette" in screen_text(app))
    assert booking.is_bookable_time(lars, D(2026, 11, 26, 10, 30), D(2026, 11, 26, 10, 45))


async def test_shift_x_ends_a_whole_day_absence_and_offers_the_freed_time(make_app, staff):
    """Lars is off all day, so his column is gone; the title says so, Shift+X lists the day's
    absences, Enter ends his from the next slot, and the waiting list is told who fits."""
    c = setup_clinic(staff)
    anne, lars = c["secretary"], c["doctor"]
    booking.register_absence(anne, lars, dt.date(2026, 11, 26), dt.date(2026, 11, 26), "sick")
    wl.add(anne, _patient(1, "Mette"), c["types"]["K15"])
    app = make_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await until(pilot, lambda: "fravær: LL" in screen_text(app))
        await pilot.press("X")
        await until(pilot, lambda: "Lars Læge: syg" in screen_text(app))
        await pilot.press("enter")
        await until(pilot, lambda: "Afslut Lars Læges fravær 26.11 10.00" in screen_text(app))
        await pilot.press("j")
        await until(pilot, lambda: any("1 på ventelisten" in n.message and "26.11 10.00" in n.message
                                       for n in app._notifications))
        await pilot.app.workers.wait_for_complete()
        await pilot.press("v")
        await until(pilot, lambda: "Mette" in screen_text(app))
    assert [a.end for a in booking.absences_on(dt.date(2026, 11, 26))] == [D(2026, 11, 26, 10, 0)]
    assert AuditEvent.select().where(AuditEvent.action == "absence_ended").count() == 1


async def test_reach_section_lists_recalls_sends_bulk_sms_and_resends(make_app, staff):
    c = setup_clinic(staff)
    anne = c["secretary"]
    a, b = _patient(1, "Anna"), _patient(2, "Bo")
    sms.give_consent(anne, a, "20304050")
    recall.add_rule(anne, a, c["types"]["K30"], "Diabetes-årskontrol", months=12, next_due=dt.date(2026, 11, 1))
    recall.add_rule(anne, b, c["types"]["K30"], "KOL-kontrol", months=12, next_due=dt.date(2026, 11, 20))
    recall.set_do_not_contact(anne, b, True)
    app = make_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await _reach_tab(pilot, "2", shows="Diabetes-årskontrol")
        assert "kontakt ikke" in screen_text(app).lower()
        await pilot.press("space", "space", "s")
        await until(pilot, lambda: SmsMessage.select().count() == 1)
        assert ContactAttempt.select().count() == 1  # Bo: do not contact
        await pilot.press("4")
        await until(pilot, lambda: "Anna Test" in screen_text(app))
        SmsMessage.update(state="failed", error="HTTP 400").execute()
        await pilot.press("u")
        await until(pilot, lambda: "HTTP 400" in screen_text(app))
        await pilot.press("r")
        await until(pilot, lambda: SmsMessage.select().count() == 2)
    assert AuditEvent.select().where(AuditEvent.action == "sms_outbox_viewed").count() >= 2
    assert AuditEvent.select().where(AuditEvent.action == "recall_list_viewed").count() >= 1


async def test_consent_is_withdrawn_from_the_record_in_one_key(make_app, staff):
    c = setup_clinic(staff)
    jens = c["patients"]["jens"]
    sms.give_consent(c["secretary"], jens, "20304050")
    booking.book(c["secretary"], jens, c["doctor"], c["types"]["K15"], D(2026, 11, 30, 9, 0))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot)
        from tui.screens.record import RecordScreen

        app.push_screen(RecordScreen(jens.id, "test"))
        await pilot.pause()
        await pilot.press("s")
        await until(pilot, lambda: "+45 20 30 40 50" in screen_text(app) or "20 30 40 50" in screen_text(app))
        await pilot.press("ctrl+w")
        await until(pilot, lambda: sms.active_consent(jens) is None)
    assert {m.state for m in SmsMessage.select()} == {"cancelled"}


async def test_templates_tab_edits_a_template_with_preview_and_the_quiet_hours(make_app, staff):
    setup_clinic(staff)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await _reach_tab(pilot, "5", shows="Stille timer 21:00-08:00")
        await pilot.press("n")
        await until(pilot, lambda: "SMS-skabelon" in screen_text(app))
        from textual.widgets import TextArea

        area = app.screen.query_one("#t-body", TextArea)
        area.focus()
        await pilot.press(*"Husk {date} {diagnose}")
        await until(pilot, lambda: "Ukendt flettefelt: diagnose" in screen_text(app))
        area.load_text("Husk tiden {date} kl. {time}. Afbud: ring {phone}. Beskeden kan ikke besvares.")
        await until(pilot, lambda: "Husk tiden fredag 27. november kl. 09.30" in screen_text(app))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any(t.body.startswith("Husk tiden") for t in sms.all_templates()))
        await pilot.press("t")
        await until(pilot, lambda: "SMS-tider" in screen_text(app))
        await pilot.press(*"x", "ctrl+s")  # "21:00x" is not a time
        await until(pilot, lambda: "Skriv tidspunkter som 21:00." in screen_text(app))
        app.screen.query_one("#q-from").value = "20.30"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: sms.sms_settings()["quiet_from"] == "20.30")
    new = [t for t in sms.all_templates() if t.body.startswith("Husk tiden")][0]
    assert new.event == "reminder" and new.lead == "1 d"


async def test_editing_a_template_tells_how_many_queued_messages_take_the_new_words(make_app, staff):
    c = setup_clinic(staff)
    jens = c["patients"]["jens"]
    sms.give_consent(c["secretary"], jens, "20304050")
    booking.book(c["secretary"], jens, c["doctor"], c["types"]["K15"], D(2026, 11, 30, 9, 0))
    app = make_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await _reach_tab(pilot, "5", shows="Stille timer")
        row = [t for t in sms.all_templates() if t.event == "reminder"][0]
        table = app.screen.query_one("#templates-table")
        table.move_cursor(row=table.get_row_index(str(row.id)))
        await pilot.press("e")
        await until(pilot, lambda: "SMS-skabelon" in screen_text(app))
        from textual.widgets import TextArea

        app.screen.query_one("#t-body", TextArea).load_text(
            "Husk {date} kl. {time}. Afbud: ring {phone}. Beskeden kan ikke besvares.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("nye ordlyd: 1" in n.message for n in app._notifications))
    assert SmsMessage.get(SmsMessage.kind == "reminder").text.startswith("Husk mandag 30. november kl. 09.00")
