"""SMS replies to a waiting-list offer, as the gateway delivers them to /sms/reply: "JA"
within the deadline books the slot (if still free; else a polite SMS and the entry stays),
"NEJ" declines, anything else becomes a task for the desk. A reply delivered twice is
handled once; every reply is kept and audited."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sms_fake_gateway import post_reply

from tui.domain import booking, clock, sms, sms_replies
from tui.domain import waiting_list as wl
from tui.models import Appointment, AuditEvent, Patient, Task
from tui.models_reach import SmsMessage, SmsReply, WaitingEntry
from tui.sms_gateway import GatewayConfig, JsonHttpGateway
from tui.sms_sender import make_report_server

D = dt.datetime
FRI_9 = D(2026, 11, 27, 9, 0)


@pytest.fixture
def endpoint(database):
    gateway = JsonHttpGateway(GatewayConfig(url="http://127.0.0.1:9/x"))
    server = make_report_server("127.0.0.1", 0, "tok", gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms/reply"
    server.shutdown()
    server.server_close()


@pytest.fixture
def offered(sms_clinic, sms_jens):
    """Jens is on the list for a K15 and has been offered Friday 09.00 by SMS (reply by 13.00)."""
    entry = wl.add(sms_clinic["secretary"], sms_jens, sms_clinic["types"]["K15"])
    wl.offer_by_sms(sms_clinic["secretary"], entry.id, FRI_9, sms_clinic["doctor"], reply_hours=3)
    return entry


@pytest.mark.parametrize("text, answer", [
    ("JA", "yes"), ("ja", "yes"), ("Ja tak", "yes"), (" ja tak! ", "yes"), ("Ja gerne 😊", "yes"),
    ("NEJ", "no"), ("Nej tak.", "no"),
    ("Ja, men kan jeg få kl. 10?", None), ("jamen", None), ("", None), ("ja nej", None),
])
def test_reading_the_answer(text, answer):
    assert sms_replies.answer_of(text) == answer


def test_the_offer_says_how_to_answer_and_other_messages_that_they_cannot_be(sms_clinic, offered):
    offer = SmsMessage.get(SmsMessage.kind == "offer")
    assert "Svar JA" in offer.text and "NEJ" in offer.text and "torsdag 26. november kl. 13.00" in offer.text
    assert sms.NO_REPLY not in offer.text
    with pytest.raises(sms.SmsError):  # an offer must not say it cannot be answered
        sms.save_template(sms_clinic["admin"], "offer", "Tid {date} {time}. Svar JA inden {deadline}. Ring {phone}. "
                                                    "Beskeden kan ikke besvares.")
    with pytest.raises(sms.SmsError):  # ...and must say how to answer, before when
        sms.save_template(sms_clinic["admin"], "offer", "Tid {date} {time}. Ring {phone} inden {deadline}.")
    with pytest.raises(sms.SmsError):  # a reminder still must say it cannot be answered
        sms.save_template(sms_clinic["admin"], "reminder", "Tid {date}. Svar JA. Ring {phone}.", lead_days=1)


def test_ja_within_the_deadline_books_the_slot_and_closes_the_entry(sms_clinic, sms_jens, offered, endpoint):
    clock.freeze(D(2026, 11, 26, 12, 30))
    assert post_reply(endpoint, "+4520304050", "Ja tak", "in-1") == 200
    entry = WaitingEntry.get_by_id(offered.id)
    assert entry.state == "booked" and entry.appointment.start == FRI_9 and entry.appointment.channel == "sms"
    assert entry.appointment.booked_by_id == sms_clinic["secretary"].id  # who sent the offer
    assert [a.outcome for a in wl.attempts(entry.id)] == ["sent", "accepted"]
    assert [m.kind for m in SmsMessage.select().order_by(SmsMessage.id)] == ["offer", "booked"]  # too late for a reminder
    reply = SmsReply.get()
    assert (reply.patient_id, reply.outcome, reply.appointment_id) == (sms_jens.id, "booked", entry.appointment_id)
    # the gateway delivers the same reply again: nothing happens twice
    assert post_reply(endpoint, "+4520304050", "Ja tak", "in-1") == 200
    assert Appointment.select().count() == 1 and SmsReply.select().count() == 1
    assert len(wl.attempts(entry.id)) == 2
    assert AuditEvent.select().where(AuditEvent.action == "sms_reply").count() == 1


def test_ja_for_a_slot_someone_else_took_gets_a_polite_sms_and_stays_on_the_list(sms_clinic, sms_jens, offered):
    booking.book(sms_clinic["secretary"], sms_clinic["patients"]["mark"], sms_clinic["doctor"], sms_clinic["types"]["K15"], FRI_9)
    outcome = sms_replies.receive("20 30 40 50", "JA", ref="in-2")
    assert outcome.outcome == "taken"
    assert WaitingEntry.get_by_id(offered.id).state == "waiting"
    sorry = SmsMessage.get(SmsMessage.kind == "offer_taken")
    assert "desværre" in sorry.text and "venteliste" in sorry.text and sorry.number == "+4520304050"
    assert [a.outcome for a in wl.attempts(offered.id)] == ["sent", "taken"]
    assert Appointment.select().where(Appointment.patient == sms_jens.id).count() == 0


def test_nej_declines_and_the_entry_stays(sms_clinic, sms_jens, offered):
    assert sms_replies.receive("+4520304050", "NEJ", ref="in-3").outcome == "declined"
    assert WaitingEntry.get_by_id(offered.id).state == "waiting"
    assert [a.outcome for a in wl.attempts(offered.id)] == ["sent", "declined"]
    # a "JA" after a "NEJ" to the same offer is no longer an answer to it: the desk decides
    assert sms_replies.receive("+4520304050", "JA", ref="in-4").outcome == "task"


def test_late_unknown_and_free_text_replies_become_tasks_for_the_desk(sms_clinic, sms_jens, offered):
    clock.freeze(D(2026, 11, 26, 13, 1))  # one minute after the deadline
    late = sms_replies.receive("+4520304050", "JA", ref="in-5")
    assert late.outcome == "task" and WaitingEntry.get_by_id(offered.id).state == "waiting"
    task = Task.get_by_id(late.task_id)
    assert task.patient_id == sms_jens.id and task.to_role == "secretary" and "efter fristen" in task.text
    free = sms_replies.receive("+4520304050", "Kan jeg komme kl. 10 i stedet?", ref="in-6")
    assert "Kan jeg komme kl. 10 i stedet?" in Task.get_by_id(free.task_id).text
    stranger = sms_replies.receive("+4599999999", "[red]hej[/]", ref="in-7")
    task = Task.get_by_id(stranger.task_id)
    assert task.patient_id is None and "99 99 99 99" in task.title
    assert Appointment.select().count() == 0
    assert [r.outcome for r in SmsReply.select().order_by(SmsReply.id)] == ["task", "task", "task"]


def test_a_shared_number_with_two_open_offers_is_for_the_desk(sms_clinic, sms_jens, offered):
    mark = sms_clinic["patients"]["mark"]
    sms.give_consent(sms_clinic["secretary"], mark, "20304050")  # the same mobile (a parent's)
    other = wl.add(sms_clinic["secretary"], mark, sms_clinic["types"]["K15"])
    wl.offer_by_sms(sms_clinic["secretary"], other.id, FRI_9 + dt.timedelta(hours=1), sms_clinic["doctor"])
    assert sms_replies.receive("+4520304050", "JA", ref="in-8").outcome == "task"
    assert Appointment.select().count() == 0


def test_the_reply_endpoint_wants_the_token_and_json(sms_clinic, endpoint):
    import json
    import urllib.error
    import urllib.request

    assert post_reply(endpoint, "+4520304050", "JA", "x", token="wrong") == 403
    req = urllib.request.Request(endpoint + "?token=tok", data=b"{nope", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 400
    body = json.dumps({"msisdn": "4520304050"}).encode()  # no text
    req = urllib.request.Request(endpoint + "?token=tok", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 400
    assert SmsReply.select().count() == 0 and Patient.select().count() == 2


@pytest.mark.sqlite_only
def test_a_clinic_on_the_old_offer_template_gets_the_one_that_says_how_to_answer(tmp_path):
    """Migration 0013 on a database made by 0010 (to 0012): the shipped offer template (which said it
    cannot be answered) becomes the answerable one; a clinic's own wording is left alone."""
    from playhouse.migrations import Runner

    from tui.db import MIGRATION_TABLE, MIGRATIONS_DIR, connect, database_proxy, make_database, shut

    path = tmp_path / "old.db"
    old = make_database(f"sqlite:///{path}")
    Runner(old, str(MIGRATIONS_DIR), table_name=MIGRATION_TABLE).up(target="0010_reach_patients")
    shipped = ("{clinic} kan tilbyde dig en tid {date} kl. {time}. Ring {phone} inden {deadline}, "
               "hvis du vil have den. Beskeden kan ikke besvares.")
    own = "Ledig tid {date} {time}. Ring {phone} inden {deadline}. Beskeden kan ikke besvares."
    for body in (shipped, own):
        old.execute_sql("INSERT INTO sms_template (event, body, active, updated_at) VALUES ('offer', ?, 1, "
                        "'2026-01-01 08:00:00')", (body,))
    shut(old)
    connect(f"sqlite:///{path}")
    bodies = [t.body for t in sms.SmsTemplate.select().order_by(sms.SmsTemplate.id)]
    assert bodies[0].startswith("{clinic} kan tilbyde dig en tid") and "Svar JA inden {deadline}" in bodies[0]
    assert sms.NO_REPLY not in bodies[0] and bodies[1] == own
    assert SmsReply.select().count() == 0
    shut(database_proxy.obj)


def test_a_gateway_without_reply_ids_still_counts_a_redelivery_once(sms_clinic, sms_jens, offered):
    first = sms_replies.receive("+4520304050", "NEJ")
    clock.freeze(clock.now_local() + dt.timedelta(minutes=2))
    assert sms_replies.receive("+4520304050", "NEJ").reply_id == first.reply_id  # redelivered
    clock.freeze(clock.now_local() + dt.timedelta(days=2))
    assert sms_replies.receive("+4520304050", "NEJ").reply_id != first.reply_id  # a new answer
