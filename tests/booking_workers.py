"""Workers for the booking concurrency tests: each runs in its own process (spawn), books
on one SQLite file, and reports what it won, how often it lost, and any unexpected error."""
from __future__ import annotations

import datetime as dt
import random
import traceback

NOW = dt.datetime(2026, 11, 26, 10, 0)


def book_slots(args):
    """args: (url, patient_id, seed, barrier, slot starts as ISO strings, attempts or None).

    With attempts None, every slot is tried once in a random order; otherwise `attempts`
    tries spread evenly over the slots in a random order."""
    url, patient_id, seed, barrier, slots, attempts = args
    try:
        from tui.db import connect
        from tui.domain import booking, clock
        from tui.models import AppointmentType, Patient, Staff

        clock.freeze(NOW)
        connect(url, migrate=False)
        user = Staff.get(Staff.username == "anne")
        lars = Staff.get(Staff.username == "lars")
        k15 = AppointmentType.get(AppointmentType.code == "K15")
        patient = Patient.get_by_id(patient_id)
        starts = [dt.datetime.fromisoformat(s) for s in slots]
        rounds = 1 if attempts is None else -(-attempts // len(starts))
        order = starts * rounds
        random.Random(seed).shuffle(order)
        if attempts is not None:
            order = order[:attempts]
        won, lost, refused = [], 0, 0
        barrier.wait(timeout=60)
        for start in order:
            try:
                booking.book(user, patient, lars, k15, start)
                won.append(start.isoformat())
            except booking.SlotTaken as exc:
                assert exc.slots is not None
                lost += 1
            except booking.BookingError:
                refused += 1
        return {"won": won, "lost": lost, "refused": refused, "error": None}
    except Exception:  # reported to the test, which fails on it
        return {"won": [], "lost": 0, "refused": 0, "error": traceback.format_exc()}
