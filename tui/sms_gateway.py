"""SMS gateway adapters: the interface the sender talks to, and a generic JSON-over-HTTPS one.

The Danish gateways clinics use (CPSMS, GatewayAPI, InMobile, Link Mobility...) all take
a JSON POST with a number, a text and a reference of ours, answer with their message id,
and call a URL back with delivery reports. `JsonHttpGateway` is configured for any of them
in the [sms] section of the config file:

    url = "https://gatewayapi.com/rest/mtsms"
    auth_header = "Authorization: Token abc..."
    body = '{"sender": "{sender}", "message": "{text}", "recipients": [{"msisdn": "{number}"}], "userref": "{key}"}'
    id_field = "ids.0"              # where the gateway's message id is in its answer
    report_id_field = "id"          # in a delivery report: the gateway's id...
    report_key_field = "userref"    # ...and/or our key
    report_status_field = "status"
    delivered = ["DELIVERED"]
    failed = ["UNDELIVERABLE", "EXPIRED", "REJECTED"]

Replies (an answer "JA"/"NEJ" to a waiting-list offer) arrive the same way: the gateway
POSTs each inbound SMS as JSON to /sms/reply; `reply_number_field`, `reply_text_field`
and `reply_id_field` say where the sender's number, the text and the gateway's id of the
reply are (`msisdn`, `message`, `id` by default).

The body template is parsed as JSON first and the placeholders are filled into its string
values, so a quote or brace in a message cannot break the request. `{number}` is E.164
("+4512345678"), `{msisdn}` the same without "+". The key also travels as the
Idempotency-Key header: a gateway that honours either drops a second copy of a message.
"""
from __future__ import annotations

import abc
import json
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_ANSWER = 64 * 1024


@dataclass
class SendResult:
    ok: bool
    gateway_id: str = ""
    retry: bool = False  # a temporary fault: try again later
    down: bool = False  # the gateway could not be reached or is failing (5xx, timeout)
    error: str = ""


@dataclass
class Report:
    status: str  # "sent", "delivered" or "failed"
    gateway_id: str = ""
    key: str = ""


@dataclass
class Reply:
    number: str  # the patient's number as the gateway gives it
    text: str
    gateway_id: str = ""  # the gateway's id of the inbound SMS: a second delivery is the same reply


class Gateway(abc.ABC):
    """What the sender needs of a gateway; an adapter missing any of these cannot be made."""

    @abc.abstractmethod
    def send(self, number: str, text: str, key: str) -> SendResult: ...

    @abc.abstractmethod
    def parse_reports(self, body: bytes) -> list[Report]: ...

    @abc.abstractmethod
    def parse_replies(self, body: bytes) -> list[Reply]:
        """The inbound SMS in a callback body; ValueError when it is not one."""


@dataclass
class GatewayConfig:
    url: str = ""
    auth_header: str = ""
    body: str = '{"to": "{number}", "text": "{text}", "from": "{sender}", "reference": "{key}"}'
    sender: str = ""
    id_field: str = "id"
    timeout: float = 10.0
    report_id_field: str = "id"
    report_key_field: str = "reference"
    report_status_field: str = "status"
    delivered: list[str] = field(default_factory=lambda: ["delivered", "DELIVRD", "DELIVERED"])
    failed: list[str] = field(default_factory=lambda: ["failed", "undelivered", "UNDELIV", "REJECTD",
                                                       "EXPIRED", "UNDELIVERABLE", "REJECTED"])
    sent: list[str] = field(default_factory=lambda: ["sent", "accepted", "buffered", "ENROUTE"])
    reply_number_field: str = "msisdn"
    reply_text_field: str = "message"
    reply_id_field: str = "id"


