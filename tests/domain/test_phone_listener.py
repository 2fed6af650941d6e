"""The phone listener, with real HTTP requests in the forms Yealink and snom phones send."""
from __future__ import annotations

import http.client
import logging
import threading
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

from tui.models import Call, Patient, PatientPhone
from tui.phone_listener import PhoneServer, RateLimiter

TOKEN = "s3cret-token"


@pytest.fixture
def listener(database):
    import datetime as dt

    p = Patient.create(cpr="0707614285", first_name="Jens", last_name="Hansen",
                       birth_date=dt.date(1961, 7, 7), sex="M")
    PatientPhone.create(patient=p, number="+4512345678")
    server = PhoneServer(("127.0.0.1", 0), TOKEN, limiter=RateLimiter(rate=1000, burst=1000))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    server.patient = p
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def get(server, path: str, data: bytes | None = None) -> tuple[int, str]:
    req = urllib.request.Request(server.base + path, data=data)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_yealink_incoming_with_a_raw_sip_uri(listener):
    # Yealink substitutes $remote as it is: "sip:+4512345678@10.0.0.1", the plus unencoded.
    status, body = get(listener, f"/yealink/incoming?token={TOKEN}&caller=sip:+4512345678@10.0.0.1"
                                 "&name=Jens%20Hansen&id=abc-123&local=201")
    assert status == 200 and body.strip() == "ok"
    call = Call.get()
    assert call.number == "+4512345678" and call.patient_id == listener.patient.id
    assert call.display_name == "Jens Hansen" and call.line == "201" and call.source == "yealink"
    assert call.phone_call_id == "abc-123" and call.status == "ringing"
    assert get(listener, f"/yealink/established?token={TOKEN}&id=abc-123")[0] == 200
    assert get(listener, f"/yealink/terminated?token={TOKEN}&id=abc-123")[0] == 200
    call = Call.get()
    assert call.status == "answered" and call.ended_at is not None


def test_snom_with_url_encoded_uri_and_post(listener):
    caller = quote("sip:+4512345678@pbx.example;user=phone", safe="")
    status, _ = get(listener, f"/snom/incoming?token={TOKEN}&caller={caller}&name=Jens+Hansen&id=c%40d")
    assert status == 200
    call = Call.get()
    assert call.number == "+4512345678" and call.display_name == "Jens Hansen"
    assert call.phone_call_id == "c@d" and call.source == "snom"
    # snom can POST too
    status, _ = get(listener, "/snom/disconnected", data=f"token={TOKEN}&id=c%40d".encode())
    assert status == 200
    assert Call.get().status == "missed"


def test_unfilled_and_missing_parameters(listener):
    # A phone that has no display name sends "$display_remote" literally.
    status, _ = get(listener, f"/yealink/incoming?token={TOKEN}&caller=12345678&name=$display_remote"
                              "&id=$call_id")
    assert status == 200
    call = Call.get()
    assert call.display_name == "" and call.phone_call_id == ""
    # no caller on an incoming call: refused
    assert get(listener, f"/yealink/incoming?token={TOKEN}&name=x")[0] == 400
    assert get(listener, f"/yealink/incoming?token={TOKEN}&caller=$remote")[0] == 400
    # neither caller nor id
    assert get(listener, f"/yealink/terminated?token={TOKEN}")[0] == 400
    # an event for a call never seen ringing (an outgoing call): fine, nothing written
    status, body = get(listener, f"/yealink/terminated?token={TOKEN}&id=unknown")
    assert status == 200 and body.strip() == "ignored"
    assert Call.select().count() == 1


def test_hidden_number_is_logged(listener):
    status, _ = get(listener, f"/yealink/incoming?token={TOKEN}&caller=sip:anonymous@anonymous.invalid")
    assert status == 200
    assert Call.get().number == ""


@pytest.mark.parametrize("path, expected", [
    ("/yealink/incoming?token=wrong&caller=12345678", 403),
    ("/yealink/incoming?caller=12345678", 403),
    (f"/yealink/incoming?token={TOKEN}x&caller=12345678", 403),
    (f"/yealink/incoming?token={TOKEN}&caller=hello", 400),
    (f"/yealink/incoming?token={TOKEN}&caller=sip:evil@host", 400),
    (f"/yealink/incoming?token={TOKEN}&caller=12345678&bogus=1", 400),
    (f"/yealink/incoming?token={TOKEN}&caller=12345678&caller=87654321", 400),
    (f"/yealink/incoming?token={TOKEN}&caller=12345678&name=%FF%FE", 400),
    (f"/yealink/incoming?token={TOKEN}&caller=12345678&name=a%00b", 400),
    (f"/yealink/incoming?token={TOKEN}&caller=12345678&name=" + "n" * 300, 400),
    (f"/yealink/ringing?token={TOKEN}&caller=12345678", 404),
    (f"/cisco/incoming?token={TOKEN}&caller=12345678", 404),
    ("/", 404),
    (f"/yealink/incoming?token={TOKEN}&caller=12345678&name=" + "x" * 10_000, 414),
])
def test_bad_requests_get_4xx_and_write_nothing(listener, path, expected, caplog):
    with caplog.at_level(logging.INFO, logger="skranke.phone"):
        status, _ = get(listener, path)
    assert status == expected
    assert Call.select().count() == 0
    assert caplog.records, "every refusal leaves a log line"
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


def test_other_methods_and_big_bodies_are_refused(listener):
    conn = http.client.HTTPConnection("127.0.0.1", listener.server_address[1], timeout=5)
    conn.request("DELETE", f"/yealink/incoming?token={TOKEN}&caller=12345678")
    assert conn.getresponse().status == 405
    conn.close()
    status, _ = get(listener, "/yealink/incoming", data=b"token=" + TOKEN.encode() + b"&name=" + b"x" * 5000)
    assert status == 413
    conn = http.client.HTTPConnection("127.0.0.1", listener.server_address[1], timeout=5)
    conn.putrequest("GET", "/yealink/incoming?token=" + TOKEN + "&caller=" + "9" * 70_000)
    conn.endheaders()
    assert conn.getresponse().status == 414
    conn.close()
    assert Call.select().count() == 0


def test_a_flood_is_throttled_and_the_listener_lives_on(listener, caplog):
    listener.limiter = RateLimiter(rate=1, burst=5)
    with caplog.at_level(logging.WARNING, logger="skranke.phone"):
        codes = [get(listener, "/yealink/incoming?token=wrong&caller=12345678")[0] for _ in range(30)]
    assert codes[:5] == [403] * 5 and set(codes[5:]) == {429}
    assert 1 <= len(caplog.records) <= 10, "a flood does not flood the log"
    assert Call.select().count() == 0
    listener.limiter = RateLimiter(rate=1000, burst=1000)
    assert get(listener, f"/yealink/incoming?token={TOKEN}&caller=12345678")[0] == 200


def test_parallel_phones_of_a_group_give_one_call(listener):
    results = []

    def ring(leg: int) -> None:
        results.append(get(listener, f"/yealink/incoming?token={TOKEN}&caller=12345678&id=leg{leg}")[0])

    threads = [threading.Thread(target=ring, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 4
    assert Call.select().count() == 1


def test_a_listener_without_a_token_does_not_start(database):
    with pytest.raises(ValueError):
        PhoneServer(("127.0.0.1", 0), "")
