"""The `skranke` command as a user runs it: one clear line and exit code 2 on bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tui import __version__


def run(*args, env_extra=None, input_text=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          env=env, input=input_text, timeout=60)


def assert_one_clear_line(result):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("skranke: "), result.stderr


def test_version():
    result = run("--version")
    assert result.returncode == 0 and __version__ in result.stdout


def test_help_in_english_on_request():
    result = run("--lang", "en", "--help")
    assert result.returncode == 0
    assert "Database URL" in result.stdout and "demo" in result.stdout


@pytest.mark.parametrize("url", ["sqlite:////no/such/dir/x.db", "mysql://x/y", "sqlite://", "postgresql://h"])
def test_bad_database_urls(url):
    assert_one_clear_line(run("--db", url, "user", "list"))
    assert_one_clear_line(run("user", "list", env_extra={"SKRANKE_DB": url}))


def test_unwritable_directory(tmp_path, monkeypatch):
    # root may write anywhere, so the check itself is what is tested here
    from tui.db import DatabaseConfigError, make_database

    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(tmp_path) else real_access(p, mode))
    with pytest.raises(DatabaseConfigError, match="not writable"):
        make_database(f"sqlite:///{tmp_path}/x.db")


def test_corrupt_config_file(tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text("[database\nurl = ")
    assert_one_clear_line(run("user", "list", env_extra={"SKRANKE_CONFIG": str(bad)}))


def test_newer_database_is_refused_and_untouched(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert run("--db", url, "user", "list").returncode == 0
    import sqlite3

    conn = sqlite3.connect(tmp_path / "x.db")
    conn.execute("INSERT INTO schema_migration (name, applied) VALUES ('9999_future', '2031-01-01')")
    conn.commit()
    conn.close()
    before = (tmp_path / "x.db").read_bytes()
    result = run("--db", url, "user", "list")
    assert_one_clear_line(result)
    # in Danish (issue 24: the schema messages are translated), naming the step
    assert "nyere Skranke (skematrin 9999_future)" in result.stderr
    assert (tmp_path / "x.db").read_bytes() == before


def test_empty_database_tells_how_to_create_the_first_user(tmp_path):
    result = run("--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert_one_clear_line(result)
    assert "user add" in result.stderr



@pytest.mark.parametrize("where", ["url", "path", "default"])
@pytest.mark.parametrize("how", ["desk", "--db"])
def test_a_sqlite_desk_never_loads_the_postgresql_driver(tmp_path, where, how):
    """peewee imports psycopg2 eagerly (15-25 ms of every start); a SQLite desk blocks it
    before the first module that imports peewee (the audit module, read with the config),
    whichever way its database is named: a sqlite:/// URL, a plain path, or none (the
    default database, the most common desk, loaded the driver until 1 December)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")  # the default database's place
    db = {"url": f"sqlite:///{tmp_path / 'x.db'}", "path": str(tmp_path / "x.db"), "default": ""}[where]
    if how == "--db" and db:
        args = ["--db", db]
    else:
        args = ["--lang", "da"] if how == "--db" else []
        if db:
            env["SKRANKE_DB"] = db
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "tui", *args], capture_output=True,
                            text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
    imported = _imported(result.stderr)
    assert "peewee" in imported and "user add" in result.stderr
    assert "psycopg2._psycopg" not in imported  # the driver itself; the blocked attempts take µs



def _imported(stderr: str) -> list[str]:
    return [line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if "|" in line]