def check_url(url: str) -> None:
    """HTTPS, except to this machine (a local test gateway or a relay on the host)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return
    raise ValueError(f"The SMS gateway URL must be https:// (got {url!r})")


def _fill(value, values: dict[str, str]):
    if isinstance(value, str):
        out = value
        for name, text in values.items():
            out = out.replace("{" + name + "}", text)
        return out
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def dig(data, path: str):
    """`a.b.0.c` in nested JSON; None when it is not there."""
    for part in path.split(".") if path else ():
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


class JsonHttpGateway(Gateway):
    def __init__(self, cfg: GatewayConfig):
        check_url(cfg.url)
        self.cfg = cfg
        self.template = json.loads(cfg.body)  # a bad template fails at start, not per message
        self.header = None
        if cfg.auth_header:
            name, sep, value = cfg.auth_header.partition(":")
            if not sep or not name.strip():
                raise ValueError("auth_header must look like 'Name: value'")
            self.header = (name.strip(), value.strip())
        self.context = ssl.create_default_context()

    def body_for(self, number: str, text: str, key: str) -> bytes:
        values = {"number": number, "msisdn": number.lstrip("+"), "text": text, "key": key,
                  "sender": self.cfg.sender}
        return json.dumps(_fill(self.template, values), ensure_ascii=False).encode("utf-8")

    def send(self, number: str, text: str, key: str) -> SendResult:
        request = urllib.request.Request(self.cfg.url, data=self.body_for(number, text, key), method="POST")
        request.add_header("Content-Type", "application/json; charset=utf-8")
        request.add_header("Idempotency-Key", key)
        if self.header:
            request.add_header(*self.header)
        try:
            with urllib.request.urlopen(request, timeout=self.cfg.timeout, context=self.context) as answer:
                raw = answer.read(MAX_ANSWER)
        except urllib.error.HTTPError as exc:
            code = exc.code
            if code in (408, 429) or code >= 500:
                return SendResult(False, retry=True, down=code >= 500, error=f"HTTP {code}")
            return SendResult(False, error=f"HTTP {code}: {_short(exc.read(500))}")
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return SendResult(False, retry=True, down=True, error=f"{type(reason).__name__}: {reason}"[:200])
        try:
            data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError):
            data = {}
        gid = dig(data, self.cfg.id_field)
        return SendResult(True, gateway_id="" if gid is None else str(gid)[:100])

    def parse_reports(self, body: bytes) -> list[Report]:
        """One report or a list of them; ValueError for anything else."""
        data = json.loads(body.decode("utf-8"))
        items = data if isinstance(data, list) else [data]
        out = []
        for item in items[:1000]:
            if not isinstance(item, dict):
                raise ValueError("a report must be a JSON object")
            raw = dig(item, self.cfg.report_status_field)
            status = self._status(str(raw) if raw is not None else "")
            if status is None:
                continue  # an intermediate state we do not track
            gid = dig(item, self.cfg.report_id_field) if self.cfg.report_id_field else None
            key = dig(item, self.cfg.report_key_field) if self.cfg.report_key_field else None
            if gid is None and key is None:
                raise ValueError("a report without an id")
            out.append(Report(status, "" if gid is None else str(gid)[:100], "" if key is None else str(key)[:64]))
        return out

    def parse_replies(self, body: bytes) -> list[Reply]:
        """One inbound SMS or a list of them; ValueError for anything else."""
        data = json.loads(body.decode("utf-8"))
        items = data if isinstance(data, list) else [data]
        out = []
        for item in items[:1000]:
            if not isinstance(item, dict):
                raise ValueError("a reply must be a JSON object")
            number, text = dig(item, self.cfg.reply_number_field), dig(item, self.cfg.reply_text_field)
            if number is None or text is None or isinstance(text, (dict, list)):
                raise ValueError("a reply without a number or a text")
            number = str(number).strip()[:20]
            if number.isdigit() and len(number) > 8:  # "4520304050": an msisdn without its "+"
                number = "+" + number
            gid = dig(item, self.cfg.reply_id_field) if self.cfg.reply_id_field else None
            out.append(Reply(number, str(text)[:1600], "" if gid is None else str(gid)[:100]))
        return out

    def _status(self, raw: str) -> str | None:
        low = raw.lower()
        for status, names in (("delivered", self.cfg.delivered), ("failed", self.cfg.failed),
                              ("sent", self.cfg.sent)):
            if low in (n.lower() for n in names):
                return status
        return None


def _short(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").replace("\n", " ")[:150]
