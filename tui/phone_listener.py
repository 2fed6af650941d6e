"""`skranke phone-listen`: receive the Action URLs of the clinic's IP phones.

Each phone calls a URL on its events; this small HTTP server (stdlib
ThreadingHTTPServer) checks the shared token, validates every parameter strictly
and writes through `tui.domain.calls.record_event`. Paths (GET or POST):

    /yealink/incoming   /yealink/established   /yealink/terminated   /yealink/missed
    /snom/incoming      /snom/connected        /snom/disconnected    /snom/missed

Parameters: token (the shared secret), caller ($remote), name ($display_remote),
id ($call_id on Yealink, $call-id on snom), local ($local). A "+" in caller is kept
as a plus (phones do not encode the "+" of "sip:+45..."); in the other parameters
"+" is a space, as in any form.

Answers: 200 written (or ignored: an event for a call never seen ringing),
400 bad input, 403 wrong token, 404 unknown path, 405 other methods, 413 body too
large, 414 URL too long, 429 too many requests from one client. Nothing is written
unless the answer is 200. One log line per request, never with the token or the
caller's number.
"""
from __future__ import annotations

import hmac
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, unquote_plus, urlsplit

from tui.db import database_proxy as db

log = logging.getLogger("skranke.phone")

MAX_URL = 2048
MAX_BODY = 4096
MAX_VALUE = 200
RATE_PER_SECOND = 10.0  # per client address, sustained
RATE_BURST = 40
SWEEP_SECONDS = 30

# path -> (source, event)
ROUTES: dict[str, tuple[str, str]] = {
    "/yealink/incoming": ("yealink", "incoming"),
    "/yealink/established": ("yealink", "established"),
    "/yealink/terminated": ("yealink", "terminated"),
    "/yealink/missed": ("yealink", "missed"),
    "/snom/incoming": ("snom", "incoming"),
    "/snom/connected": ("snom", "established"),
    "/snom/disconnected": ("snom", "terminated"),
    "/snom/missed": ("snom", "missed"),
}
PARAMS = ("token", "caller", "name", "id", "local")


