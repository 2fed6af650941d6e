"""Incoming calls reach the screens as an app-level message from a thread.

The phone listener (tui.phone_listener, often another process) writes calls into the
database. `CallWatcher` reads the active calls in its own thread, with its own connection,
and posts `CallsChanged` to the app: when they change, and every half second while any is
active (so the banner follows her from screen to screen). A quiet desk gets no messages,
and the UI thread never waits for the database to learn about a call.
"""
from __future__ import annotations

import threading
from typing import Any

from textual.message import Message

from tui.db import database_proxy
from tui.domain import calls

INTERVAL = 0.5


class CallsChanged(Message):
    """The calls ringing or being talked on now (tui.domain.calls.active_calls)."""

    def __init__(self, rows: list[calls.CallRow]) -> None:
        super().__init__()
        self.rows = rows


class CallWatcher:
    def __init__(self, app: Any, interval: float = INTERVAL) -> None:
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="call-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        last: list[calls.CallRow] | None = None
        try:
            while not self._stop.wait(self.interval):
                try:
                    self._connected()
                    rows = calls.active_calls()
                except Exception:  # busy, or between two databases: the next tick tries again
                    self._disconnect()
                    continue
                if rows != last or rows:
                    last = rows
                    if self._stop.is_set():
                        return
                    self.app.post_message(CallsChanged(rows))
        finally:
            self._disconnect()

    # The connection stays open between ticks: opening one twice a second (a SQLite
    # connection sets its pragmas each time) cost three times the look-up itself.
    _database: Any = None

    def _connected(self) -> None:
        database = database_proxy.obj
        if database is not self._database:  # another database bound meanwhile (a test, a restore)
            self._disconnect()
            self._database = database
        if database.is_closed():
            database.connect()

    def _disconnect(self) -> None:
        if self._database is not None:
            try:
                self._database.close()
            except Exception:  # already gone with its server or file
                pass
            self._database = None
