"""SMS: consent, templates, quiet hours, the outbox, and the sender against a local HTTP
server playing the gateway (success, 4xx, 5xx, timeouts, delivery reports in any order)."""
from __future__ import annotations

import datetime as dt
import json
import os
import threading
import urllib.error
import urllib.request

import pytest
from helpers import NOW
from sms_fake_gateway import FakeGateway

from tui.domain import booking, clock, sms
from tui.models import AuditEvent, Patient, Setting
from tui.models_reach import SmsMessage
from tui.sms_gateway import GatewayConfig, JsonHttpGateway
from tui.sms_sender import Sender, SenderConfig, make_report_server

D = dt.datetime
TOMORROW_9 = D(2026, 11, 27, 9, 0)  # Friday
MONDAY_9 = D(2026, 11, 30, 9, 0)


def _sender(gw: FakeGateway, **kw) -> Sender:
    timeout = kw.pop("timeout", 5.0)
    cfg = dict(rate=1000, backoff=60, max_attempts=4, down_after=3, reminder_every=1e9)
    cfg.update(kw)
    gateway = JsonHttpGateway(GatewayConfig(url=gw.url, auth_header="Authorization: Bearer hemmelig",
                                            sender="Klinik", timeout=timeout))
    return Sender(gateway, SenderConfig(**cfg))


def _messages(**where):
    q = SmsMessage.select().order_by(SmsMessage.id)
    for k, v in where.items():
        q = q.where(getattr(SmsMessage, k) == v)
    return list(q)


# --- consent and content -------------------------------------------------------------------


def test_no_consent_no_message(sms_clinic):
    mark = sms_clinic["patients"]["mark"]
    booking.book(sms_clinic["secretary"], mark, sms_clinic["doctor"], sms_clinic["types"]["K15"], TOMORROW_9)
    assert SmsMessage.select().count() == 0


def test_booking_queues_confirmation_and_day_reminder_with_minimal_content(sms_clinic, sms_jens):
    appt = booking.book(sms_clinic["secretary"], sms_jens, sms_clinic["doctor"], sms_clinic["types"]["K15"], MONDAY_9,
                        note="ondt i knæet")
    booked, reminder = _messages()
    assert booked.kind == "booked" and booked.number == "+4520304050" and booked.appointment_id == appt.id
    assert booked.text == ("Du har fået en tid hos lægen mandag 30. november kl. 09.00, Lægerne i Byen, "
                           "Torvet 1, 8000 Aarhus C. Afbud: ring 86 12 34 56. Beskeden kan ikke besvares.")
    assert "knæ" not in booked.text and "Konsultation" not in booked.text and "Jens" not in booked.text
    # one day before Monday is Sunday: the reminder goes out on Friday at 10.00
    assert reminder.kind == "reminder" and clock.to_local(reminder.send_after) == D(2026, 11, 27, 10, 0)


def test_type_name_only_when_the_clinic_turns_it_on(sms_clinic, sms_jens):
    with pytest.raises(sms.SmsError):
        sms.save_template(sms_clinic["admin"], "booked", "{type} {date} ring {phone}. Beskeden kan ikke besvares.")
    Setting.create(key="sms", value={"include_type_name": True})
    sms.save_template(sms_clinic["admin"], "booked", "{type} {date} kl. {time}. Ring {phone}. Beskeden kan ikke besvares.",
                      type=sms_clinic["types"]["K15"])
    booking.book(sms_clinic["secretary"], sms_jens, sms_clinic["doctor"], sms_clinic["types"]["K15"], MONDAY_9)
    assert _messages(kind="booked")[0].text.startswith("Konsultation mandag 30. november kl. 09.00")


@pytest.mark.parametrize("body", [
    "Tid {date}. Ring {phone}.",  # no "Beskeden kan ikke besvares"
    "Tid {date}. Beskeden kan ikke besvares.",  # no way to cancel
    "Tid {date} {diagnosis}. Ring {phone}. Beskeden kan ikke besvares.",  # unknown field
    "Tid {date. Ring {phone}. Beskeden kan ikke besvares.",  # stray brace
])
def test_templates_that_would_say_too_much_or_too_little_are_refused(sms_clinic, body):
    with pytest.raises(sms.SmsError):
        sms.save_template(sms_clinic["admin"], "booked", body)