class BadRequest(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _unfilled(value: str) -> bool:
    """A phone sends "$remote" literally when it has nothing to put there."""
    return value.startswith("$")


def parse_params(query: str) -> dict[str, str]:
    """Strict form parsing: known names only, each at most once, UTF-8, bounded length."""
    out: dict[str, str] = {}
    if not query:
        return out
    for part in query.split("&"):
        if not part:
            continue
        key, sep, raw = part.partition("=")
        if key not in PARAMS:
            raise BadRequest(400, "unknown parameter")
        if key in out:
            raise BadRequest(400, "repeated parameter")
        try:
            if key == "caller":
                value = unquote(raw, errors="strict")
            else:
                value = unquote_plus(raw, errors="strict")
        except UnicodeDecodeError:
            raise BadRequest(400, "not UTF-8") from None
        if len(value) > MAX_VALUE:
            raise BadRequest(400, "value too long")
        out[key] = "" if _unfilled(value) else value
    return out


class RateLimiter:
    """A token bucket per client address; old buckets are forgotten."""

    def __init__(self, rate: float = RATE_PER_SECOND, burst: int = RATE_BURST,
                 clock=time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[client] = (tokens, now)
            if len(self._buckets) > 10_000:
                cutoff = now - self.burst / self.rate
                self._buckets = {k: v for k, v in self._buckets.items() if v[1] >= cutoff}
            return allowed


class PhoneHandler(BaseHTTPRequestHandler):
    server: "PhoneServer"
    server_version = "skranke-phone"
    sys_version = ""
    timeout = 10  # a client that sends nothing is dropped
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args) -> None:  # noqa: A002  (the stdlib's name)
        # The stdlib would print the request line, token included: we log our own lines.
        pass

    def log_error(self, format: str, *args) -> None:  # noqa: A002
        log.warning("%s error: %s", self.client_address[0], format % args)

    def send_error(self, code, message=None, explain=None):
        # Requests refused by the stdlib itself (request line too long, bad syntax).
        log.warning("%s %s refused by the HTTP parser", self.client_address[0], code)
        self._reply(code, "error")

    def do_GET(self) -> None:
        self._serve(body=b"")

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit():
            return self._refuse(400, "bad content length")
        if int(length) > MAX_BODY:
            return self._refuse(413, "body too large")
        body = self.rfile.read(int(length)) if int(length) else b""
        self._serve(body=body)

    def do_HEAD(self) -> None:
        self._refuse(405, "method")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD

    # --- the one place that decides ---------------------------------------------

    def _serve(self, body: bytes) -> None:
        client = self.client_address[0]
        if not self.server.limiter.allow(client):
            return self._refuse(429, "too many requests")
        if len(self.path) > MAX_URL:
            return self._refuse(414, "URL too long")
        parts = urlsplit(self.path)
        route = ROUTES.get(parts.path)
        if route is None:
            return self._refuse(404, "unknown path")
        try:
            params = parse_params(parts.query)
            if body:
                try:
                    text = body.decode("ascii")
                except UnicodeDecodeError:
                    raise BadRequest(400, "body not form-encoded") from None
                for key, value in parse_params(text).items():
                    if key in params:
                        raise BadRequest(400, "repeated parameter")
                    params[key] = value
        except BadRequest as exc:
            # The token is checked first where it can be read: a wrong token is 403.
            return self._refuse(exc.status, exc.reason)
        if not self._token_ok(params.get("token", "")):
            return self._refuse(403, "wrong token")
        source, event = route
        from tui.domain import calls

        try:
            with db.connection_context():
                call = calls.record_event(
                    event, source=source, caller=params.get("caller", ""),
                    name=params.get("name", ""), call_id=params.get("id", ""),
                    line=params.get("local", ""),
                )
        except ValueError as exc:
            return self._refuse(400, str(exc))
        except Exception:  # the database is away, locked too long...: the phone gets a 503
            log.exception("%s %s/%s failed", client, source, event)
            return self._reply(503, "unavailable")
        if call is None:
            log.info("%s %s/%s ignored (no such call)", client, source, event)
            return self._reply(200, "ignored")
        log.info("%s %s/%s call %s %s", client, source, event, call.id, call.status)
        self._reply(200, "ok")

    def _token_ok(self, given: str) -> bool:
        expected = self.server.token
        return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())

    def _refuse(self, status: int, reason: str) -> None:
        if self.server.should_log_refusal(self.client_address[0]):
            log.warning("%s %s %s: %s", self.client_address[0], self.command, status, reason)
        self._reply(status, reason)

    def _reply(self, status: int, text: str) -> None:
        payload = (text + "\n").encode("utf-8", "replace")
        try:
            self.send_response_only(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except OSError:
            pass
        self.close_connection = True


class PhoneServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], token: str, *,
                 limiter: RateLimiter | None = None) -> None:
        if not token:
            raise ValueError("The phone listener needs a token ([phone] token in the config)")
        super().__init__(address, PhoneHandler)
        self.token = token
        self.limiter = limiter or RateLimiter()
        self._last_refusal_log: dict[str, float] = {}
        self._log_lock = threading.Lock()
        self._stop = threading.Event()

    def should_log_refusal(self, client: str) -> bool:
        """At most one refusal line a second per client, so a flood cannot fill the disk."""
        now = time.monotonic()
        with self._log_lock:
            last = self._last_refusal_log.get(client, 0.0)
            if now - last < 1.0:
                return False
            self._last_refusal_log[client] = now
            if len(self._last_refusal_log) > 10_000:
                self._last_refusal_log.clear()
            return True

    def start_sweeper(self) -> threading.Thread:
        """Every half minute, calls left ringing too long become missed."""
        def run() -> None:
            from tui.domain import calls

            while not self._stop.wait(SWEEP_SECONDS):
                try:
                    with db.connection_context():
                        calls.expire_ringing()
                except Exception:
                    log.exception("sweeping ringing calls failed")

        thread = threading.Thread(target=run, name="ring-sweeper", daemon=True)
        thread.start()
        return thread

    def server_close(self) -> None:
        self._stop.set()
        super().server_close()


def serve(bind: str, port: int, token: str) -> None:
    """Run until interrupted."""
    server = PhoneServer((bind, port), token)
    server.start_sweeper()
    host, real_port = server.server_address[:2]
    log.info("listening on %s:%s", host, real_port)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        log.info("stopped")
