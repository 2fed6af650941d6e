"""What the tests share that is not a fixture (fixtures live in conftest.py): the test
clinic's constants and data, logging in as a person would, reading what the terminal shows,
reading a pseudo-terminal. Importable from every folder under tests/ (pyproject's pytest
`pythonpath`); test modules import from here, never from each other or from conftest."""
from __future__ import annotations

import datetime as dt
import os
import select
import time

PASSWORD = "Hemmelig-123"
# Thursday 26 November 2026, 10:00 in Copenhagen: the moment every test lives in.
NOW = dt.datetime(2026, 11, 26, 10, 0)

# Set SKRANKE_TEST_PG=postgresql://user@host:port/dbname to run the suite on PostgreSQL:
# each test then gets a fresh database copied from a migrated template.
PG_URL = os.environ.get("SKRANKE_TEST_PG", "")


def pg_admin():
    """An autocommit connection to the PostgreSQL server of SKRANKE_TEST_PG."""
    import psycopg2

    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    return conn


MON_TO_FRI = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"


def setup_clinic(staff, *, nurse_pattern: str = MON_TO_FRI) -> dict:
    """Lars (doctor) and Sofie (nurse) work Monday to Friday 8-16; three types; two patients."""
    from tui.models import AppointmentType, Patient, WorkPattern

    WorkPattern.create(staff=staff["doctor"], rrule=MON_TO_FRI, start_time=dt.time(8, 0),
                       end_time=dt.time(16, 0), valid_from=dt.date(2026, 1, 1))
    WorkPattern.create(staff=staff["nurse"], rrule=nurse_pattern, start_time=dt.time(8, 0),
                       end_time=dt.time(16, 0), valid_from=dt.date(2026, 1, 1))
    types = {
        "K15": AppointmentType.create(code="K15", name="Konsultation", minutes=15, colour="blue",
                                      roles="doctor"),
        "K30": AppointmentType.create(code="K30", name="Lang konsultation", minutes=30, colour="green",
                                      roles="doctor"),
        "BLOD": AppointmentType.create(code="BLOD", name="Blodprøve", minutes=10, colour="red",
                                       roles="nurse,doctor"),
        "EKG": AppointmentType.create(code="EKG", name="EKG", minutes=20, colour="magenta",
                                      roles="nurse"),
    }
    patients = {
        "jens": Patient.create(cpr="0707614285", first_name="Jens", last_name="Hansen",
                               birth_date=dt.date(1961, 7, 7), sex="M"),
        "mark": Patient.create(cpr="0201919990", first_name="[bold]Mette[/]", last_name="Jensen",
                               birth_date=dt.date(1991, 1, 2), sex="F"),
    }
    return {"types": types, "patients": patients, **staff}


# The clinic of the letter tests (conftest's `clinic` fixture stores it), with æ, ø and å.
CLINIC = {"name": "Lægehuset Ærøskøbing", "address": "Østergade 1", "postcode": "5970",
          "city": "Ærøskøbing", "phone": "62 52 00 00", "sor": "999000000100",
          "ean": "5790999000109", "letterhead": ""}


async def login(pilot, username: str = "anne", password: str = PASSWORD) -> None:
    """Type a user name and password into the login screen, as a person would."""
    await pilot.pause()
    await pilot.press(*list(username), "enter")
    await pilot.press(*list(password), "enter")
    await logged_in(pilot)


async def logged_in(pilot) -> None:
    """Wait for the answer to a password (it is hashed in a worker)."""
    from tui.screens.login import LoginForm

    await pilot.pause()
    # the keys first (the input gate may still hold the Enter that starts the check)
    await until(pilot, lambda: keys_done(pilot.app))
    await until(pilot, lambda: not any(form.checking for form in pilot.app.screen.query(LoginForm)))
    await pilot.pause()


