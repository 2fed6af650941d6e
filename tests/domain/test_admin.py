"""Administration rules: clinic settings, closing days, staff, work patterns, types."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import PASSWORD

from tui.domain import admin, auth, calendar, settings
from tui.domain.calendar import ClinicSettings, RecurringClosure
from tui.models import (
    Appointment,
    AppointmentType,
    AuditEvent,
    Patient,
    Staff,
    WorkPattern,
)

D = dt.date
T = dt.time


def audited(action: str) -> list[AuditEvent]:
    return list(AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id))


# --- clinic -------------------------------------------------------------------------


def test_clinic_details_are_validated_stored_and_audited(staff):
    admin.set_clinic(staff["admin"], {"name": " Lægerne i Byen ", "phone": "33 12 34 56",
                                      "postcode": "8000", "sor": "123456789012",
                                      "ean": "5790000123452", "letterhead": "Lægerne\nByvej 1"})
    stored = settings.clinic()
    assert stored["name"] == "Lægerne i Byen"
    assert stored["phone"] == "+4533123456"
    assert stored["ean"] == "5790000123452"
    assert stored["letterhead"] == "Lægerne\nByvej 1"
    assert audited("setting_changed")[-1].detail == "clinic"


def test_saving_the_clinic_keeps_keys_the_form_does_not_show(staff):
    """Issue 20: the e-mail address (not on the form) survived no save."""
    settings.put("clinic", {**settings.clinic(), "email": "kontakt@klinik.example"})
    admin.set_clinic(staff["admin"], {"name": "Lægerne i Byen", "phone": "46 35 00 00"})
    stored = settings.clinic()
    assert stored["email"] == "kontakt@klinik.example"
    assert stored["phone"] == "+4546350000"  # stored normalised ...
    from tui.domain import letters

    assert letters.clinic_for_print()["phone"] == "46 35 00 00"  # ... printed in Danish grouping


@pytest.mark.parametrize("field,value", [
    ("name", ""), ("postcode", "80000"), ("sor", "12ab"), ("ean", "5790000123456"),
    ("ean", "123"), ("phone", "abc"),
])
def test_bad_clinic_details_are_refused(staff, field, value):
    data = {"name": "Klinik", field: value}
    with pytest.raises(ValueError):
        admin.set_clinic(staff["admin"], data)
    assert settings.stored("clinic") is None


def test_only_admins_change_settings(staff):
    for role in ("secretary", "doctor", "nurse"):
        with pytest.raises(auth.PermissionDenied):
            admin.set_clinic(staff[role], {"name": "X"})
        with pytest.raises(auth.PermissionDenied):
            admin.add_type(staff[role], {"code": "X", "name": "X", "minutes": 5, "roles": "doctor"})


def test_general_settings(staff):
    g = admin.set_general(staff["admin"], {"slot_minutes": "10", "waiting_threshold_minutes": "20",
                                           "idle_lock_minutes": "3", "language": "EN",
                                           "doctors_edit_own_pattern": True})
    assert g.language == "en"
    assert settings.get("slot_minutes") == 10
    assert settings.get("idle_lock_minutes") == 3
    assert admin.clinic_language() == "en"
    for bad in ({"slot_minutes": "7"}, {"idle_lock_minutes": "0"}, {"language": "de"},
                {"waiting_threshold_minutes": "ti"}):
        values = {"slot_minutes": 15, "waiting_threshold_minutes": 15, "idle_lock_minutes": 5,
                  "language": "da", **bad}
        with pytest.raises(ValueError):
            admin.set_general(staff["admin"], values)
    assert settings.get("slot_minutes") == 10


def test_clinic_language_is_none_until_set(database):
    assert admin.clinic_language() is None


def test_opening_hours_lunch_and_phone_hour(staff):
    hours = {0: (T(8), T(16)), 1: (T(8), T(16)), 2: (T(8), T(16)), 3: (T(8), T(18)),
             4: (T(8), T(14)), 5: None, 6: None}
    admin.set_hours(staff["admin"], hours, lunch=(T(12), T(12, 45)), phone_hour=(T(8), T(9)))
    s = settings.calendar_settings()
    assert s.hours[4] == (T(8), T(14))
    assert s.lunch == (T(12), T(12, 45))
    friday = D(2026, 11, 27)
    assert calendar.open_intervals(friday, s) == [(T(9), T(12)), (T(12, 45), T(14))]
    with pytest.raises(ValueError):
        admin.set_hours(staff["admin"], {0: (T(16), T(8))}, None, None)
    with pytest.raises(ValueError):
        admin.set_hours(staff["admin"], {}, None, None)


def test_parse_span():
    assert admin.parse_span("8-16", "x") == (T(8), T(16))
    assert admin.parse_span("08.00 – 12.30", "x") == (T(8), T(12, 30))
    assert admin.parse_span("lukket", "x") is None
    assert admin.parse_span("", "x") is None
    with pytest.raises(ValueError):
        admin.parse_span("16-8", "x")
    with pytest.raises(ValueError):
        admin.parse_span("8", "x")


# --- closing days ----------------------------------------------------------------------


def test_public_holidays_are_listed_for_any_year_and_not_removable(database):
    days = admin.closing_days(2027, ClinicSettings())
    public = [c for c in days if c.kind == "public"]
    assert len(public) == 10  # no Store bededag after 2023
    assert all(not c.removable for c in public)
    assert len([c for c in admin.closing_days(2020, ClinicSettings()) if c.kind == "public"]) == 11
    customary = {c.reason for c in days if c.kind == "customary"}
    assert {"Juleaftensdag", "Nytårsaftensdag", "Grundlovsdag"} <= customary
    ascension_friday = [c for c in days if c.reason.startswith("Fredag efter")][0]
    assert ascension_friday.day == D(2027, 5, 7)


def test_own_closing_days_half_days_weeks_and_periods(staff):
    a = staff["admin"]
    admin.add_closed_day(a, D(2026, 12, 28))
    admin.add_closed_day(a, D(2026, 12, 29), "Kursus")
    admin.add_half_day(a, D(2026, 12, 23), T(12), reason="Julefrokost")
    admin.add_holiday_week(a, 2027, 29)
    admin.add_closed_period(a, D(2027, 10, 11), D(2027, 10, 15), "Efterårsferie")
    s = settings.calendar_settings()
    assert not calendar.is_clinic_open(D(2026, 12, 28), s)
    assert calendar.closed_reason(D(2026, 12, 29), s) == "Kursus"
    assert calendar.open_intervals(D(2026, 12, 23), s)[-1][1] == T(12)
    assert not calendar.is_clinic_open(D(2027, 7, 21), s)
    assert not calendar.is_clinic_open(D(2027, 10, 13), s)
    with pytest.raises(ValueError):
        admin.add_closed_day(a, D(2026, 12, 28))
    with pytest.raises(ValueError):
        admin.add_holiday_week(a, 2026, 54)
    with pytest.raises(ValueError):
        admin.add_closed_period(a, D(2027, 1, 5), D(2027, 1, 1))
    kinds = {c.kind for c in admin.closing_days(2026)}
    assert {"day", "half", "period", "public", "customary"} <= kinds
    assert len(audited("closing_days_changed")) == 5


def test_removing_own_closing_days_but_not_public_holidays(staff):
    a = staff["admin"]
    admin.add_closed_day(a, D(2026, 12, 28))
    entry = [c for c in admin.closing_days(2026) if c.kind == "day"][0]
    admin.remove_closing(a, entry.kind, entry.ref)
    assert calendar.is_clinic_open(D(2026, 12, 28), settings.calendar_settings())
    with pytest.raises(ValueError):
        admin.remove_closing(a, "public", 0)
    with pytest.raises(ValueError):
        admin.remove_closing(a, "day", 0)


def test_recurring_closing_days(staff):
    a = staff["admin"]
    yearly = admin.recurrence_rule("yearly", month=12, day=23)
    admin.add_recurring_closure(a, yearly, D(2026, 1, 1), reason="Lillejuleaften")
    monthly = admin.recurrence_rule("monthly", weekday=2, nth=1)
    admin.add_recurring_closure(a, monthly, D(2026, 1, 1), close_at=T(12), reason="Personalemøde")
    s = settings.calendar_settings()
    assert calendar.closed_reason(D(2027, 12, 23), s) == "Lillejuleaften"
    assert calendar.closed_reason(D(2025, 12, 23), s) is None  # before it started
    first_wednesday = D(2027, 1, 6)
    assert calendar.is_clinic_open(first_wednesday, s)
    assert calendar.open_intervals(first_wednesday, s)[-1][1] == T(12)
    assert calendar.open_intervals(D(2027, 1, 13), s)[-1][1] == T(16)
    listed = [c for c in admin.closing_days(2027) if c.kind == "recurring"]
    assert len(listed) == 13  # 12 staff meetings and 23 December
    assert ClinicSettings.from_dict(s.to_dict()).recurring_closures == s.recurring_closures
    with pytest.raises(ValueError):
        admin.recurrence_rule("yearly", month=2, day=30)
    with pytest.raises(ValueError):
        admin.recurrence_rule("monthly", weekday=1, nth=5)
    with pytest.raises(ValueError):
        admin.add_recurring_closure(a, "FREQ=NEVER", D(2026, 1, 1))


def test_customary_days_can_be_switched(staff):
    admin.set_customary(staff["admin"], {"christmas_eve_closed": False, "may_first_closed": True},
                        grundlovsdag_close_at=T(13))
    s = settings.calendar_settings()
    assert calendar.is_clinic_open(D(2026, 12, 24), s)
    assert not calendar.is_clinic_open(D(2028, 5, 1), s)
    assert calendar.open_intervals(D(2029, 6, 5), s)[-1][1] == T(13)


def test_recurring_closure_default_keeps_old_settings_loading():
    old = ClinicSettings().to_dict()
    del old["recurring_closures"]
    assert ClinicSettings.from_dict(old).recurring_closures == []
    r = RecurringClosure("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=23", D(2026, 1, 1))
    assert calendar.recurring_dates(r, 2026) == [D(2026, 12, 23)]


# --- staff ----------------------------------------------------------------------------


def test_add_staff_with_temporary_password_that_must_be_changed(staff):
    person, password = admin.add_staff(staff["admin"], {
        "username": "karen", "full_name": "Karen Kirurg", "role": "doctor",
        "authorisation_id": "ab12c"})
    assert person.initials == "KK"
    assert person.authorisation_id == "AB12C"
    assert person.has_calendar and person.must_change_password
    assert auth.login("karen", password).id == person.id
    assert auth.password_problem(password, "karen") is None


def test_staff_rules(staff):
    a = staff["admin"]
    with pytest.raises(ValueError):  # initials taken by Anne
        admin.add_staff(a, {"username": "alma", "full_name": "Alma S", "role": "secretary",
                            "initials": "as"})
    with pytest.raises(ValueError):  # a doctor needs her authorisation id
        admin.add_staff(a, {"username": "dora", "full_name": "Dora D", "role": "doctor"})
    with pytest.raises(ValueError):
        admin.add_staff(a, {"username": "lars", "full_name": "Lars 2", "role": "nurse"})
    with pytest.raises(ValueError):
        admin.edit_staff(a, a, {"full_name": "Adam", "role": "secretary", "initials": "AA"})
    admin.edit_staff(a, staff["nurse"], {"full_name": "Sofie S. Hansen", "role": "nurse",
                                         "initials": "SSH", "title": "Sygeplejerske"})
    assert Staff.get_by_id(staff["nurse"].id).initials == "SSH"
    assert "sofie" in audited("user_changed")[-1].detail


def test_deactivated_staff_cannot_log_in_and_are_never_deleted(staff):
    a = staff["admin"]
    assert auth.login("anne", PASSWORD)
    admin.deactivate_staff(a, staff["secretary"])
    with pytest.raises(auth.LoginError):
        auth.login("anne", PASSWORD)
    assert Staff.get_or_none(Staff.username == "anne") is not None
    assert audited("user_deactivated")[-1].detail == "anne"
    admin.reactivate_staff(a, Staff.get(Staff.username == "anne"))
    assert auth.login("anne", PASSWORD)


def test_cannot_deactivate_self_or_last_admin(staff):
    with pytest.raises(ValueError):
        admin.deactivate_staff(staff["admin"], staff["admin"])
    other, _pw = admin.add_staff(staff["admin"], {"username": "bo", "full_name": "Bo Boss",
                                                  "role": "admin"})
    admin.deactivate_staff(other, staff["admin"])
    with pytest.raises(ValueError):
        admin.deactivate_staff(staff["admin"], other)
    with pytest.raises(auth.PermissionDenied):
        admin.deactivate_staff(staff["secretary"], staff["nurse"])


def test_reset_password_forces_a_new_one(staff):
    pw = admin.reset_password(staff["admin"], staff["nurse"])
    nurse = Staff.get_by_id(staff["nurse"].id)
    assert nurse.must_change_password
    with pytest.raises(auth.LoginError):
        auth.login("sofie", PASSWORD)
    assert auth.login("sofie", pw).must_change_password
    assert audited("password_set")[-1].username == "adam"


# --- work patterns --------------------------------------------------------------------


def test_make_pattern_builds_a_valid_rrule():
    spec = admin.make_pattern("fr", "8", "12", "27.11.2026", "", interval="2")
    assert spec.rrule() == "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"
    assert spec.valid_from == D(2026, 11, 27) and spec.valid_to is None
    every_monday = admin.make_pattern("ma", "8", "16", "1.12.2026", "31.12.2026")
    assert every_monday.rrule() == "FREQ=WEEKLY;BYDAY=MO"
    for args in (("ma", "16", "8", "1.12.2026"), ("ma", "8", "16", "1.12.2026", "1.11.2026"),
                 ("ma", "8", "16", "1.12.2026", "", "9"), ("", "8", "16", "1.12.2026")):
        with pytest.raises(ValueError):
            admin.make_pattern(*args)
    with pytest.raises(ValueError):
        admin.parse_rrule("FREQ=SOMETIMES", D(2026, 1, 1))


def test_preview_shows_the_next_four_weeks():
    specs = [admin.make_pattern("ma", "8", "16", D(2026, 11, 1)),
             admin.make_pattern("fr", "8", "12", D(2026, 11, 27), interval=2)]
    preview = admin.preview_pattern(specs)
    assert preview[0] == (D(2026, 11, 27), T(8), T(12))  # today is Thursday 26 Nov
    mondays = [d for d, s, e in preview if d.weekday() == 0]
    fridays = [d for d, s, e in preview if d.weekday() == 4]
    assert mondays == [D(2026, 11, 30), D(2026, 12, 7), D(2026, 12, 14), D(2026, 12, 21)]
    assert fridays == [D(2026, 11, 27), D(2026, 12, 11)]  # every other Friday
    assert all(D(2026, 11, 26) <= d <= D(2026, 12, 23) for d, s, e in preview)
    later = admin.preview_pattern([admin.make_pattern("ti", "9", "15", D(2027, 3, 1),
                                                      D(2027, 3, 10))])
    assert [d for d, s, e in later] == [D(2027, 3, 2), D(2027, 3, 9)]


@pytest.fixture
def booked(staff):
    """Lars works Mondays and Fridays 8-16; two booked appointments and a cancelled one."""
    lars = staff["doctor"]
    admin.save_patterns(staff["admin"], lars,
                        [admin.make_pattern("ma fr", "8", "16", D(2026, 1, 1))])
    patient = Patient.create(cpr="0707614285", first_name="Per", last_name="Hansen",
                             birth_date=D(1961, 7, 7), sex="M")
    k15 = AppointmentType.create(code="K15", name="Konsultation", minutes=15)
    def mk(start, status="booked"):
        return Appointment.create(patient=patient, staff=lars, type=k15, start=start,
                                  end=start + dt.timedelta(minutes=15), status=status)
    return {
        "monday": mk(dt.datetime(2026, 11, 30, 9, 0)),
        "friday": mk(dt.datetime(2026, 12, 4, 14, 0)),
        "cancelled": mk(dt.datetime(2026, 12, 4, 15, 0), "cancelled"),
        "past": mk(dt.datetime(2026, 11, 23, 9, 0)),
        "lars": lars, "type": k15,
    }


def test_a_closing_day_and_shorter_hours_list_the_bookings_they_leave_out(staff, booked):
    """Issue 20: a closing day left 41 bookings and shorter Friday hours 13, unmentioned."""
    from tui.domain import tasks
    from tui.models import Task

    boss = staff["admin"]
    affected = admin.closing_preview(lambda: admin.add_closed_day(boss, D(2026, 11, 30)))
    assert [a.id for a in affected] == [booked["monday"].id]
    assert D(2026, 11, 30) not in settings.calendar_settings().extra_closed_days  # rolled back
    # Friday closes at 13 instead of 16: the 14.00 booking falls out
    hours = {wd: (dt.time(8), dt.time(16)) for wd in range(5)}
    hours[4] = (dt.time(8), dt.time(13))
    shorter = admin.closing_preview(lambda: admin.set_hours(boss, hours, None, None))
    assert [a.id for a in shorter] == [booked["friday"].id]
    task = admin.send_to_secretaries(boss, shorter, "Åbningstider")
    assert task.to_role == "secretary" and "1 aftaler" in task.title
    assert "Per" not in task.text and "Hansen" not in task.text  # the admin sees no patient
    assert tasks.booking_ids(Task.get_by_id(task.id)) == [booked["friday"].id]


def test_orphaned_appointments_are_listed(booked):
    lars = booked["lars"]
    only_mondays = [admin.make_pattern("ma", "8", "16", D(2026, 1, 1))]
    orphans = admin.orphaned_appointments(lars, only_mondays)
    assert [a.id for a in orphans] == [booked["friday"].id]
    shorter_friday = [admin.make_pattern("ma", "8", "16", D(2026, 1, 1)),
                      admin.make_pattern("fr", "8", "12", D(2026, 1, 1))]
    assert [a.id for a in admin.orphaned_appointments(lars, shorter_friday)] == [booked["friday"].id]
    same = [admin.make_pattern("ma fr", "8", "16", D(2026, 1, 1))]
    assert admin.orphaned_appointments(lars, same) == []
    ending = [admin.make_pattern("ma fr", "8", "16", D(2026, 1, 1), D(2026, 12, 1))]
    assert [a.id for a in admin.orphaned_appointments(lars, ending)] == [booked["friday"].id]


def test_save_refuses_orphans_until_confirmed_and_replaces_atomically(booked, staff):
    lars = booked["lars"]
    only_mondays = [admin.make_pattern("ma", "8", "16", D(2026, 1, 1))]
    with pytest.raises(admin.OrphansFound) as info:
        admin.save_patterns(staff["admin"], lars, only_mondays)
    assert [a.id for a in info.value.appointments] == [booked["friday"].id]
    assert WorkPattern.select().where(WorkPattern.staff == lars).get().rrule == "FREQ=WEEKLY;BYDAY=MO,FR"
    admin.save_patterns(staff["admin"], lars, only_mondays, confirm_orphans=True)
    rows = list(WorkPattern.select().where(WorkPattern.staff == lars))
    assert [r.rrule for r in rows] == ["FREQ=WEEKLY;BYDAY=MO"]
    assert "1 appointments outside" in audited("work_patterns_changed")[-1].detail
    assert admin.patterns_of(lars)[0].weekdays == [0]


def test_a_doctor_edits_her_own_pattern_only_when_the_clinic_allows_it(staff):
    lars, sofie = staff["doctor"], staff["nurse"]
    spec = [admin.make_pattern("ti", "8", "16", D(2026, 12, 1))]
    assert not admin.can_edit_pattern(lars, lars)
    assert not auth.can(lars, "admin.view")
    with pytest.raises(auth.PermissionDenied):
        admin.save_patterns(lars, lars, spec)
    settings.put("doctors_edit_own_pattern", True)
    assert auth.can(lars, "admin.view")
    assert not auth.can(lars, "admin.settings")
    assert admin.can_edit_pattern(lars, lars)
    assert not admin.can_edit_pattern(lars, sofie)
    assert not admin.can_edit_pattern(sofie, sofie)
    assert [p.username for p in admin.editable_people(lars)] == ["lars"]
    admin.save_patterns(lars, lars, spec)
    with pytest.raises(auth.PermissionDenied):
        admin.save_patterns(lars, sofie, spec)
    assert {p.username for p in admin.editable_people(staff["admin"])} == {"lars", "sofie"}
    assert not admin.can_edit_pattern(staff["admin"], staff["secretary"])


def test_stored_rrules_that_are_not_plain_weekly_are_kept(staff):
    lars = staff["doctor"]
    WorkPattern.create(staff=lars, rrule="FREQ=MONTHLY;BYDAY=+1MO", start_time=T(8),
                       end_time=T(12), valid_from=D(2026, 1, 1))
    spec = admin.patterns_of(lars)[0]
    assert spec.rule == "FREQ=MONTHLY;BYDAY=+1MO"
    assert [d for d, s, e in admin.preview_pattern([spec])] == [D(2026, 12, 7)]


# --- appointment types ----------------------------------------------------------------


def test_type_codes_are_short_and_unique_ignoring_case(staff):
    a = staff["admin"]
    t = admin.add_type(a, {"code": "blod", "name": "Blodprøve", "minutes": "10",
                           "colour": "red", "roles": "nurse"})
    assert t.code == "BLOD" and t.role_list == ["nurse"]
    with pytest.raises(ValueError):
        admin.add_type(a, {"code": "Blod", "name": "Igen", "minutes": 10, "roles": "nurse"})
    for bad in ({"code": "ABCDEFG"}, {"code": ""}, {"minutes": "0"}, {"minutes": "x"},
                {"roles": "secretary"}, {"roles": ""}, {"colour": "rainbow"}, {"name": " "},
                {"code": "K 15"}):
        values = {"code": "K15", "name": "Konsultation", "minutes": 15, "roles": "doctor", **bad}
        with pytest.raises(ValueError):
            admin.add_type(a, values)
    admin.edit_type(a, t, {"code": "blod", "name": "Blodprøver", "minutes": 10, "colour": "red",
                           "roles": ["nurse", "doctor"], "bookable": False})
    t = AppointmentType.get_by_id(t.id)
    assert t.roles == "doctor,nurse" and not t.bookable and t.name == "Blodprøver"
    assert audited("appointment_type_changed")


def test_a_type_in_use_is_retired_not_deleted(booked, staff):
    a = staff["admin"]
    k15 = booked["type"]
    with pytest.raises(admin.TypeInUse):
        admin.delete_type(a, k15)
    admin.retire_type(a, k15)
    assert AppointmentType.get_by_id(k15.id).retired
    assert [t.code for t in admin.list_types(include_retired=False)] == []
    unused = admin.add_type(a, {"code": "EKG", "name": "EKG", "minutes": 20, "roles": "nurse"})
    admin.delete_type(a, unused)
    assert AppointmentType.get_or_none(AppointmentType.code == "EKG") is None
    assert audited("appointment_type_deleted")[-1].detail == "EKG"
