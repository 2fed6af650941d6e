"""Every database error is handled like "busy" (issue 16): a full disk, a read-only database,
the file deleted or replaced under the running app. What she typed is kept, a dialog says
what happened, nothing claims "saved" unless it was; a real bug ends the app with a report
without local variables, in a private file, and a non-zero exit."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest
from helpers import keys_done, login, screen_text, until

from tui.domain import audit, drafts, patients
from tui.models import AuditEvent, JournalEntry

pytestmark = pytest.mark.sqlite_only

NOTE = "Ringer om svar paa blodproever"


def _problem_screen(app):
    from tui.screens.db_problem import DatabaseProblemScreen

    return app.screen if isinstance(app.screen, DatabaseProblemScreen) else None


async def _note_open(app, pilot, staff):
    from tui.screens.record import JournalNoteScreen

    patient = patients.register(staff["secretary"], cpr="0707614285", first_name="Jens",
                                last_name="Hansen")
    await login(pilot)
    app.push_screen(JournalNoteScreen(patient))
    await pilot.pause()
    await pilot.press(*NOTE)
    await pilot.pause()
    return patient


def _local_draft_text() -> str:
    files = list(drafts.local_dir().glob("*.json"))
    assert len(files) == 1, files
    assert files[0].stat().st_mode & 0o777 == 0o600
    return json.loads(files[0].read_text())["data"]["text"]


async def test_read_only_database_at_login_is_explained_not_a_traceback(make_app, database):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        database.execute_sql("PRAGMA query_only = 1")  # every write refused: "readonly database"
        pragmas = database._pragmas
        database._pragmas = [*pragmas, ("query_only", 1)]  # the login worker's connection too
        database.close_idle()  # (a new one: the pool's idle connections were opened before)
        await login(pilot)
        await until(pilot, lambda: _problem_screen(app) is not None)
        assert _problem_screen(app).kind == "readonly"
        text = screen_text(app)
        assert "skrives" in text and "Traceback" not in text and "Hemmelig" not in text
        assert app.is_running and app.user is None
        database.execute_sql("PRAGMA query_only = 0")
        database._pragmas = pragmas
        database.close_idle()
        await pilot.press("enter")  # it works again: the dialog goes, she logs in again
        await until(pilot, lambda: _problem_screen(app) is None)
        await pilot.press(*"Hemmelig-123", "enter")  # her name is still there; the password not
        await until(pilot, lambda: app.user is not None)


async def test_the_draft_saver_on_a_refusing_database_keeps_the_note_locally(make_app, database,
                                                                            staff):
    from textual.widgets import TextArea

    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        patient = await _note_open(app, pilot, staff)
        note = app.screen
        # on a loaded machine the saver may have kept the whole note before the database
        # refuses: one more key after the refusal leaves it something to save
        await until(pilot, lambda: keys_done(app) and note.query_one(TextArea).text == NOTE)
        database.execute_sql("PRAGMA query_only = 1")
        await pilot.press("full_stop")
        await until(pilot, lambda: _problem_screen(app) is not None)  # the 1-second saver
        assert app.is_running and _local_draft_text() == NOTE + "."
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is note and note.query_one(TextArea).text == NOTE + "."
        await pilot.press("ctrl+s")  # saving fails too: said, and nothing claims "saved"
        await until(pilot, lambda: _problem_screen(app) is not None)
        assert "Gemt i journalen" not in screen_text(app)
        database.execute_sql("PRAGMA query_only = 0")
        await pilot.press("enter")
        await until(pilot, lambda: _problem_screen(app) is None)
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert [e.text for e in JournalEntry.select().where(JournalEntry.patient == patient)] == [NOTE + "."]
    assert list(drafts.local_dir().glob("*.json")) == []
    assert audit.verify().intact


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_the_database_file_deleted_or_replaced_under_the_desk(make_app, database, staff,
                                                                    db_url, tmp_path, how):
    path = db_url[len("sqlite:///"):]
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _note_open(app, pilot, staff)
        if how == "deleted":
            for end in ("", "-wal", "-shm"):
                if os.path.exists(path + end):
                    os.unlink(path + end)
        else:
            shutil.copyfile(path, tmp_path / "other.db")
            os.replace(tmp_path / "other.db", path)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: _problem_screen(app) is not None)
        assert _problem_screen(app).kind == "file_changed"
        text = screen_text(app)
        assert "Gemt i journalen" not in text and "slettet eller udskiftet" in text
        assert _local_draft_text() == NOTE
        await pilot.press("enter")  # nothing more can be saved: Skranke ends
        await pilot.pause()
    assert app.return_code == 3
    assert not (how == "deleted" and os.path.exists(path)), "no fresh empty file was made"


async def test_a_bug_ends_the_app_with_a_private_report_without_locals(make_app, staff):
    from textual.binding import Binding
    from textual.widgets import Static

    from tui import crash
    from tui.screens.base import SkrankeModal

    class Dialog(SkrankeModal):
        BINDINGS = [Binding("ctrl+s", "save", "Save")]

        def compose(self):
            yield Static("dialog")

        def action_save(self):
            password = "Topsecret-" + uuid.uuid4().hex  # noqa: F841  (a local the report must not show)
            raise RuntimeError("a bug")

    app = make_app()
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await login(pilot)
            app.push_screen(Dialog())
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
    assert app.return_code == crash.EXIT_CODE
    reports = list(crash.report_dir().iterdir())
    assert len(reports) == 1 and reports[0].stat().st_mode & 0o777 == 0o600
    text = reports[0].read_text()
    assert "RuntimeError: a bug" in text and "Topsecret-" not in text.split("password =")[-1][:40]
    assert "action_save" in text
    last = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert (last.action, last.detail) == ("session_ended", "crash")


def test_an_error_outside_the_app_writes_a_report_and_exits_non_zero(tmp_path):
    script = ("from tui import crash\ncrash.install()\n"
              "def login(password):\n    raise ValueError('boom')\nlogin('Hemmelig-123')\n")
    env = dict(os.environ, SKRANKE_CRASH_DIR=str(tmp_path / "crash"))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode != 0
    assert "Hemmelig" not in result.stderr and "Traceback" not in result.stderr
    [report] = list((tmp_path / "crash").iterdir())
    assert str(report) in result.stderr
    assert "ValueError: boom" in report.read_text() and "Hemmelig" not in report.read_text()


@pytest.fixture
def tiny_disk(tmp_path):
    """A 3 MB tmpfs (CI runs as root)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    from tui.db import close

    close()
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(path):
    with open(path, "wb") as fh:  # to the last block
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass


