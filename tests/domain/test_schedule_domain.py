"""Working time and free slots: patterns, absences, holidays, lunch, closing days, the
type's duration, clock changes; the day view, waiting room and day list."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import setup_clinic, statements_sent
from hypothesis import given, strategies as st

from tui.domain import booking, clock, schedule, settings
from tui.domain.calendar import ClinicSettings
from tui.domain.clock import CLINIC_TZ
from tui.models import Absence, Appointment, WorkPattern

D = dt.datetime


@pytest.fixture
def clinic(staff):
    return setup_clinic(staff, nurse_pattern="FREQ=WEEKLY;BYDAY=MO,WE")


def test_working_intervals_follow_pattern_and_opening_hours(clinic):
    lars, sofie = clinic["doctor"], clinic["nurse"]
    fri = dt.date(2026, 11, 27)
    # 8-16 minus telephone hour 8-9 and lunch 12-12.30
    assert schedule.working_intervals(lars, fri) == [(D(2026, 11, 27, 9), D(2026, 11, 27, 12)),
                                                     (D(2026, 11, 27, 12, 30), D(2026, 11, 27, 16))]
    assert schedule.working_intervals(sofie, fri) == []  # she works Mondays and Wednesdays
    assert schedule.working_intervals(sofie, dt.date(2026, 11, 30))
    # Thursday the clinic is open until 18, Lars's pattern ends at 16
    assert schedule.working_intervals(lars, dt.date(2026, 11, 26))[-1][1] == D(2026, 11, 26, 16)
    # valid_to ends a pattern
    WorkPattern.update(valid_to=dt.date(2026, 11, 27)).where(WorkPattern.staff == lars).execute()
    assert schedule.working_intervals(lars, dt.date(2026, 11, 30)) == []


def test_holidays_and_closing_days_have_no_working_time(clinic):
    lars = clinic["doctor"]
    for day in (dt.date(2026, 12, 24), dt.date(2026, 12, 25), dt.date(2027, 1, 1), dt.date(2027, 3, 25),
                dt.date(2027, 5, 7)):  # Christmas Eve, Christmas, New Year, Maundy Th., Fri after Ascension
        assert schedule.working_intervals(lars, day) == [], day
    view = schedule.day_view(dt.date(2026, 12, 25), clinic["secretary"])
    assert view.closed == "Juledag" and view.columns == []


def test_absence_cuts_hours_and_whole_days(clinic):
    lars = clinic["doctor"]
    Absence.create(staff=lars, start=D(2026, 11, 27, 10), end=D(2026, 11, 27, 11), reason="course")
    work = schedule.working_intervals(lars, dt.date(2026, 11, 27))
    assert (D(2026, 11, 27, 9), D(2026, 11, 27, 10)) in work
    assert all(not (a < D(2026, 11, 27, 11) and b > D(2026, 11, 27, 10)) for a, b in work)
    Absence.create(staff=lars, start=D(2026, 11, 30), end=D(2026, 12, 2), reason="holiday")
    assert schedule.working_intervals(lars, dt.date(2026, 11, 30)) == []
    assert schedule.working_intervals(lars, dt.date(2026, 12, 1)) == []
    assert schedule.working_intervals(lars, dt.date(2026, 12, 2))


def test_first_free_slot_respects_now_lunch_and_duration(clinic):
    k30 = clinic["types"]["K30"]
    slots = booking.free_slots(k30, limit=8)
    starts = [s.start for s in slots]
    assert starts[0] == D(2026, 11, 26, 10, 0)  # now is 10.00; nothing earlier
    # a 30-minute type never starts at 11.45 (it would run into lunch) nor at 15.45 (closing)
    assert D(2026, 11, 26, 11, 45) not in starts
    assert all(s.end <= D(2026, 11, 26, 12) or s.start >= D(2026, 11, 26, 12, 30) for s in slots)
    later = booking.free_slots(k30, earliest=dt.date(2026, 11, 26), limit=30)
    assert D(2026, 11, 26, 15, 45) not in [s.start for s in later]
    assert D(2026, 11, 26, 15, 30) in [s.start for s in later]


def test_free_slots_skip_booked_times_and_spread_over_staff(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    blod = clinic["types"]["BLOD"]
    booking.book(anne, clinic["patients"]["jens"], lars, blod, D(2026, 11, 30, 9, 0))
    slots = booking.free_slots(blod, earliest=dt.date(2026, 11, 30), limit=4)
    assert [(s.start, s.staff.username) for s in slots] == [
        (D(2026, 11, 30, 9, 0), "sofie"), (D(2026, 11, 30, 9, 15), "lars"),
        (D(2026, 11, 30, 9, 15), "sofie"), (D(2026, 11, 30, 9, 30), "lars")]
    only_lars = booking.free_slots(blod, staff=lars, earliest=dt.date(2026, 11, 30), limit=1)
    assert only_lars[0].start == D(2026, 11, 30, 9, 15)


def test_a_long_booked_stretch_is_read_in_few_queries_and_answers_as_day_by_day(clinic, caplog):
    """The busy time is read a week first, then stretches twice as long: 90 days booked solid
    are four reads (each a round trip on PostgreSQL), and the first free slot after a long
    booked stretch is the one a day-by-day search finds."""
    sofie, jens, blod = clinic["nurse"], clinic["patients"]["jens"], clinic["types"]["BLOD"]
    first = dt.date(2026, 11, 30)

    def block(days: range) -> None:
        for n in days:
            d = first + dt.timedelta(days=n)
            Appointment.create(patient=jens, staff=sofie, type=blod, start=D(d.year, d.month, d.day, 6),
                               end=D(d.year, d.month, d.day, 20), double_booked=True)

    block(range(55))  # into the fourth stretch (days 49-89)
    day_by_day: list = []
    for n in range(90):
        day_by_day = booking.free_slots(blod, staff=sofie, earliest=first + dt.timedelta(days=n), limit=1, days=1)
        if day_by_day:
            break
    assert day_by_day and day_by_day[0].start.date() >= first + dt.timedelta(days=55)
    assert booking.free_slots(blod, staff=sofie, earliest=first, limit=1, days=90) == day_by_day

    block(range(55, 90))
    found, sql = statements_sent(caplog, lambda: booking.free_slots(blod, staff=sofie, earliest=first,
                                                                    limit=1, days=90))
    assert found == []
    assert sum('FROM "staff_day_busy"' in q for q in sql) == 4, sql
    assert sum('FROM "setting"' in q for q in sql) == 1, sql  # the grid and the calendar together


def test_free_slots_morning_afternoon_weekdays_and_holidays(clinic):
    k15 = clinic["types"]["K15"]
    aft = booking.free_slots(k15, earliest=dt.date(2026, 12, 1), part_of_day="afternoon", limit=3)
    assert aft[0].start == D(2026, 12, 1, 12, 30)
    morning = booking.free_slots(k15, earliest=dt.date(2026, 12, 1), part_of_day="morning", limit=40)
    assert all(s.start.hour < 12 for s in morning)
    fridays = booking.free_slots(k15, earliest=dt.date(2026, 11, 27), weekdays={4}, limit=60)
    assert {s.start.weekday() for s in fridays} == {4}
    xmas = booking.free_slots(k15, earliest=dt.date(2026, 12, 24), limit=1)
    assert xmas[0].start == D(2026, 12, 28, 9, 0)  # 24-27 December closed
    assert booking.free_slots(clinic["types"]["EKG"], staff=clinic["doctor"]) == []


def test_grid_setting_changes_slot_starts(clinic):
    settings.put("slot_minutes", 10)
    slots = booking.free_slots(clinic["types"]["K15"], earliest=dt.date(2026, 11, 27), limit=3)
    assert [s.start.minute for s in slots] == [0, 10, 20]


def _open_sundays(open_at: dt.time, close_at: dt.time) -> None:
    s = ClinicSettings()
    s.hours[6] = (open_at, close_at)
    s.lunch = None
    s.phone_hour = None
    settings.put("calendar", s.to_dict())


def test_dst_change_day_daytime_slots_are_normal(clinic):
    _open_sundays(dt.time(8), dt.time(12))
    WorkPattern.create(staff=clinic["doctor"], rrule="FREQ=WEEKLY;BYDAY=SU", start_time=dt.time(8),
                       end_time=dt.time(12), valid_from=dt.date(2026, 1, 1))
    clock.freeze(D(2026, 10, 20, 10, 0))
    slots = booking.free_slots(clinic["types"]["K15"], staff=clinic["doctor"],
                               earliest=dt.date(2026, 10, 25), limit=100)
    day = [s for s in slots if s.start.date() == dt.date(2026, 10, 25)]
    assert len(day) == 16 and day[0].start == D(2026, 10, 25, 8) and day[-1].end == D(2026, 10, 25, 12)


def test_dst_night_slots_skip_the_missing_hour(clinic):
    _open_sundays(dt.time(0), dt.time(6))
    WorkPattern.create(staff=clinic["doctor"], rrule="FREQ=WEEKLY;BYDAY=SU", start_time=dt.time(0),
                       end_time=dt.time(6), valid_from=dt.date(2026, 1, 1))
    clock.freeze(D(2026, 3, 27, 10, 0))  # 28 March 2027 is Easter Sunday: use 2026
    k15 = clinic["types"]["K15"]
    spring = [s.start for s in booking.free_slots(k15, staff=clinic["doctor"],
                                                  earliest=dt.date(2026, 3, 29), limit=40)
              if s.start.date() == dt.date(2026, 3, 29)]
    assert not [s for s in spring if s.hour == 2]  # 02.00-03.00 does not exist that night
    assert D(2026, 3, 29, 3, 0) in spring and len(spring) == 24 - 4 - 1  # and 01.45-02.00 ends in it
    with pytest.raises(booking.BookingError):
        booking.book(clinic["secretary"], clinic["patients"]["jens"], clinic["doctor"], k15,
                     D(2026, 3, 29, 2, 15))
    clock.freeze(D(2026, 10, 20, 10, 0))
    autumn = [s for s in booking.free_slots(k15, staff=clinic["doctor"],
                                            earliest=dt.date(2026, 10, 25), limit=24)]
    # the slot that spans the clock change (02.45-03.00 lasts 75 minutes) is not offered
    assert D(2026, 10, 25, 2, 45) not in [s.start for s in autumn]
    assert D(2026, 10, 25, 2, 30) in [s.start for s in autumn]


def _wall_clock_ok_by_definition(start: dt.datetime, end: dt.datetime) -> bool:
    def utc(x: dt.datetime) -> dt.datetime:
        return x.replace(tzinfo=CLINIC_TZ).astimezone(dt.timezone.utc)

    def exists(x: dt.datetime) -> bool:
        return utc(x).astimezone(CLINIC_TZ).replace(tzinfo=None) == x

    return exists(start) and exists(end) and utc(end) - utc(start) == end - start


CLOCK_CHANGES = [dt.date(2026, 3, 29), dt.date(2026, 10, 25), dt.date(2027, 3, 28), dt.date(2027, 10, 31)]


@given(day=st.one_of(st.sampled_from(CLOCK_CHANGES + [d - dt.timedelta(days=1) for d in CLOCK_CHANGES]),
                     st.dates(dt.date(2025, 1, 1), dt.date(2029, 12, 31))),
       start_minute=st.integers(0, 24 * 60 - 1), minutes=st.integers(1, 30 * 60))
def test_wall_clock_ok_answers_by_its_definition_on_every_day(day, start_minute, minutes):
    """The shortcut for days without a clock change (most of them) answers as the full
    check: the hour that does not exist, and a slot across a change, are still refused."""
    start = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=start_minute)
    end = start + dt.timedelta(minutes=minutes)
    assert schedule.wall_clock_ok(start, end) == _wall_clock_ok_by_definition(start, end)


def test_day_view_columns_rows_and_cells(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    booking.book(anne, clinic["patients"]["jens"], lars, clinic["types"]["K30"], D(2026, 11, 30, 9, 0))
    Absence.create(staff=clinic["nurse"], start=D(2026, 11, 30, 13), end=D(2026, 11, 30, 14), reason="course")
    view = schedule.day_view(dt.date(2026, 11, 30), anne)
    assert [c.name for c in view.columns] == ["Lars Læge", "Sofie Sygeplejerske"]
    assert view.week == 49 and view.rows[0] == D(2026, 11, 30, 8) and view.rows[-1] == D(2026, 11, 30, 15, 45)
    kind, appt = view.cell(0, D(2026, 11, 30, 9, 15))
    assert kind == "appt" and appt.type_code == "K30" and appt.cpr_masked == "070761-xxxx"
    assert view.cell(0, D(2026, 11, 30, 8, 15))[0] == "closed"
    assert view.cell(0, D(2026, 11, 30, 12, 0)) == ("closed", view.closed_label(D(2026, 11, 30, 12)))
    assert view.cell(1, D(2026, 11, 30, 13, 30))[0] == "off"
    assert view.cell(1, D(2026, 11, 30, 10, 0)) == ("free", None)


def test_day_view_rows_reach_the_booking_that_ends_last(clinic):
    """Rows run to the latest end among a column's bookings, not the end of the first one:
    here two left from an evening session (the clinic closes at 16 on Mondays)."""
    anne, lars = clinic["secretary"], clinic["doctor"]
    jens, mark, types = clinic["patients"]["jens"], clinic["patients"]["mark"], clinic["types"]
    Appointment.create(patient=jens, staff=lars, type=types["K15"], start=D(2026, 11, 30, 17, 0),
                       end=D(2026, 11, 30, 17, 15))
    Appointment.create(patient=mark, staff=lars, type=types["K30"], start=D(2026, 11, 30, 17, 0),
                       end=D(2026, 11, 30, 17, 30), double_booked=True, override_reason="aftenvagt")
    view = schedule.day_view(dt.date(2026, 11, 30), anne)
    assert view.rows[-1] == D(2026, 11, 30, 17, 15)


def test_day_view_reads_its_settings_in_one_statement(clinic, caplog):
    """Each statement is a round trip on PostgreSQL, where fifty desks wait for two CPUs
    (benchmarks/load_desks.py): the calendar and the grid are read together."""
    view, sql = statements_sent(caplog, lambda: schedule.day_view(dt.date(2026, 11, 30), clinic["secretary"]))
    assert sum('FROM "setting"' in s for s in sql) == 1, sql
    assert view.grid == 15 and view.lunch == (D(2026, 11, 30, 12), D(2026, 11, 30, 12, 30))


def test_waiting_room_and_threshold(clinic):
    anne = clinic["secretary"]
    a = booking.book(anne, clinic["patients"]["jens"], clinic["doctor"], clinic["types"]["K15"],
                     D(2026, 11, 26, 10, 15))
    booking.set_status(anne, a, "arrived")
    clock.freeze(D(2026, 11, 26, 10, 10))
    w = schedule.waiting_room(None, anne)
    assert w[0].minutes == 10 and not w[0].over
    clock.freeze(D(2026, 11, 26, 10, 16))
    assert schedule.waiting_room(None, anne)[0].over


def test_day_list_export_text_and_pdf(clinic, tmp_path):
    anne, lars = clinic["secretary"], clinic["doctor"]
    booking.book(anne, clinic["patients"]["jens"], lars, clinic["types"]["K15"], D(2026, 11, 27, 9, 0),
                 note="knæ")
    lines = schedule.day_list_lines(dt.date(2026, 11, 27), lars)
    assert any("09.00-09.15" in x and "Jens Hansen" in x and "070761-xxxx" in x and "knæ" in x for x in lines)
    txt = schedule.export_day_list(anne, dt.date(2026, 11, 27), lars, tmp_path / "d.txt", "txt")
    assert "Jens Hansen" in open(txt, encoding="utf-8").read()
    pdf = schedule.export_day_list(anne, dt.date(2026, 11, 27), lars, tmp_path / "d.pdf", "pdf")
    from pypdf import PdfReader

    assert "Jens Hansen" in PdfReader(pdf).pages[0].extract_text()


def test_parse_weekdays():
    assert booking.parse_weekdays("man ons fre") == {0, 2, 4}
    assert booking.parse_weekdays("mon, tu") == {0, 1}
    assert booking.parse_weekdays("") is None
    with pytest.raises(ValueError):
        booking.parse_weekdays("xyz")


def test_the_day_and_the_waiting_room_need_a_user_who_may_see_them(clinic):
    from tui.domain import auth

    with pytest.raises(auth.PermissionDenied):
        schedule.day_view(dt.date(2026, 11, 26), clinic["admin"])
    with pytest.raises(auth.PermissionDenied):
        schedule.waiting_room(None, clinic["admin"])



def test_prepare_day_expands_every_pattern_of_the_year_and_reads_no_patient(clinic):
    """After login the app expands the year's working hours ahead of the first day view
    (tui.app._import_sections); nothing is looked at, so nothing is audited."""
    from tui.domain.rrules import days_in_year
    from tui.models import AuditEvent

    days_in_year.cache_clear()
    events = AuditEvent.select().count()
    schedule.prepare_day(dt.date(2026, 11, 30))
    assert AuditEvent.select().count() == events
    patterns = list(WorkPattern.select())
    assert patterns and days_in_year.cache_info().currsize >= len({p.rrule for p in patterns})
    misses = days_in_year.cache_info().misses
    schedule.day_view(dt.date(2026, 11, 30), clinic["secretary"])
    booking.free_slots(clinic["types"]["K30"], limit=3)
    assert days_in_year.cache_info().misses == misses  # nothing left to expand this year
