"""`skranke phone-listen`: receive the Action URLs of the clinic's IP phones.

Each phone calls a URL on its events; this small HTTP server (one asyncio loop, the stdlib's
request parsing, a bounded thread pool; see PhoneServer) checks the shared token, validates every parameter strictly
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

import asyncio
import hmac
import io
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, unquote_plus, urlsplit

from tui.db import database_proxy as db

log = logging.getLogger("skranke.phone")

MAX_URL = 2048
MAX_BODY = 4096
MAX_VALUE = 200
RATE_PER_SECOND = 10.0  # per client address, sustained
RATE_BURST = 40
SWEEP_SECONDS = 30
MAX_HEAD = 8192  # request line and headers
REQUEST_DEADLINE = 5.0  # seconds for a whole request: read, answered, written
MAX_WORKERS = 8
MAX_CONNECTIONS = 512
MAX_PER_ADDRESS = 32
BACKLOG = 2048

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
    """Answers one request that PhoneServer has already read whole (bytes in, bytes out):
    the stdlib's request parsing, without a thread per connection."""

    server: "PhoneServer"
    server_version = "skranke-phone"
    sys_version = ""
    protocol_version = "HTTP/1.0"

    def setup(self) -> None:
        self.connection = None
        self.rfile = io.BytesIO(self.request)
        self.wfile = io.BytesIO()

    def finish(self) -> None:
        pass

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


class PhoneServer:
    """The listener: one asyncio loop holds every connection (a slow one costs a socket, not
    a thread), reads each request whole within REQUEST_DEADLINE, and hands it to a bounded
    pool of MAX_WORKERS threads. At most MAX_PER_ADDRESS open connections per client address
    (more are closed at once) and MAX_CONNECTIONS overall (the oldest unfinished one gives
    way to the newest, so a flood from many addresses cannot keep a phone out)."""

    def __init__(self, address: tuple[str, int], token: str, *,
                 limiter: RateLimiter | None = None) -> None:
        if not token:
            raise ValueError("The phone listener needs a token ([phone] token in the config)")
        self.token = token
        self.limiter = limiter or RateLimiter()
        self._last_refusal_log: dict[str, float] = {}
        self._log_lock = threading.Lock()
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        # client address -> its open connections, oldest first
        self._by_address: dict[str, dict[asyncio.Task, None]] = {}
        self._client_of: dict[asyncio.Task, str] = {}
        self._open = 0
        self._done = threading.Event()
        self.socket = socket.create_server(address, backlog=BACKLOG, reuse_port=False)
        self.server_address = self.socket.getsockname()
        self.pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="phone")

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

    # --- the loop -----------------------------------------------------------------

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        try:
            asyncio.run(self._serve())
        finally:
            self._done.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        if self._stop.is_set():
            return
        server = await asyncio.start_server(self._connection, sock=self.socket,
                                            backlog=BACKLOG, limit=MAX_HEAD)
        async with server:
            await self._stopping.wait()
            server.close()
            for tasks in list(self._by_address.values()):
                for task in list(tasks):
                    task.cancel()

    def shutdown(self) -> None:
        self._stop.set()
        if self._loop is not None and self._stopping is not None:
            try:
                self._loop.call_soon_threadsafe(self._stopping.set)
            except RuntimeError:  # the loop has ended already
                pass

    def server_close(self) -> None:
        self.shutdown()
        if self._loop is not None:
            self._done.wait(5)
        self.socket.close()
        self.pool.shutdown(wait=False, cancel_futures=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("?", 0)
        client = peer[0]
        mine = self._by_address.get(client, {})
        if len(mine) >= MAX_PER_ADDRESS:
            if self.should_log_refusal(client):
                log.warning("%s refused: more than %s open connections", client, MAX_PER_ADDRESS)
            writer.transport.abort()
            return
        if self._open >= MAX_CONNECTIONS:
            # The address holding the most connections gives up its oldest one.
            greedy = max(self._by_address.values(), key=len)
            oldest = next(iter(greedy))
            oldest.cancel()
            self._forget(oldest)
        task = asyncio.current_task()
        mine = self._by_address.setdefault(client, mine)
        mine[task] = None
        self._client_of[task] = client
        self._open += 1
        try:
            raw = await asyncio.wait_for(self._read_request(reader), REQUEST_DEADLINE)
            if raw:
                reply = await asyncio.wait_for(
                    self._loop.run_in_executor(self.pool, self._answer, raw, peer),
                    REQUEST_DEADLINE)
                writer.write(reply)
                await asyncio.wait_for(writer.drain(), REQUEST_DEADLINE)
        except (asyncio.LimitOverrunError, ValueError):
            # request line and headers longer than MAX_HEAD (StreamReader's limit)
            if self.should_log_refusal(client):
                log.warning("%s 414: request head longer than %s bytes", client, MAX_HEAD)
            writer.write(b"HTTP/1.0 414 URI Too Long\r\nContent-Length: 13\r\n"
                         b"Connection: close\r\n\r\nURL too long\n")
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, OSError):
            pass  # too slow, too long or gone: the connection is simply closed
        except asyncio.CancelledError:
            pass  # gave way to a newer connection, or the listener stops
        finally:
            self._forget(task)
            writer.transport.abort()

    def _forget(self, task) -> None:
        client = self._client_of.pop(task, None)
        if client is None:
            return
        tasks = self._by_address.get(client, {})
        tasks.pop(task, None)
        self._open -= 1
        if not tasks:
            self._by_address.pop(client, None)

    async def _read_request(self, reader: asyncio.StreamReader) -> bytes:
        """The request line, the headers and a body of Content-Length (bounded), as bytes."""
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _sep, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                value = value.strip()
                length = int(value) if value.isdigit() else 0
        if 0 < length <= MAX_BODY:
            head += await reader.readexactly(length)
        return head

    def _answer(self, raw: bytes, peer) -> bytes:
        handler = PhoneHandler(raw, peer, self)
        return handler.wfile.getvalue()

    # --- ringing calls --------------------------------------------------------------

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


def serve(bind: str, port: int, token: str) -> None:
    """Run until interrupted."""
    server = PhoneServer((bind, port), token)
    server.start_sweeper()
    host, real_port = server.server_address[:2]
    log.info("listening on %s:%s", host, real_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        log.info("stopped")
