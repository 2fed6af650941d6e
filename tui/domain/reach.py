"""What an appointment change means for reaching the patient, in the change's own
transaction: the SMS outbox (tui.domain.sms) and the recall rules (tui.domain.recall)."""
from __future__ import annotations

from tui.domain import recall, sms


def booked(appt, user) -> None:
    sms.appointment_booked(appt, user)
    recall.appointment_booked(appt)


def moved(old, new, user) -> None:
    sms.appointment_moved(old, new, user)
    recall.appointment_booked(new)


def cancelled(appt, user) -> None:
    sms.appointment_cancelled(appt, user)


def status_changed(appt, user, old: str, new: str) -> None:
    if new == "done":
        recall.appointment_done(appt)
