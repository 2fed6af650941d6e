"""16 processes x 200 booking attempts on the same 50 slots of one SQLite file: exactly
one booking per slot, every other attempt told the slot is taken, no traceback anywhere."""
from __future__ import annotations

import datetime as dt
import multiprocessing
import time

import pytest
from booking_workers import book_slots
from helpers import setup_clinic

from tui.domain import booking
from tui.models import Appointment, Patient

PROCESSES = 16
ATTEMPTS = 200
SLOT_COUNT = 50


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_sixteen_processes_fight_over_fifty_slots(staff, db_url, capfd):
    clinic = setup_clinic(staff)
    lars, k15 = clinic["doctor"], clinic["types"]["K15"]
    slots = [s.start for s in booking.free_slots(k15, staff=lars, limit=SLOT_COUNT)]
    assert len(slots) == SLOT_COUNT
    patients = [Patient.create(cpr=f"0101{80 + i // 10:02d}{1000 + i}"[:10], first_name=f"P{i}",
                               last_name="Test", birth_date=dt.date(1980, 1, 1), sex="M")
                for i in range(PROCESSES)]
    ctx = multiprocessing.get_context("spawn")
    started = time.monotonic()
    with ctx.Manager() as manager:
        barrier = manager.Barrier(PROCESSES)
        with ctx.Pool(PROCESSES) as pool:
            iso = [s.isoformat() for s in slots]
            results = pool.map(book_slots, [(db_url, p.id, 100 + n, barrier, iso, ATTEMPTS)
                                            for n, p in enumerate(patients)])
    elapsed = time.monotonic() - started
    errors = [r["error"] for r in results if r["error"]]
    assert errors == []
    won = [s for r in results for s in r["won"]]
    assert sorted(won) == sorted(s.isoformat() for s in slots)  # each slot exactly once
    assert sum(r["lost"] for r in results) == PROCESSES * ATTEMPTS - SLOT_COUNT
    assert sum(r["refused"] for r in results) == 0
    rows = list(Appointment.select().where(Appointment.status.in_(("booked",)))
                .order_by(Appointment.start))
    assert len(rows) == SLOT_COUNT
    for a, b in zip(rows, rows[1:]):
        assert a.end <= b.start
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert elapsed < 90, f"{elapsed:.1f} s"
