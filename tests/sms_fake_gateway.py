"""A local HTTP server that plays an SMS gateway, scripted per request.

Each request takes the next mode from `script` (then `default`): "ok", an HTTP status
("400", "429", "503"...), "timeout" (answers after `slow` seconds), "hold" (takes the
message, then answers only when `release` is set) or "garbage" (200 with no JSON).
Like the gateways clinics use, it honours the Idempotency-Key: a second request with a key
it has taken gets the same id and is not sent to the phone again."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeGateway:
    def __init__(self, script=None, default="ok", slow=2.0):
        self.script = list(script or [])
        self.default = default
        self.slow = slow
        self.requests: list[dict] = []  # every request, with its key and time
        self.taken: dict[str, str] = {}  # key -> id: what went to a phone
        self.phone_deliveries: list[str] = []  # keys, once per message the phone got
        self.holding = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("Idempotency-Key", "")
                with gateway.lock:
                    mode = gateway.script.pop(0) if gateway.script else gateway.default
                    gateway.requests.append({"key": key, "body": json.loads(body), "at": time.monotonic(),
                                             "mode": mode, "auth": self.headers.get("Authorization")})
                if mode == "timeout":
                    time.sleep(gateway.slow)
                    mode = "ok"
                if mode.isdigit():
                    self.send_response(int(mode))
                    self.end_headers()
                    self.wfile.write(b'{"error": "scripted"}')
                    return
                with gateway.lock:
                    if key not in gateway.taken:
                        gateway.taken[key] = f"gw-{len(gateway.taken) + 1}"
                        gateway.phone_deliveries.append(key)
                    gid = gateway.taken[key]
                if mode == "hold":
                    gateway.holding.set()
                    gateway.release.wait(30)
                answer = b"not json" if mode == "garbage" else json.dumps({"id": gid}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender is gone

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def post_reply(url: str, number: str, text: str, reply_id: str, token: str = "tok") -> int:
    """What a gateway does when a patient answers: POST the inbound SMS to the clinic's
    reply URL (JSON with the sender's number, the text and the gateway's id of it)."""
    import urllib.error
    import urllib.request

    body = json.dumps({"msisdn": number.lstrip("+"), "message": text, "id": reply_id}).encode()
    request = urllib.request.Request(f"{url}?token={token}", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