async def test_a_full_disk_keeps_the_note_and_says_so(tiny_disk, tmp_path):
    from textual.widgets import TextArea

    from tui.app import SkrankeApp
    from tui.config import Config
    from tui.db import connect
    from tui.domain import auth
    from tui.screens.record import JournalNoteScreen

    database = connect(f"sqlite:///{tiny_disk / 'skranke.db'}")
    anne = auth.create_user("anne", "Anne", "secretary", "Hemmelig-123")
    patient = patients.register(anne, cpr="0707614285", first_name="Jens", last_name="Hansen")
    filler = tiny_disk / "filler"
    app = SkrankeApp(Config())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        app.push_screen(JournalNoteScreen(patient))
        await pilot.pause()
        await pilot.press(*NOTE)
        await pilot.pause()
        # every write from now on must grow the log into a disk with no room
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        _fill(filler)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: _problem_screen(app) is not None)
        assert _problem_screen(app).kind in ("full", "io") and app.is_running
        assert "Gemt i journalen" not in screen_text(app)
        filler.unlink()  # room again
        await pilot.press("enter")
        await until(pilot, lambda: _problem_screen(app) is None)
        assert app.screen.query_one(TextArea).text == NOTE
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert [e.text for e in JournalEntry.select().where(JournalEntry.patient == patient)] == [NOTE]
    assert audit.verify().intact


def test_every_kind_of_database_error_is_named(database, db_url, tmp_path):
    """Real errors from SQLite, and PostgreSQL's words for the same troubles."""
    from peewee import OperationalError, ProgrammingError

    from tui.domain import health

    def kind_of(run):
        try:
            run()
        except Exception as exc:  # noqa: BLE001
            return health.problem(exc)
        return "no error"

    database.execute_sql("PRAGMA query_only = 1")
    assert kind_of(lambda: database.execute_sql("INSERT INTO setting VALUES ('a', 'b')")) == "readonly"
    database.execute_sql("PRAGMA query_only = 0")
    assert kind_of(lambda: database.execute_sql("SELECT * FROM gone_table")) == "missing_table"
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    database.execute_sql(f"PRAGMA max_page_count = {pages}")
    big = "x" * 200_000
    assert kind_of(lambda: database.execute_sql("INSERT INTO setting VALUES ('big', ?)", (big,))) == "full"
    path = db_url[len("sqlite:///"):]
    os.replace(shutil.copyfile(path, tmp_path / "copy.db"), path)
    assert kind_of(lambda: database.execute_sql("SELECT 1")) == "file_changed"
    for text, kind in [
        ("could not extend file \"base/16384/16390\": No space left on device", "full"),
        ("cannot execute INSERT in a read-only transaction", "readonly"),
        ('relation "journal_entry" does not exist', "missing_table"),
        ("server closed the connection unexpectedly", "gone"),
        ("disk I/O error", "io"),
    ]:
        assert health.problem(OperationalError(text)) == kind, text
    assert health.problem(ProgrammingError('relation "x" does not exist')) == "missing_table"
    assert health.problem(ValueError("a bug")) is None
