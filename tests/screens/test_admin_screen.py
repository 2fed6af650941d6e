"""Pilot tests and snapshots of the administration screen (F9)."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import PASSWORD, login, screen_text, settle

from tui.domain import admin, settings
from tui.models import (
    Appointment,
    AppointmentType,
    AuditEvent,
    Draft,
    Patient,
    Staff,
    Task,
    WorkPattern,
)
from tui.screens.admin import AdminScreen, PatternEditor
from tui.screens.forms import FormScreen
from tui.screens.dialogs import MessageScreen

D = dt.date


async def type_text(pilot, text: str) -> None:
    await pilot.press(*list(text))
    await settle(pilot)


async def clear_and_type(pilot, text: str) -> None:
    await pilot.press("end", *["backspace"] * 40)
    await type_text(pilot, text)


async def open_admin(pilot, user: str = "adam") -> None:
    await login(pilot, user)
    await pilot.press("f9")
    await settle(pilot)


@pytest.fixture
def clinic_data(staff):
    """Lars works Monday to Friday 8-16; a booked Friday appointment; two types."""
    a = staff["admin"]
    admin.save_patterns(a, staff["doctor"], [admin.make_pattern("ma-fr", "8", "16", D(2026, 1, 1))])
    admin.save_patterns(a, staff["nurse"], [admin.make_pattern("ti to", "8", "12", D(2026, 1, 1))])
    k15 = admin.add_type(a, {"code": "K15", "name": "Konsultation", "minutes": 15,
                             "roles": "doctor", "colour": "blue"})
    admin.add_type(a, {"code": "BLOD", "name": "Blodprøve", "minutes": 10,
                       "roles": "nurse", "colour": "red"})
    patient = Patient.create(cpr="0707614285", first_name="[bold]Per[/]", last_name="Hansen",
                             birth_date=D(1961, 7, 7), sex="M")
    Appointment.create(patient=patient, staff=staff["doctor"], type=k15,
                       start=dt.datetime(2026, 12, 4, 10, 0), end=dt.datetime(2026, 12, 4, 10, 15))
    return {"k15": k15}


async def test_only_admins_reach_the_screen(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_admin(pilot, "anne")
        assert not isinstance(app.screen, AdminScreen)
        await pilot.press("ctrl+q")
        await settle(pilot)
        await open_admin(pilot, "lars")
        assert not isinstance(app.screen, AdminScreen)


async def test_logging_out_from_the_admin_screen_ends_the_session_not_the_app(make_app):
    """Ctrl+Q on F9 logs out: the footer asks the admin screen which tab keys apply while
    nobody is logged in any more; that ended the whole app (found by benchmarks/run.py)."""
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_admin(pilot)
        assert isinstance(app.screen, AdminScreen)
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.pause(0.3)
        assert app.user is None and app.is_running
        await login(pilot, "adam")
        assert app.user is not None and app.user.username == "adam"


async def test_admin_sees_all_tabs_and_edits_the_clinic(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_admin(pilot)
        assert isinstance(app.screen, AdminScreen)
        text = screen_text(app)
        for label in ("Klinik", "Lukkedage", "Personale") if "Klinik" in text else (
                "Clinic", "Closing days", "Staff"):
            assert label in text
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await clear_and_type(pilot, "Lægehuset [red]Øst[/]")
        await pilot.press("enter", "enter", "enter", "enter")
        await type_text(pilot, "33 12 34 56")
        await pilot.press("enter")
        await type_text(pilot, "12345678")
        await pilot.press("enter")
        await type_text(pilot, "5790000123452")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen)
        assert settings.clinic()["name"] == "Lægehuset [red]Øst[/]"
        assert settings.clinic()["phone"] == "+4533123456"
        assert "Lægehuset [red]Øst[/]" in screen_text(app)
        assert AuditEvent.select().where((AuditEvent.action == "setting_changed")
                                         & (AuditEvent.detail == "clinic")).exists()


async def test_a_bad_value_keeps_the_form_open_with_the_reason(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_admin(pilot)
        await pilot.press("g")  # general settings
        await settle(pilot)
        await pilot.press("tab")  # waiting-room threshold
        await clear_and_type(pilot, "999")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert "240" in screen_text(app)
        await clear_and_type(pilot, "20")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen)
    assert settings.get("waiting_threshold_minutes") == 20


async def test_typing_in_a_form_is_kept_as_a_draft(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_admin(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("a")  # staff, add a person
        await settle(pilot)
        await type_text(pilot, "mette")
        app.save_all()
        draft = Draft.get(Draft.kind == "admin")
        assert draft.data["values"]["username"] == "mette"
        await pilot.press("escape", "j")  # Esc on typing asks; J throws it away
        await settle(pilot)
    assert not Draft.select().exists()


async def test_closing_days_year_selector_and_adding_a_day(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_admin(pilot)
        await pilot.press("2")
        await settle(pilot)
        text = screen_text(app)
        assert "2026" in text and "Juledag" in text and "Juleaftensdag" in text
        await pilot.press("plus")
        await settle(pilot)
        assert "2027" in screen_text(app) and "26.03.2027" in screen_text(app)  # Langfredag 2027
        await pilot.press("minus", "a")
        await settle(pilot)
        await type_text(pilot, "28.12.2026")
        await pilot.press("enter")
        await type_text(pilot, "Kursus")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "28.12.2026" in screen_text(app)
        assert "Kursus" in screen_text(app)
        s = settings.calendar_settings()
        assert s.closed_periods[0].start == D(2026, 12, 28)
        # a public holiday cannot be removed
        before = len(admin.closing_days(2026))
        await pilot.press("home", "x")
        await settle(pilot)
        assert len(admin.closing_days(2026)) == before
        assert "Nytårsdag" in screen_text(app)
        assert "cannot be removed" in screen_text(app) or "kan ikke" in screen_text(app)
        # the clinic's own day can
        rows = [c.kind for c in admin.closing_days(2026)]
        app.screen.query_one("#closing").table.move_cursor(row=rows.index("period"))
        await pilot.press("x")
        await settle(pilot)
        assert len(admin.closing_days(2026)) == before - 1


async def test_staff_add_deactivate_and_reset_password(make_app, staff):
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_admin(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "mette")
        await pilot.press("enter")
        await type_text(pilot, "Mette Mortensen")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        mette = Staff.get(Staff.username == "mette")
        assert mette.must_change_password and mette.role == "secretary"
        await pilot.press("enter")
        await settle(pilot)
        assert "Mette Mortensen" in screen_text(app)
        # deactivate Anne (the table is sorted by name; find her row)
        table = app.screen.query_one("#staff").table
        row = [str(k.value) for k in table.rows].index(str(staff["secretary"].id))
        table.move_cursor(row=row)
        await pilot.press("d")
        await settle(pilot)
        assert not Staff.get_by_id(staff["secretary"].id).active
        await pilot.press("p")
        await settle(pilot)
        assert "Nulstil adgangskoden" in screen_text(app)  # asked first; Enter is no
        await pilot.press("enter")
        await settle(pilot)
        assert not Staff.get_by_id(staff["secretary"].id).must_change_password
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert Staff.get_by_id(staff["secretary"].id).must_change_password


async def test_deactivated_person_cannot_log_in_in_the_app(make_app, staff):
    admin.deactivate_staff(staff["admin"], staff["secretary"])
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot, "anne")
        assert app.user is None
        assert "Forkert" in screen_text(app) or "Wrong" in screen_text(app)


async def test_after_a_reset_the_user_must_choose_a_new_password(make_app, staff):
    temporary = admin.reset_password(staff["admin"], staff["nurse"])
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot, "sofie", temporary)
        from tui.screens.password import PasswordScreen

        assert isinstance(app.screen, PasswordScreen)
        await type_text(pilot, "Ny-kode-2026")
        await pilot.press("enter")
        await type_text(pilot, "Ny-kode-2026")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, PasswordScreen)
    sofie = Staff.get_by_id(staff["nurse"].id)
    assert not sofie.must_change_password
    assert admin.auth.check_password("Ny-kode-2026", sofie.password_hash)
    assert not admin.auth.check_password(PASSWORD, sofie.password_hash)


async def test_work_pattern_preview_and_orphans_listed_before_saving(make_app, clinic_data, staff):
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_admin(pilot)
        await pilot.press("4")
        await settle(pilot)
        assert "Lars Læge" in screen_text(app)
        await pilot.press("e")  # Lars is first (doctors before nurses)
        await settle(pilot)
        assert isinstance(app.screen, PatternEditor)
        assert "8-16" in screen_text(app)
        await pilot.press("e")  # edit: Mondays to Thursdays only
        await settle(pilot)
        await clear_and_type(pilot, "ma-to")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatternEditor)
        preview = app.screen.query_one("#pattern-preview").render()
        assert preview is not None
        assert app.screen.specs[0].weekdays == [0, 1, 2, 3]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        text = screen_text(app)
        assert "04.12.2026" in text and "[bold]Per[/] Hansen" in text
        assert WorkPattern.get(WorkPattern.staff == staff["doctor"]).rrule == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen)
    assert WorkPattern.get(WorkPattern.staff == staff["doctor"]).rrule == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH"
    assert AuditEvent.select().where(AuditEvent.action == "work_patterns_changed").count() == 3


async def test_a_doctor_sees_only_her_own_patterns_when_the_clinic_allows_it(make_app, clinic_data):
    settings.put("doctors_edit_own_pattern", True)
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_admin(pilot, "lars")
        assert isinstance(app.screen, AdminScreen)
        text = screen_text(app)
        assert "Lars Læge" in text and "Sofie" not in text
        assert [p.id for p in app.screen.query("TabPane")] == ["patterns"]
        await pilot.press("1")  # the clinic tab is not there
        await settle(pilot)
        assert [p.id for p in app.screen.query("TabPane")] == ["patterns"]


async def test_types_add_retire_and_refuse_delete_in_use(make_app, clinic_data):
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_admin(pilot)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "ekg")
        await pilot.press("enter")
        await type_text(pilot, "EKG")
        await pilot.press("enter")
        await clear_and_type(pilot, "20")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert AppointmentType.get(AppointmentType.code == "EKG").minutes == 20
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "Ekg")
        await pilot.press("enter")
        await type_text(pilot, "Igen")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press("escape", "j")
        await settle(pilot)
        table = app.screen.query_one("#types").table
        keys = [str(k.value) for k in table.rows]
        table.move_cursor(row=keys.index(str(clinic_data["k15"].id)))
        await pilot.press("x")
        await settle(pilot)
        assert AppointmentType.get_or_none(AppointmentType.code == "K15") is not None
        await pilot.press("r")
        await settle(pilot)
        assert AppointmentType.get(AppointmentType.code == "K15").retired


async def _to_admin(pilot):
    await login(pilot, "adam")
    await pilot.press("f9")
    await settle(pilot)


async def _to_patterns(pilot):
    await _to_admin(pilot)
    await pilot.press("4", "e")
    await settle(pilot)


def test_snapshot_clinic_80x24(snap_compare, make_app, clinic_data):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_to_admin)


def test_snapshot_clinic_120x40(snap_compare, make_app, clinic_data):
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=_to_admin)


def test_snapshot_pattern_editor_80x24(snap_compare, make_app, clinic_data):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_to_patterns)


def test_snapshot_pattern_editor_120x40(snap_compare, make_app, clinic_data):
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=_to_patterns)


async def test_a_closing_day_lists_the_bookings_first_and_the_secretary_moves_them(make_app, staff):
    """Issue 20: the list comes before saving; the secretaries get a task; F in the task
    list moves each booking to the first free slot with one key (Enter)."""
    from tui.domain import tasks as tasks_domain

    lars = staff["doctor"]
    admin.save_patterns(staff["admin"], lars, [admin.make_pattern("ma-fr", "8", "16", D(2026, 1, 1))])
    patient = Patient.create(cpr="0707614285", first_name="Per", last_name="Hansen",
                             birth_date=D(1961, 7, 7), sex="M")
    k15 = AppointmentType.create(code="K15", name="Konsultation", minutes=15, roles="doctor")
    appt = Appointment.create(patient=patient, staff=lars, type=k15,
                              start=dt.datetime(2026, 11, 30, 9, 0),
                              end=dt.datetime(2026, 11, 30, 9, 15), status="booked")
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_admin(pilot)
        await pilot.press("2", "a")
        await settle(pilot)
        await type_text(pilot, "30.11.2026")
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = screen_text(app)
        assert "1 aftaler ville ligge i lukket tid" in text and f"Aftale nr. {appt.id}" in text
        assert "Hansen" not in text
        assert D(2026, 11, 30) not in settings.calendar_settings().extra_closed_days
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert D(2026, 11, 30) in settings.calendar_settings().extra_closed_days
    task = Task.get(Task.to_role == "secretary")
    assert tasks_domain.booking_ids(task) == [appt.id]
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await login(pilot, "anne")
        await pilot.press("f7")  # tasks
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert "Per Hansen" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert "Flyttet til" in screen_text(app)
    [now] = Appointment.select().where((Appointment.patient == patient)
                                       & (Appointment.status == "booked"))
    assert now.start.date() != D(2026, 11, 30)


async def test_reopening_a_closing_day_sends_the_freed_time_to_the_desk(make_app, staff):
    """Friday 27.11 was closed; the admin removes the closing: Lars works that day again and one
    on the waiting list fits his time. The admin does not see the schedule, so the secretaries
    get a task naming the time (V on it in F3 offers it)."""
    from helpers import setup_clinic

    from tui.domain import waiting_list as wl

    c = setup_clinic(staff)
    mette = Patient.create(cpr="0101901234", first_name="Mette", last_name="Venter",
                           birth_date=D(1990, 1, 1), sex="F")
    wl.add(c["secretary"], mette, c["types"]["K15"])
    admin.add_closed_day(staff["admin"], D(2026, 11, 27), "Kursus")
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_admin(pilot)
        await pilot.press("2")
        await settle(pilot)
        rows = [(c.kind, c.day) for c in admin.closing_days(2026)]
        app.screen.query_one("#closing").table.move_cursor(row=rows.index(("period", D(2026, 11, 27))))
        await pilot.press("x")
        await settle(pilot)
        assert any("Den genåbnede tid passer til 1 på ventelisten" in n.message for n in app._notifications)
    task = Task.get(Task.to_role == "secretary")
    assert "1 på ventelisten passer" in task.title and "LL fr 27.11.2026 09.00" in task.text
