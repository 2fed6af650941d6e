"""`skranke sms-send`: the long-running SMS sender, next to the database.

One loop: every `poll` seconds it queues the coming days' reminders (idempotent), claims
the due messages from the outbox (each with an attempt and a lease) and hands them to the
gateway one at a time, at most `rate` a second. Outcomes:

    2xx                      sent (the gateway's id kept for delivery reports)
    4xx (not 408/429)        failed at once: the gateway refuses the message itself
    408, 429                 queued again after a back-off
    5xx, timeout, no answer  queued again after a back-off; after `down_after` in a row the
                             gateway is "down" (shown at the desk) and the sender waits
                             `down_pause` seconds before it tries one message again
    attempts >= max          failed

Back-off: `backoff` * 2^(attempt-1) seconds, at most `backoff_max`. A sender killed mid-
batch leaves its claimed messages "sending" until their lease runs out; then they are
claimed again and sent with the same idempotency key, which the gateway uses to drop a
copy it already has. One sender per database (tui.sms_lock): a second one says so and exits.

Delivery reports: a small HTTP server (report_bind:report_port) takes POST /sms/report
with the token (`?token=` or header X-Skranke-Token) and JSON as the gateway sends it:
200 applied (also a duplicate or an outdated report), 404 unknown message (the gateway
tries again later), 400 unreadable, 403 wrong token, 413 too large.

Replies: POST /sms/reply, with the same token, takes the patient's answers as the gateway
sends them (tui.domain.sms_replies): 200 handled (also a reply delivered again), 400
unreadable, 403 wrong token, 413 too large.

Run it under systemd (see README, "SMS"): Restart=always, like phone-listen.
"""
from __future__ import annotations

import datetime as dt
import hmac
import logging
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tui.db import database_proxy as db
from tui.domain import sms
from tui.domain.clock import today
from tui.sms_gateway import Gateway

log = logging.getLogger("skranke.sms")

MAX_REPORT = 256 * 1024


@dataclass
class SenderConfig:
    rate: float = 5.0  # messages a second
    batch: int = 50
    poll: float = 5.0
    lease: float = 120.0  # > the gateway timeout: a live sender never loses its claim
    max_attempts: int = 8
    backoff: float = 30.0
    backoff_max: float = 3600.0
    down_after: int = 3
    down_pause: float = 60.0
    reminder_days: int = 4  # queue reminders for appointments up to this many days ahead
    reminder_every: float = 600.0


class Sender:
    def __init__(self, gateway: Gateway, cfg: SenderConfig | None = None):
        self.gateway = gateway
        self.cfg = cfg or SenderConfig()
        self.failures_in_row = 0
        self.last_send = 0.0
        self.last_reminders = 0.0
        self.stopping = threading.Event()
        self.lock = None  # tui.sms_lock.SenderLock while serving
        self.lost_lock = False

    def backoff(self, attempts: int) -> float:
        return min(self.cfg.backoff_max, self.cfg.backoff * 2 ** max(0, attempts - 1))

    def queue_reminders(self) -> int:
        n = 0
        for i in range(self.cfg.reminder_days + 1):
            n += sms.queue_reminders(today() + dt.timedelta(days=i))
        return n

    def _pace(self) -> None:
        gap = 1.0 / self.cfg.rate if self.cfg.rate > 0 else 0.0
        wait = self.last_send + gap - time.monotonic()
        if wait > 0:
            self.stopping.wait(wait)
        self.last_send = time.monotonic()

    def run_once(self) -> int:
        """One round; returns how many messages the gateway took."""
        if time.monotonic() - self.last_reminders >= self.cfg.reminder_every:
            self.last_reminders = time.monotonic()
            queued = self.queue_reminders()
            if queued:
                log.info("queued %d reminders", queued)
        down = self.failures_in_row >= self.cfg.down_after
        claimed = sms.claim_due(1 if down else self.cfg.batch, self.cfg.lease)
        taken = 0
        for i, msg in enumerate(claimed):
            if self.stopping.is_set():  # give it back untouched
                sms.mark_retry(msg.id, "sender stopped", 0, self.cfg.max_attempts + msg.attempts)
                _uncount(msg.id)
                continue
            self._pace()
            result = self.gateway.send(msg.number, msg.text, msg.key)
            if result.ok:
                sms.mark_sent(msg.id, result.gateway_id)
                taken += 1
                if self.failures_in_row:
                    log.info("gateway answers again")
                self.failures_in_row = 0
                sms.set_gateway_state("up")
                continue
            log.warning("message %d attempt %d: %s", msg.id, msg.attempts, result.error)
            if result.retry:
                sms.mark_retry(msg.id, result.error, self.backoff(msg.attempts), self.cfg.max_attempts)
            else:
                sms.mark_failed(msg.id, result.error)
            if result.down:
                self.failures_in_row += 1
                if self.failures_in_row >= self.cfg.down_after:
                    sms.set_gateway_state("down", result.error)
                    # give back the rest of the batch untouched by this attempt
                    for rest in claimed[i + 1:]:
                        sms.mark_retry(rest.id, "gateway down", 0, self.cfg.max_attempts + rest.attempts)
                        _uncount(rest.id)
                    break
            else:
                self.failures_in_row = 0
        return taken

    def serve_forever(self) -> None:
        while not self.stopping.is_set():
            if self.lock is not None and not self.lock.alive():
                log.error("the one-sender lock is gone: stopping (systemd starts a new sender)")
                self.lost_lock = True
                break
            try:
                taken = self.run_once()
                sms.heartbeat()
            except Exception:  # a database hiccup: log it and try again next round
                log.exception("sender round failed")
                taken = 0
            if self.failures_in_row >= self.cfg.down_after:
                self.stopping.wait(self.cfg.down_pause)
            elif not taken:
                self.stopping.wait(self.cfg.poll)
            else:
                sms.set_gateway_state("up")

    def stop(self) -> None:
        self.stopping.set()


