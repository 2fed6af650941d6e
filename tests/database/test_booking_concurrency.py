"""Several processes book the same slots on one SQLite file at the same moment:
exactly one booking per slot, every loser told SlotTaken, no unhandled error."""
from __future__ import annotations

import datetime as dt
import multiprocessing

from booking_workers import book_slots
from helpers import setup_clinic

from tui.models import Appointment, Patient

PROCESSES = 6
SLOTS = [dt.datetime(2026, 11, 27, 9, 0) + dt.timedelta(minutes=15 * i) for i in range(12)]


def test_many_processes_book_the_same_slots(staff, db_url):
    setup_clinic(staff)
    patients = [Patient.create(cpr=f"01018{i}1234"[:10], first_name=f"P{i}", last_name="Test",
                               birth_date=dt.date(1980, 1, 1), sex="M") for i in range(PROCESSES)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(PROCESSES)
        with ctx.Pool(PROCESSES) as pool:
            slots = [s.isoformat() for s in SLOTS]
            results = pool.map(book_slots, [(db_url, p.id, n, barrier, slots, None)
                                            for n, p in enumerate(patients)])
    errors = [r["error"] for r in results if r["error"]]
    assert errors == []
    won = [s for r in results for s in r["won"]]
    assert sorted(won) == sorted(s.isoformat() for s in SLOTS)  # each slot booked exactly once
    assert sum(r["lost"] for r in results) == PROCESSES * len(SLOTS) - len(SLOTS)
    rows = list(Appointment.select().order_by(Appointment.start))
    assert len(rows) == len(SLOTS)
    for a, b in zip(rows, rows[1:]):
        assert a.end <= b.start  # zero overlaps