def screen_text(app) -> str:
    """The text the terminal shows right now (every row of the current screen)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def keys_done(app) -> bool:
    """Every key the test pressed has been let through the input gate (tui.keygate): pilot.press
    returns when the keys are queued there, which on a loaded machine is before they land."""
    return not getattr(app, "_gate_keys", None) and getattr(app, "_gate_task", None) is None


def tables_measured(app) -> bool:
    """Every table of the screen has measured the rows it was given: a DataTable widens its
    columns to new rows only when its own queue runs empty, so a frame taken straight after
    a worker filled it can still show its columns at the width of their headers."""
    from textual.widgets import DataTable
    return not any(table._require_update_dimensions or table._updated_cells
                   for table in app.screen.query(DataTable))


async def settle(pilot) -> None:
    """Wait until the keys pressed have landed (pilot.press returns once they are queued at
    the input gate, tui.keygate), the workers they started are done, and the tables they
    filled are measured."""
    await until(pilot, lambda: keys_done(pilot.app))
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await until(pilot, lambda: tables_measured(pilot.app))
    await pilot.pause()


async def until(pilot, check, timeout: float = 10.0) -> None:
    """Wait until check() holds: a one-second timer may run late on a loaded CI machine."""
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"still not true after {timeout} s: {check}")
        await pilot.pause(0.05)


class Beat:
    """A 50 ms timer on the app: the longest gap between its beats is how long the desk
    was deaf to keys (work done on the event loop, a render, shows as a gap that long)."""

    def __init__(self, app) -> None:
        self.last = time.monotonic()
        self.longest = 0.0
        self.timer = app.set_interval(0.05, self.beat)

    def beat(self) -> None:
        now = time.monotonic()
        self.longest = max(self.longest, now - self.last)
        self.last = now


KEY_NAMES = {"enter", "tab", "backspace", "escape", "space", "up", "down", "left", "right",
             "home", "end", "pageup", "pagedown", "delete", "insert"}


def post_keys(app, *keys: str, gap: float = 0.0) -> None:
    """Post every key to the app at once, without waiting between them (Textual issue 6605):
    what a burst over SSH, a paste or a card scanner does. Text is split into characters.
    With `gap` the keys carry the times of keys typed that many seconds apart (a person
    typing while the app was busy: they arrive together, but were not a card scan)."""
    from textual import events
    from textual._time import get_time
    from textual.keys import _character_to_key

    stamp = get_time() - 60

    names = {"enter": "\r", "tab": "\t", "backspace": "\x7f", "escape": "\x1b", "space": " "}
    for item in keys:
        named = item in KEY_NAMES or "+" in item or (item[0] == "f" and item[1:].isdigit())
        chars = [item] if named else list(item)
        for key in chars:
            if len(key) == 1:
                event = events.Key(_character_to_key(key) if not key.isalnum() else key, key)
            else:
                event = events.Key(key, names.get(key))
            if gap:
                stamp += gap
                event.time = stamp
            event.set_sender(app)
            app.post_message(event)


def screen_classes():
    """(name, class) of every Screen and Widget defined in tui.screens and tui.widgets."""
    import importlib
    import inspect
    import pkgutil

    from textual.screen import Screen
    from textual.widget import Widget

    import tui.screens
    import tui.widgets

    for package in (tui.screens, tui.widgets):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for name, cls in vars(module).items():
                if (inspect.isclass(cls) and cls.__module__ == module.__name__
                        and issubclass(cls, (Screen, Widget))):
                    yield name, cls


def read_until(fd, needle: bytes, timeout: float) -> bytes:
    """Read a pseudo-terminal until `needle` has come (else fail with its last output)."""
    seen = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            seen += chunk
            if needle in seen:
                return seen
    raise AssertionError(f"{needle!r} not seen; got {seen[-400:]!r}")


def seconds_to_exit(proc, fd, started: float, limit: float = 5.0) -> float | None:
    """Seconds from `started` until `proc` has ended (None if still running after `limit`),
    reading its pseudo-terminal meanwhile. Waits on a pidfd, so the figure is the exit's own
    moment, not the next turn of a polling loop (which added up to a tenth of a second)."""
    pidfd = os.pidfd_open(proc.pid)
    try:
        watched = [pidfd] if fd is None else [pidfd, fd]
        while True:
            remaining = started + limit - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select(watched, [], [], remaining)
            if pidfd in ready:
                elapsed = time.monotonic() - started
                proc.wait()
                return elapsed
            if fd in ready:
                try:
                    os.read(fd, 65536)
                except OSError:
                    watched = [pidfd]  # the pty's other side is gone with the process
    finally:
        os.close(pidfd)


def drain(fd, seconds: float) -> None:
    """Read and drop a pseudo-terminal's output for `seconds` (so the app never blocks on it)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                return


def statements_sent(caplog, call) -> tuple[object, list[str]]:
    """What `call` returned, and the SQL statements it sent, in order (each a round trip on
    PostgreSQL)."""
    import logging

    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        result = call()
    return result, [str(r.msg[0]) for r in caplog.records if isinstance(r.msg, tuple)]