def test_withdrawn_consent_cancels_queued_messages_and_stops_a_claimed_one(sms_clinic, sms_jens):
    booking.book(sms_clinic["secretary"], sms_jens, sms_clinic["doctor"], sms_clinic["types"]["K15"], MONDAY_9)
    assert sms.withdraw_consent(sms_clinic["secretary"], sms_jens) == 1
    assert {m.state for m in _messages()} == {"cancelled"}
    assert AuditEvent.select().where(AuditEvent.action == "sms_consent_withdrawn").count() == 1
    # a message queued, then consent withdrawn behind the outbox's back: the sender checks again
    sms.give_consent(sms_clinic["secretary"], sms_jens, "20304050")
    msg = sms.queue(sms_jens, "free", "Hej. Ring 86 12 34 56. Beskeden kan ikke besvares.", key="x:1")
    from tui.models_reach import SmsConsent
    SmsConsent.update(withdrawn_at=clock.now_utc()).execute()
    with FakeGateway() as gw:
        assert _sender(gw).run_once() == 0
        assert gw.requests == []
    assert SmsMessage.get_by_id(msg.id).state == "cancelled"


# --- quiet hours, closing days, move and cancel --------------------------------------------


def test_quiet_hours_hold_a_confirmation_until_the_morning(sms_clinic, sms_jens):
    clock.freeze(D(2026, 11, 26, 22, 30))
    appt = booking.book(sms_clinic["secretary"], sms_jens, sms_clinic["doctor"], sms_clinic["types"]["K15"], MONDAY_9)
    booked = _messages(kind="booked")[0]
    assert clock.to_local(booked.send_after) == D(2026, 11, 27, 8, 0)
    with FakeGateway() as gw:
        sender = _sender(gw)
        assert sender.run_once() == 0
        clock.freeze(D(2026, 11, 27, 7, 59))
        assert sender.run_once() == 0
        clock.freeze(D(2026, 11, 27, 8, 0))
        assert sender.run_once() == 1
    assert SmsMessage.get_by_id(booked.id).state == "sent" and appt


def test_quiet_hours_also_stop_retries_falling_in_them(sms_clinic, sms_jens):
    sms.queue(sms_jens, "free", "t", key="q:1")
    clock.freeze(D(2026, 11, 26, 21, 0))
    with FakeGateway() as gw:
        assert _sender(gw).run_once() == 0 and gw.requests == []


def test_hour_reminder_moves_out_of_quiet_hours_and_day_reminder_skips_closing_days(sms_clinic):
    tpl = sms.SmsTemplate(lead_hours=2)
    assert sms.reminder_moment(D(2026, 12, 1, 8, 30), tpl) == D(2026, 11, 30, 20, 59)
    day = sms.SmsTemplate(lead_days=1)
    # 27 Dec is a Sunday, 25-26 holidays, the 24th a default closing day: the reminder goes on the 23rd
    assert sms.reminder_moment(D(2026, 12, 28, 9, 0), day) == D(2026, 12, 23, 10, 0)


def test_move_replaces_the_pending_reminder_and_cancel_cancels_it(sms_clinic, sms_jens):
    anne = sms_clinic["secretary"]
    appt = booking.book(anne, sms_jens, sms_clinic["doctor"], sms_clinic["types"]["K15"], MONDAY_9)
    new = booking.move(anne, appt, D(2026, 12, 2, 11, 0))
    old_reminder = _messages(kind="reminder", appointment=appt.id)[0]
    assert old_reminder.state == "cancelled"
    moved = _messages(kind="moved")[0]
    assert "onsdag 2. december kl. 11.00" in moved.text and moved.state == "queued"
    new_reminder = _messages(kind="reminder", appointment=new.id)[0]
    assert clock.to_local(new_reminder.send_after) == D(2026, 12, 1, 10, 0) and new_reminder.state == "queued"
    booking.cancel(anne, new, "Patient cancelled")
    assert SmsMessage.get_by_id(new_reminder.id).state == "cancelled"
    assert "er aflyst" in _messages(kind="cancelled")[0].text


def test_queue_reminders_is_idempotent_and_catches_later_consent(sms_clinic):
    mark = sms_clinic["patients"]["mark"]
    booking.book(sms_clinic["secretary"], mark, sms_clinic["doctor"], sms_clinic["types"]["K15"], MONDAY_9)
    assert sms.queue_reminders(MONDAY_9.date()) == 0
    sms.give_consent(sms_clinic["secretary"], mark, "+45 30 40 50 60")
    assert sms.queue_reminders(MONDAY_9.date()) == 1
    assert sms.queue_reminders(MONDAY_9.date()) == 0
    assert len(_messages(kind="reminder")) == 1


