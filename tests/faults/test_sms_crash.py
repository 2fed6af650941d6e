"""A kill -9 of the real `skranke sms-send` in the middle of a batch, at the worst moment
(the gateway has taken a message, the sender has not yet written "sent"): after a restart
every message reaches a phone exactly once, none is lost."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sms_fake_gateway import FakeGateway

from tui.domain import sms
from tui.models import Setting
from tui.models_reach import SmsMessage

N = 20


def _start(db_url, config):
    env = {**os.environ, "SKRANKE_CONFIG": str(config)}
    env.pop("SKRANKE_DB", None)
    return subprocess.Popen([sys.executable, "-m", "tui", "--db", db_url, "sms-send"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait(predicate, seconds=30.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_kill_9_mid_batch_no_duplicates_no_loss(db_url, sms_clinic, sms_jens, tmp_path):
    # the child runs on the real clock: no quiet hours in this test, whatever the hour
    Setting.create(key="sms", value={"quiet_from": "00:00", "quiet_to": "00:00"})
    keys = [f"crash:{i}" for i in range(N)]
    for key in keys:
        sms.queue(sms_jens, "free", "Hej. Ring 86 12 34 56. Beskeden kan ikke besvares.", key=key)
    with FakeGateway(script=["ok"] * 7 + ["hold"]) as gw:
        config = tmp_path / "sms.toml"
        config.write_text(f'[sms]\nurl = "{gw.url}"\ntimeout = 5.0\nlease = 6.0\nrate = 500.0\n'
                          'poll = 0.1\nbackoff = 0.2\n', encoding="utf-8")
        first = _start(db_url, config)
        try:
            assert gw.holding.wait(30), first.stderr.read1(4000) if first.poll() is not None else "no hold"
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        held = gw.requests[-1]["key"]
        states = {m.key: m.state for m in SmsMessage.select()}
        assert states[held] == "sending"  # the gateway has it; the outbox does not know yet
        assert sum(s == "sent" for s in states.values()) == 7
        gw.release.set()
        second = _start(db_url, config)
        try:
            done = _wait(lambda: SmsMessage.select().where(SmsMessage.state != "sent").count() == 0, 90)
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(10)
            except subprocess.TimeoutExpired:
                second.kill()
        assert done, second.stderr.read().decode()[-2000:]
    assert sorted(gw.phone_deliveries) == sorted(keys)  # each phone got each message once
    # the one in flight at the kill was offered again with its key, and dropped as a copy
    assert [r["key"] for r in gw.requests].count(held) == 2
    assert len(gw.requests) == N + 1
    ids = {m.key: m.gateway_id for m in SmsMessage.select()}
    assert ids[held] == gw.taken[held]


def test_one_sender_per_database_and_a_killed_one_does_not_block_the_next(db_url, sms_clinic, sms_jens, tmp_path):
    """A second `skranke sms-send` on the same database says so and exits non-zero; after a
    kill -9 of the first the lock is gone with it (no stale lock to clear by hand)."""
    Setting.create(key="sms", value={"quiet_from": "00:00", "quiet_to": "00:00"})
    with FakeGateway() as gw:
        config = tmp_path / "sms.toml"
        config.write_text(f'[sms]\nurl = "{gw.url}"\ntimeout = 5.0\npoll = 0.1\n', encoding="utf-8")
        first = _start(db_url, config)
        try:
            assert _wait(lambda: not sms.sender_silent()), "the first sender never ran"
            env = {**os.environ, "SKRANKE_CONFIG": str(config)}
            env.pop("SKRANKE_DB", None)
            second = subprocess.run([sys.executable, "-m", "tui", "--db", db_url, "sms-send", "--once"],
                                    env=env, capture_output=True, text=True, timeout=60)
            assert second.returncode != 0
            assert "sms-send" in second.stderr and f"pid {first.pid}" in second.stderr, second.stderr
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        sms.queue(sms_jens, "free", "Hej. Ring 86 12 34 56. Beskeden kan ikke besvares.", key="after:1")
        third = subprocess.run([sys.executable, "-m", "tui", "--db", db_url, "sms-send", "--once"],
                               env=env, capture_output=True, text=True, timeout=60)
        assert third.returncode == 0, third.stderr[-2000:]
    assert [r["key"] for r in gw.requests] == ["after:1"]