def test_the_desk_starts_without_click_and_refuses_as_the_commands_do(tmp_path):
    """`skranke` alone (the desk, many times a day) starts without click (tui/launch.py); its
    refusals are the same one clear line in the clinic's language. With an option it is click's."""
    url = f"sqlite:///{tmp_path / 'x.db'}"

    def desk(*args, env_extra=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
        env.update(env_extra or {})
        return subprocess.run([sys.executable, "-X", "importtime", "-m", "tui", *args], capture_output=True,
                              text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)

    def refusal(result) -> str:
        assert result.returncode == 2, result.stderr
        said = [line for line in result.stderr.splitlines() if "|" not in line and line.strip()]
        assert len(said) == 1 and said[0].startswith("skranke: "), result.stderr
        return said[0]

    empty = desk(env_extra={"SKRANKE_DB": url})
    assert "Ingen brugere endnu" in refusal(empty)  # Danish, the default
    assert "click" not in _imported(empty.stderr)
    assert refusal(desk("--db", url)) == refusal(empty)
    assert run("--db", url, "user", "add", "anne", "--name", "Anne", "--role", "secretary",
               "--password", "Hemmelig-123").returncode == 0
    no_terminal = desk(env_extra={"SKRANKE_DB": url})
    assert "ssh -t" in refusal(no_terminal) and "terminal" in refusal(no_terminal)
    assert "click" not in _imported(no_terminal.stderr)
    assert refusal(desk("--db", url)) == refusal(no_terminal)
    assert "click" in _imported(desk("--db", url).stderr)
    broken = tmp_path / "config.toml"
    broken.write_text("[database\nurl = ")
    assert "not valid TOML" in refusal(desk(env_extra={"SKRANKE_CONFIG": str(broken)}))


def test_user_administration(tmp_path):
    env = {"SKRANKE_DB": f"sqlite:///{tmp_path / 'x.db'}"}
    added = run("user", "add", "Mette", "--name", "Mette Mørk", "--role", "doctor",
                "--password", "Hemmelig-123", env_extra=env)
    assert added.returncode == 0, added.stderr
    weak = run("user", "add", "kim", "--name", "Kim", "--role", "nurse", "--password", "kort",
               env_extra=env)
    assert_one_clear_line(weak)
    listed = run("user", "list", env_extra=env)
    assert "mette" in listed.stdout and "Mette Mørk" in listed.stdout and "kim" not in listed.stdout
    assert run("user", "passwd", "mette", "--password", "Andet-kode-42", env_extra=env).returncode == 0
    assert run("user", "deactivate", "mette", env_extra=env).returncode == 0
    assert_one_clear_line(run("user", "deactivate", "nobody", env_extra=env))

    from tui.db import close, connect
    from tui.domain import auth

    connect(env["SKRANKE_DB"])
    try:
        with pytest.raises(auth.LoginError):
            auth.login("mette", "Andet-kode-42")  # deactivated
    finally:
        close()


IMPORT_PROBE = """
import json, sys
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
from tui import i18n
before = i18n.language()
import tui.cli  # noqa: F401
print(json.dumps({"before": before, "after": i18n.language(),
                  "opened": [p for p in opened if p.endswith("probe-config.toml")]}))
"""


@pytest.mark.parametrize("config_text, lang_env", [
    ('language = "en"\n', None),  # a config that would switch the language
    ("[database\nurl = ", None),  # a broken one: reading it at all is the fault
    ("", "en"),  # the environment's language
])
def test_importing_the_cli_reads_no_config_and_sets_no_language(tmp_path, config_text, lang_env):
    """`import tui.cli` (the app, tests and tools import it) only defines the commands:
    the language is chosen, and the config read, when `skranke` runs."""
    config = tmp_path / "probe-config.toml"
    config.write_text(config_text)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_")}
    env["SKRANKE_CONFIG"] = str(config)
    if lang_env:
        env["SKRANKE_LANG"] = lang_env
    result = subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True,
                            env=env, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["opened"] == []
    assert seen["after"] == seen["before"]


def test_help_follows_the_language_of_each_run():
    """Help texts are translated as the command runs, from the English originals: a run in
    Danish after one in English (one process, as in tests) is Danish, and back again."""
    from click.testing import CliRunner

    from tui.cli import main

    runner = CliRunner()
    english = runner.invoke(main, ["--lang", "en", "demo", "--help"])
    danish = runner.invoke(main, ["--lang", "da", "demo", "--help"])
    again = runner.invoke(main, ["--lang", "en", "demo", "--help"])
    assert "Build only; do not open the app." in english.output
    assert "Build only; do not open the app." not in danish.output
    assert again.output == english.output


def test_keys_typed_before_the_desk_has_the_terminal_wait_unechoed_and_go_if_it_does_not_start():
    """tui/launch.py typed_ahead_kept on a real pseudo-terminal: an Enter stays an Enter
    (the terminal's line mode made it a newline), nothing is echoed (a password typed ahead
    was shown), the terminal's own mode is back afterwards, and a desk that does not start
    leaves nothing for the shell (a password run as a command, kept in its history)."""
    import pty
    import select
    import termios

    from tui.launch import typed_ahead_kept

    def echoed(master: int) -> bytes:
        out = b""
        while select.select([master], [], [], 0.2)[0]:
            out += os.read(master, 1024)
        return out

    master, slave = pty.openpty()
    try:
        with os.fdopen(os.dup(slave), "r") as stream:
            before = termios.tcgetattr(slave)
            with typed_ahead_kept(stream):
                os.write(master, b"anne\rHemmelig-123\r")
                assert echoed(master) == b""
                assert os.read(slave, 100) == b"anne\rHemmelig-123\r"
            assert termios.tcgetattr(slave) == before
            with pytest.raises(RuntimeError), typed_ahead_kept(stream):
                os.write(master, b"anne\rHemmelig-123\r")
                select.select([slave], [], [], 1)
                raise RuntimeError("the database refused")
            assert termios.tcgetattr(slave) == before
            os.write(master, b"ls\r")  # what the shell reads next: only what comes after
            select.select([slave], [], [], 1)
            assert os.read(slave, 100) == b"ls\n"
    finally:
        os.close(master)
        os.close(slave)