def _uncount(message_id: int) -> None:
    from tui.models_reach import SmsMessage

    (SmsMessage.update(attempts=SmsMessage.attempts - 1)
     .where((SmsMessage.id == message_id) & (SmsMessage.attempts > 0)).execute())


# --- delivery reports ---------------------------------------------------------------------


def make_report_server(bind: str, port: int, token: str, gateway: Gateway) -> ThreadingHTTPServer:
    if not token:
        raise ValueError("the delivery-report endpoint needs a token")

    class Handler(BaseHTTPRequestHandler):
        server_version = "skranke-sms"
        sys_version = ""
        timeout = 10  # a client that sends its body slowly is dropped

        def log_message(self, fmt, *args):  # one line, never the token
            log.info("report %s %s", self.command, urlsplit(self.path).path)

        def _answer(self, code: int, text: str = "") -> None:
            body = (text or str(code)).encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self._answer(405)

        def do_POST(self):
            parts = urlsplit(self.path)
            if parts.path not in ("/sms/report", "/sms/reply"):
                return self._answer(404)
            given = self.headers.get("X-Skranke-Token") or (parse_qs(parts.query).get("token") or [""])[0]
            if not hmac.compare_digest(given.encode(), token.encode()):
                return self._answer(403)
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                return self._answer(400)
            if length > MAX_REPORT or length < 0:
                return self._answer(413)
            if parts.path == "/sms/reply":
                return self._replies(self.rfile.read(length))
            try:
                reports = gateway.parse_reports(self.rfile.read(length))
            except (ValueError, UnicodeDecodeError):
                return self._answer(400)
            unknown = 0
            with db.connection_context():
                for r in reports:
                    if not sms.apply_report(r.status, gateway_id=r.gateway_id, key=r.key):
                        unknown += 1
            if unknown:
                return self._answer(404, f"{unknown} unknown")
            return self._answer(200, "ok")

        def _replies(self, body: bytes) -> None:
            from tui.domain import sms_replies

            try:
                replies = gateway.parse_replies(body)
            except (ValueError, UnicodeDecodeError):
                return self._answer(400)
            try:
                with db.connection_context():
                    for r in replies:
                        sms_replies.receive(r.number, r.text, ref=r.gateway_id)
            except Exception:  # rolled back whole: the gateway delivers the reply again later
                log.exception("reply not handled")
                return self._answer(500)
            return self._answer(200, "ok")

    server = ThreadingHTTPServer((bind, port), Handler)
    server.daemon_threads = True
    return server