def test_outbox_view_is_audited_and_resend_makes_a_new_key(sms_clinic, sms_jens):
    appt = booking.book(sms_clinic["secretary"], sms_jens, sms_clinic["doctor"], sms_clinic["types"]["K15"], MONDAY_9)
    rows = sms.outbox(sms_clinic["secretary"])
    assert [r.kind for r in rows] == ["reminder", "booked"]
    assert AuditEvent.select().where(AuditEvent.action == "sms_outbox_viewed").count() == 1
    with pytest.raises(sms.SmsError):
        sms.resend(sms_clinic["secretary"], rows[1].id)  # still queued
    SmsMessage.update(state="failed").where(SmsMessage.id == rows[1].id).execute()
    again = sms.resend(sms_clinic["secretary"], rows[1].id)
    assert again.key == f"b:{appt.id}:re1" and again.text == rows[1].text
    assert again.state == "queued" and again.resend_of_id == rows[1].id


# --- the sender against the gateway ------------------------------------------------------


def _one(sms_jens, key="t:1"):
    return sms.queue(sms_jens, "free", "Hej. Ring 86 12 34 56. Beskeden kan ikke besvares.", key=key)


def test_success_sends_json_with_auth_and_idempotency_key(sms_clinic, sms_jens):
    msg = _one(sms_jens)
    with FakeGateway() as gw:
        assert _sender(gw).run_once() == 1
    req = gw.requests[0]
    assert req["auth"] == "Bearer hemmelig" and req["key"] == "t:1"
    assert req["body"] == {"to": "+4520304050", "text": msg.text, "from": "Klinik", "reference": "t:1"}
    m = SmsMessage.get_by_id(msg.id)
    assert (m.state, m.gateway_id, m.attempts) == ("sent", "gw-1", 1)
    assert sms.gateway_state()["state"] == "up"


def test_4xx_fails_at_once_without_retry(sms_clinic, sms_jens):
    msg = _one(sms_jens)
    with FakeGateway(script=["400"]) as gw:
        sender = _sender(gw)
        sender.run_once()
        clock.freeze(NOW + dt.timedelta(hours=2))
        sender.run_once()
    m = SmsMessage.get_by_id(msg.id)
    assert (m.state, m.attempts, len(gw.requests)) == ("failed", 1, 1) and "HTTP 400" in m.error


def test_5xx_retries_with_back_off_then_sends(sms_clinic, sms_jens):
    msg = _one(sms_jens)
    with FakeGateway(script=["503", "502"]) as gw:
        sender = _sender(gw, backoff=60)
        sender.run_once()
        m = SmsMessage.get_by_id(msg.id)
        assert (m.state, m.attempts, m.next_try) == ("queued", 1, clock.now_utc() + dt.timedelta(seconds=60))
        sender.run_once()
        assert len(gw.requests) == 1  # not yet due
        clock.freeze(NOW + dt.timedelta(seconds=61))
        sender.run_once()
        assert SmsMessage.get_by_id(msg.id).next_try == clock.now_utc() + dt.timedelta(seconds=120)
        clock.freeze(NOW + dt.timedelta(seconds=200))
        assert sender.run_once() == 1
    assert SmsMessage.get_by_id(msg.id).state == "sent" and len(gw.requests) == 3


def test_timeouts_mark_the_gateway_down_and_it_comes_back(sms_clinic, sms_jens):
    for i in range(5):
        _one(sms_jens, key=f"t:{i}")
    with FakeGateway(script=["timeout"] * 3, slow=1.0) as gw:
        sender = _sender(gw, timeout=0.3, backoff=1)
        assert sender.run_once() == 0
        state = sms.gateway_state()
        assert state["state"] == "down" and "timed out" in state["error"]
        # the rest of the batch went back untouched
        assert [m.attempts for m in _messages()] == [1, 1, 1, 0, 0]
        clock.freeze(NOW + dt.timedelta(seconds=10))
        assert sender.run_once() == 1  # one probe while down
        assert sms.gateway_state()["state"] == "up"
        assert sender.run_once() == 4
    assert {m.state for m in _messages()} == {"sent"}


def test_max_attempts_then_failed(sms_clinic, sms_jens):
    msg = _one(sms_jens)
    with FakeGateway(default="500") as gw:
        sender = _sender(gw, backoff=1, max_attempts=3, down_after=99)
        for i in range(5):
            clock.freeze(NOW + dt.timedelta(seconds=10 * i))
            sender.run_once()
    m = SmsMessage.get_by_id(msg.id)
    assert (m.state, m.attempts, len(gw.requests)) == ("failed", 3, 3)


