"""What an appointment change means for reaching the patient, in the change's own
transaction: the SMS outbox (tui.domain.sms) and the recall rules (tui.domain.recall)."""
from __future__ import annotations

from tui.domain import recall, sms
from tui.models import Appointment, Staff


def booked(appt: Appointment, user: Staff | None) -> None:
    sms.appointment_booked(appt, user)
    recall.appointment_booked(appt)


def moved(old: Appointment, new: Appointment, user: Staff | None) -> None:
    sms.appointment_moved(old, new, user)
    recall.appointment_dropped(old)  # due after the new time, not the old (earlier or later)
    recall.appointment_booked(new)


def cancelled(appt: Appointment, user: Staff | None) -> None:
    sms.appointment_cancelled(appt, user)
    recall.appointment_dropped(appt)


def status_changed(appt: Appointment, user: Staff | None, old: str, new: str) -> None:
    if new == "done":
        recall.appointment_done(appt)
    elif new == "no_show":
        recall.appointment_dropped(appt)
    elif old == "no_show" and new == "booked":  # the no-show was a mistake
        recall.appointment_booked(appt)
