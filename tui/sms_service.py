"""The `skranke sms-send` process: the sender loop and the delivery-report server together."""
from __future__ import annotations

import logging
import signal
import threading

from tui.sms_gateway import GatewayConfig, JsonHttpGateway
from tui.sms_lock import SenderLock
from tui.sms_sender import Sender, SenderConfig, make_report_server

log = logging.getLogger("skranke.sms")


def build(sms_cfg) -> tuple[JsonHttpGateway, Sender]:
    if not sms_cfg.gateway.get("url"):
        raise ValueError("Set the gateway under [sms] url in the config file first.")
    gateway = JsonHttpGateway(GatewayConfig(**sms_cfg.gateway))
    sender_cfg = SenderConfig(**sms_cfg.sender)
    if sender_cfg.lease <= gateway.cfg.timeout:
        raise ValueError("[sms] lease must be longer than the gateway timeout")
    return gateway, Sender(gateway, sender_cfg)


def run(sms_cfg, *, once: bool = False) -> None:
    """SenderRunning when another sender has this database (tui.sms_lock)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    gateway, sender = build(sms_cfg)
    lock = SenderLock.acquire()
    try:
        _run(sms_cfg, gateway, sender, lock, once)
    finally:
        lock.release()


def _run(sms_cfg, gateway, sender: Sender, lock: SenderLock, once: bool) -> None:
    if once:
        sender.last_reminders = -sender.cfg.reminder_every
        sender.run_once()
        return
    sender.lock = lock
    server = None
    if sms_cfg.report_token:
        server = make_report_server(sms_cfg.report_bind, sms_cfg.report_port, sms_cfg.report_token, gateway)
        threading.Thread(target=server.serve_forever, name="sms-reports", daemon=True).start()
        log.info("delivery reports on %s:%d/sms/report", sms_cfg.report_bind, server.server_address[1])
    else:
        log.warning("no [sms] report_token: delivery reports are not taken")
    signal.signal(signal.SIGTERM, lambda *_: sender.stop())
    signal.signal(signal.SIGINT, lambda *_: sender.stop())
    log.info("sending")
    try:
        sender.serve_forever()
    finally:
        if server is not None:
            server.shutdown()
    if sender.lost_lock:
        raise RuntimeError("the sender lost its database lock (database restarted?); start it again")