def test_garbage_answer_is_sent_without_id_and_429_is_retried(sms_clinic, sms_jens):
    a, b = _one(sms_jens, "t:a"), _one(sms_jens, "t:b")
    with FakeGateway(script=["garbage", "429"]) as gw:
        _sender(gw).run_once()
    assert SmsMessage.get_by_id(a.id).state == "sent" and SmsMessage.get_by_id(a.id).gateway_id == ""
    assert SmsMessage.get_by_id(b.id).state == "queued"


def test_rate_limit_spaces_the_requests(sms_clinic, sms_jens):
    for i in range(6):
        _one(sms_jens, key=f"r:{i}")
    with FakeGateway() as gw:
        _sender(gw, rate=20).run_once()
    # at 20 a second six requests span at least 5 x 50 ms (less the jitter of the first and last)
    assert len(gw.requests) == 6 and gw.requests[-1]["at"] - gw.requests[0]["at"] >= 0.22


# --- delivery reports ----------------------------------------------------------------------


def _post(url, body, token="tok"):
    req = urllib.request.Request(url + (f"?token={token}" if token else ""), data=json.dumps(body).encode(),
                                 method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def reports(database):
    gateway = JsonHttpGateway(GatewayConfig(url="http://127.0.0.1:9/x"))
    server = make_report_server("127.0.0.1", 0, "tok", gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms/report"
    server.shutdown()
    server.server_close()


def test_delivery_reports_duplicate_out_of_order_early_and_hostile(sms_clinic, sms_jens, reports):
    a, b = _one(sms_jens, "k:a"), _one(sms_jens, "k:b")
    with FakeGateway() as gw:
        _sender(gw).run_once()
    assert _post(reports, {"id": "gw-1", "status": "DELIVRD"}) == 200
    assert _post(reports, {"id": "gw-1", "status": "DELIVRD"}) == 200  # duplicate
    assert _post(reports, {"id": "gw-1", "status": "sent"}) == 200  # late, older news
    assert _post(reports, {"id": "gw-1", "status": "failed"}) == 200  # after a final state
    assert SmsMessage.get_by_id(a.id).state == "delivered"
    assert _post(reports, [{"id": "gw-2", "status": "EXPIRED"}]) == 200
    assert SmsMessage.get_by_id(b.id).state == "failed"
    # a report that beats our own "sent": found by our key, and our "sent" then only adds the id
    c = _one(sms_jens, "k:c")
    SmsMessage.update(state="sending").where(SmsMessage.id == c.id).execute()
    assert _post(reports, {"reference": "k:c", "status": "delivered"}) == 200
    sms.mark_sent(c.id, "gw-9")
    c = SmsMessage.get_by_id(c.id)
    assert (c.state, c.gateway_id) == ("delivered", "gw-9")
    assert _post(reports, {"id": "nope", "status": "delivered"}) == 404
    assert _post(reports, {"id": "gw-1", "status": "delivered"}, token="wrong") == 403
    assert _post(reports, {"id": "gw-1", "status": "delivered"}, token="") == 403
    assert _post(reports, "[not an object]") == 400
    assert _post(reports, {"status": "delivered"}) == 400
    assert _post(reports, [{"id": "gw-1", "status": "x" * 300_000}]) == 413
    get = urllib.request.Request(reports + "?token=tok")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(get, timeout=5)
    assert err.value.code == 405


def test_a_deceased_patient_gets_no_message(sms_clinic, sms_jens):
    msg = _one(sms_jens)
    Patient.update(deceased_date=dt.date(2026, 11, 25)).where(Patient.id == sms_jens.id).execute()
    with FakeGateway() as gw:
        assert _sender(gw).run_once() == 0 and gw.requests == []
    assert SmsMessage.get_by_id(msg.id).error == "patient deceased"


def test_sms_config_section_and_the_command_without_a_gateway(tmp_path, monkeypatch, db_url, database):
    from click.testing import CliRunner

    from tui.cli import main
    from tui.config import ConfigError, load_config

    path = tmp_path / "c.toml"
    path.write_text('[sms]\nurl = "https://gw.example/send"\nrate = 2\ndelivered = ["OK"]\nreport_token = "t"\n',
                    encoding="utf-8")
    monkeypatch.setenv("SKRANKE_CONFIG", str(path))
    cfg = load_config()
    assert cfg.sms.gateway == {"url": "https://gw.example/send", "delivered": ["OK"]}
    assert cfg.sms.sender == {"rate": 2.0} and cfg.sms.report_token == "t"
    path.write_text('[sms]\nnonsense = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config()
    path.write_text('[sms]\nurl = "http://gw.example/send"\n', encoding="utf-8")  # not https
    result = CliRunner().invoke(main, ["--db", db_url, "sms-send", "--once"])
    assert result.exit_code != 0 and "https" in result.output
    monkeypatch.setenv("SKRANKE_CONFIG", os.devnull)
    result = CliRunner().invoke(main, ["--db", db_url, "sms-send", "--once"])
    assert result.exit_code != 0 and "[sms] url" in result.output


def test_a_series_is_confirmed_once_and_reminded_each_time(sms_clinic, sms_jens):
    starts = [MONDAY_9 + dt.timedelta(weeks=i) for i in range(3)]
    booking.book_series(sms_clinic["secretary"], sms_jens, sms_clinic["doctor"], sms_clinic["types"]["K15"], starts)
    assert len(_messages(kind="booked")) == 1 and len(_messages(kind="reminder")) == 3


def test_the_desk_sees_whether_the_sender_runs(sms_clinic, sms_jens):
    assert sms.sender_silent()
    sms.heartbeat()
    assert not sms.sender_silent()
    clock.freeze(NOW + dt.timedelta(minutes=10))
    assert sms.sender_silent()


def test_editing_a_template_rewrites_the_queued_messages_not_the_claimed_or_sent(sms_clinic, sms_jens):
    """She fixes a typo in the reminder: what still waits in the outbox goes out in the new
    words; what the sender has claimed or sent stays as it went."""
    anne, admin = sms_clinic["secretary"], sms_clinic["admin"]
    first = booking.book(anne, sms_jens, sms_clinic["doctor"], sms_clinic["types"]["K15"], MONDAY_9)
    second = booking.book(anne, sms_jens, sms_clinic["doctor"], sms_clinic["types"]["K15"], MONDAY_9 + dt.timedelta(days=1))
    queued, claimed = (_messages(kind="reminder", appointment=a.id)[0] for a in (first, second))
    SmsMessage.update(state="sending").where(SmsMessage.id == claimed.id).execute()
    confirmation = _messages(kind="booked", appointment=first.id)[0]
    tpl = sms.templates_for("reminder", sms_clinic["types"]["K15"])[0]
    body = "Husk din tid hos {staff} {date} kl. {time}. Afbud: ring {phone}. Beskeden kan ikke besvares."
    saved = sms.save_template(admin, "reminder", body, lead_days=1, template=tpl)
    assert saved.rewritten == 1
    assert SmsMessage.get_by_id(queued.id).text == (
        "Husk din tid hos lægen mandag 30. november kl. 09.00. Afbud: ring 86 12 34 56. Beskeden kan ikke besvares.")
    assert SmsMessage.get_by_id(claimed.id).text == claimed.text  # the sender has it: as it was
    assert SmsMessage.get_by_id(confirmation.id).text == confirmation.text  # another event
    # the confirmation template too, and an offer with its slot and deadline
    booked_tpl = sms.templates_for("booked", None)[0]
    assert sms.save_template(admin, "booked", "Tid {date} kl. {time}. Ring {phone}. Beskeden kan ikke besvares.",
                             template=booked_tpl).rewritten == 2
    assert SmsMessage.get_by_id(confirmation.id).text == "Tid mandag 30. november kl. 09.00. Ring 86 12 34 56. " \
                                                        "Beskeden kan ikke besvares."
    from tui.domain import waiting_list as wl
    entry = wl.add(anne, sms_jens, sms_clinic["types"]["K15"])
    offer = wl.offer_by_sms(anne, entry.id, TOMORROW_9, sms_clinic["doctor"], reply_hours=2)
    sms.save_template(admin, "offer", "Ledig tid {date} kl. {time}. Svar JA inden {deadline}. Ring {phone}.",
                      template=sms.templates_for("offer", None)[0])
    assert SmsMessage.get_by_id(offer.id).text == ("Ledig tid fredag 27. november kl. 09.00. Svar JA inden "
                                                   "torsdag 26. november kl. 12.00. Ring 86 12 34 56.")
    assert AuditEvent.select().where(AuditEvent.action == "sms_template_saved").count() == 3
    # a reminder template taken out of use: its reminders still waiting do not go out
    sms.retire_template(admin, tpl.id)
    assert SmsMessage.get_by_id(queued.id).state == "cancelled"
    assert SmsMessage.get_by_id(claimed.id).state == "sending"


def test_the_sender_lock_is_held_once_per_database(sms_clinic):
    from tui.sms_lock import SenderLock, SenderRunning

    first = SenderLock.acquire()
    try:
        with pytest.raises(SenderRunning) as err:
            SenderLock.acquire()
        assert f"pid {os.getpid()}" in str(err.value)
    finally:
        first.release()
    SenderLock.acquire().release()  # free again
