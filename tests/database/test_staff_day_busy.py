"""staff_day_busy: the database keeps each staff member's busy blocks per day (migration 0005),
whoever writes the appointments, and free_slots reads them."""
from __future__ import annotations

import datetime as dt
import importlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from helpers import setup_clinic

from tui.db import database_proxy, is_sqlite
from tui.domain import booking
from tui.models import (
    ACTIVE_STATUSES,
    APPOINTMENT_STATUSES,
    Appointment,
    AppointmentType,
    Patient,
    StaffDayBusy,
)

D = dt.datetime
DAY = dt.date(2026, 11, 30)  # a Monday


def blocks_in_table() -> dict[tuple[int, dt.date], list[tuple[dt.datetime, dt.datetime]]]:
    out = {}
    for row in StaffDayBusy.select():
        day = row.day if isinstance(row.day, dt.date) else dt.date.fromisoformat(row.day)
        out[(row.staff_id, day)] = [tuple(dt.datetime.fromisoformat(x) for x in pair.split("/"))
                                    for pair in sorted(row.blocks.split(";"))]
    return out


def blocks_expected() -> dict:
    """The same, merged in Python from the appointment rows."""
    by_day: dict = {}
    for a in Appointment.select().where(Appointment.status.in_(ACTIVE_STATUSES)):
        by_day.setdefault((a.staff_id, a.start.date()), []).append((a.start, a.end))
    out = {}
    for key, spans in by_day.items():
        merged: list = []
        for s, e in sorted(spans):
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        out[key] = merged
    return out


def test_booking_cancelling_and_moving_keep_the_days_blocks(staff):
    c = setup_clinic(staff)
    anne, lars, sofie = c["secretary"], c["doctor"], c["nurse"]
    jens, mark = c["patients"]["jens"], c["patients"]["mark"]
    k15 = c["types"]["K15"]
    first = booking.book(anne, jens, lars, k15, D(2026, 11, 30, 9, 0))
    booking.book(anne, mark, lars, k15, D(2026, 11, 30, 9, 15))  # touching: one block
    booking.book(anne, mark, lars, k15, D(2026, 11, 30, 11, 0))
    assert blocks_in_table() == {(lars.id, DAY): [(D(2026, 11, 30, 9, 0), D(2026, 11, 30, 9, 30)),
                                                  (D(2026, 11, 30, 11, 0), D(2026, 11, 30, 11, 15))]}
    booking.cancel(anne, first, booking.CANCEL_REASONS[0])
    assert blocks_in_table()[(lars.id, DAY)][0] == (D(2026, 11, 30, 9, 15), D(2026, 11, 30, 9, 30))
    later = Appointment.get(Appointment.start == D(2026, 11, 30, 11, 0))
    booking.move(anne, later, D(2026, 12, 1, 10, 0))
    assert blocks_in_table() == {
        (lars.id, DAY): [(D(2026, 11, 30, 9, 15), D(2026, 11, 30, 9, 30))],
        (lars.id, dt.date(2026, 12, 1)): [(D(2026, 12, 1, 10, 0), D(2026, 12, 1, 10, 15))],
    }
    assert blocks_in_table() == blocks_expected()
    # the free-slot search sees the booked time, and a freed day again
    slots = booking.free_slots(k15, staff=lars, earliest=D(2026, 11, 30, 9, 15), limit=1)
    assert slots[0].start == D(2026, 11, 30, 9, 30)
    Appointment.update(status="cancelled").where(Appointment.staff == lars).execute()
    assert blocks_in_table() == {}
    assert booking.free_slots(k15, staff=lars, earliest=D(2026, 11, 30, 9, 15), limit=1)[0].start \
        == D(2026, 11, 30, 9, 15)
    assert sofie.id not in {k[0] for k in blocks_in_table()}


def test_a_block_over_midnight_is_busy_on_the_next_day(staff):
    c = setup_clinic(staff, nurse_pattern="FREQ=DAILY")
    sofie, jens, blod = c["nurse"], c["patients"]["jens"], c["types"]["BLOD"]
    # a night watch written straight into the table (an import, another program)
    Appointment.create(patient=jens, staff=sofie, type=blod, start=D(2026, 11, 29, 20, 0),
                       end=D(2026, 11, 30, 11, 0), double_booked=True)
    assert list(blocks_in_table()) == [(sofie.id, dt.date(2026, 11, 29))]
    slots = booking.free_slots(blod, staff=sofie, earliest=dt.date(2026, 11, 30), limit=1)
    assert slots[0].start == D(2026, 11, 30, 11, 0)


_STATUS = st.sampled_from(APPOINTMENT_STATUSES)
_OPS = st.lists(st.tuples(
    st.sampled_from(["add", "add", "add", "status", "move", "delete"]),
    st.integers(0, 2),  # which staff member
    st.integers(0, 3 * 24 * 4 - 1),  # a quarter of an hour in three days
    st.integers(1, 16),  # length in quarters
    _STATUS,
    st.integers(0, 10_000),  # which existing appointment
), min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS)
def test_the_table_always_equals_the_merged_bookings_whoever_writes(staff, ops):
    """Raw writes (insert, status, move, delete) in any order, overlaps allowed as double
    bookings: the table is always the bookings merged, and a rebuild gives the same."""
    Appointment.delete().execute()
    people = [staff["doctor"], staff["nurse"], staff["secretary"]]
    patient, _ = Patient.get_or_create(cpr="0707614285", defaults=dict(
        first_name="Jens", last_name="Hansen", birth_date=dt.date(1961, 7, 7), sex="M"))
    kind, _ = AppointmentType.get_or_create(code="K15", defaults=dict(name="Konsultation", minutes=15))
    base = D(2026, 11, 29)
    for op, who, quarter, length, status, pick in ops:
        start = base + dt.timedelta(minutes=15 * quarter)
        end = start + dt.timedelta(minutes=15 * length)
        rows = list(Appointment.select().order_by(Appointment.id))
        if op == "add" or not rows:
            Appointment.create(patient=patient, staff=people[who], type=kind, start=start, end=end,
                               status=status, double_booked=True)
            continue
        row = rows[pick % len(rows)]
        if op == "status":
            Appointment.update(status=status).where(Appointment.id == row.id).execute()
        elif op == "move":
            Appointment.update(staff=people[who], start=start, end=end).where(
                Appointment.id == row.id).execute()
        else:
            Appointment.delete().where(Appointment.id == row.id).execute()
    assert blocks_in_table() == blocks_expected()
    # the migration's bulk rebuild computes the same table
    kept = blocks_in_table()
    rebuild = importlib.import_module("tui.migrations.0005_staff_day_busy").rebuild_sql
    with database_proxy.atomic():
        StaffDayBusy.delete().execute()
        database_proxy.execute_sql(rebuild(sqlite=is_sqlite()))
    assert blocks_in_table() == kept
