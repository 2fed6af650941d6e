"""A desk over SSH: a real sshd on 127.0.0.1 whose ForceCommand gives Skranke and nothing else.

The client logs in with a key inside tmux; the secretary logs in to Skranke with her own
user, books in F3, finds the patient in F4, writes a journal note, locks and unlocks; then
the thin client dies (kill -9 of ssh). The typed text must be in the draft and the
server-side Skranke must be gone a moment later.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tmux_session import Tmux, need_tmux

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]

SSHD = "/usr/sbin/sshd"
DEMO_PASSWORD = "demo1234"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in state  # a zombie has exited


def readme_match_block() -> str:
    """The sshd `Match` block of the README's deployment section, as documented."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    found = re.search(r"^```\n(Match User skranke\n.*?)^```", readme, re.S | re.M)
    assert found, "README has no sshd Match block for the skranke account"
    return found.group(1)


def sshd_config(tmp: Path, port: int, session_script: Path, guard: bool = True) -> str:
    """A private sshd for the test, with the README's Match block for the desk account
    (the account is root here, because the test's sshd runs as root). Without `guard` the
    forced command is Skranke alone (its own refusal is then what is tested)."""
    block = readme_match_block().replace("Match User skranke", "Match User root")
    if guard:
        block = block.replace("/usr/local/bin/skranke", str(session_script))
    else:
        block = re.sub(r"ForceCommand .*", f"ForceCommand {session_script}", block)
    return f"""\
Port {port}
ListenAddress 127.0.0.1
HostKey {tmp / 'host_ed25519'}
PidFile {tmp / 'sshd.pid'}
AuthorizedKeysFile {tmp / 'authorized_keys'}
UsePAM no
StrictModes no
PubkeyAuthentication yes

{block}"""


@pytest.fixture
def sshd(tmp_path, request):
    guard = getattr(request, "param", True)
    if os.geteuid() != 0:
        pytest.skip("sshd must run as root (CI runs as root)")
    if not os.access(SSHD, os.X_OK) or shutil.which("ssh") is None:
        pytest.skip("openssh-server is not installed (.ci/run installs it)")
    need_tmux()
    db_file = tmp_path / "clinic.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env.update(SKRANKE_DB=f"sqlite:///{db_file}", SKRANKE_CONFIG=os.devnull)
    subprocess.run([sys.executable, "-m", "tui", "demo", "--no-open", "--patients", "300"],
                   env=env, check=True, capture_output=True, timeout=120)
    config = tmp_path / "config.toml"
    config.write_text(f'database = {{ url = "sqlite:///{db_file}" }}\nlanguage = "en"\n'
                      f'[audit]\nkey_file = "{os.environ["SKRANKE_AUDIT_KEY"]}"\n'
                      f'anchor_file = "{os.environ["SKRANKE_AUDIT_ANCHORS"]}"\n')
    session = tmp_path / "skranke-session"
    session.write_text(
        "#!/bin/sh\n"
        f"export SKRANKE_CONFIG={config} LANG=C.UTF-8\n"
        f"echo $$ > {tmp_path / 'skranke.pid'}\n"
        f"exec {sys.executable} -m tui\n")
    session.chmod(0o755)
    for key in ("host_ed25519", "client_ed25519"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / key)],
                       check=True)
    shutil.copy(tmp_path / "client_ed25519.pub", tmp_path / "authorized_keys")
    port = _free_port()
    (tmp_path / "sshd_config").write_text(sshd_config(tmp_path, port, session, guard))
    os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation directory
    log = tmp_path / "sshd.log"
    proc = subprocess.Popen([SSHD, "-D", "-f", str(tmp_path / "sshd_config"), "-E", str(log)])
    try:
        end = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > end:
                    raise AssertionError(f"sshd did not start: {log.read_text()}") from None
                time.sleep(0.1)
        yield {"port": port, "db": db_file, "key": tmp_path / "client_ed25519",
               "pidfile": tmp_path / "skranke.pid", "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
        pid_text = (tmp_path / "skranke.pid").read_text().strip() if (tmp_path / "skranke.pid").exists() else ""
        if pid_text and _alive(int(pid_text)):
            os.kill(int(pid_text), 9)


@pytest.fixture
def tmux():
    need_tmux()
    t = Tmux("h10-ssh")
    yield t
    t.kill()


def test_a_desk_over_ssh_loses_no_typing_when_the_client_dies(sshd, tmux):
    con = sqlite3.connect(sshd["db"])
    patient_id, cpr, first, last = con.execute(
        "SELECT id, cpr, first_name, last_name FROM patient ORDER BY id LIMIT 1").fetchone()
    booked_before = con.execute("SELECT count(*) FROM appointment WHERE patient_id = ?",
                                (patient_id,)).fetchone()[0]
    con.close()

    ssh = (f"exec env -i PATH=/usr/bin:/bin HOME={os.environ.get('HOME', '/root')} "
           f"TERM=xterm-256color LANG=C.UTF-8 "
           f"ssh -tt -i {sshd['key']} -p {sshd['port']} -o StrictHostKeyChecking=no "
           f"-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes root@127.0.0.1")
    desk = "h10-ssh-desk"
    tmux.new(desk, ssh)
    client_pid = tmux.pane_pid(desk)

    # The forced command gives Skranke's login, nothing else.
    tmux.wait_for(desk, "Log in to Skranke", timeout=30)
    server_pid = int(sshd["pidfile"].read_text())
    assert _alive(server_pid)
    tmux.type(desk, "anne")
    tmux.send(desk, "Enter")
    tmux.type(desk, DEMO_PASSWORD)
    tmux.send(desk, "Enter")
    tmux.wait_for(desk, "Welcome")

    # F3: book the first free K15 for the patient.
    tmux.send(desk, "F3")
    tmux.wait_for(desk, "Prev day")
    tmux.send(desk, "f")
    tmux.wait_for(desk, "Book for which patient?")
    tmux.type(desk, cpr)
    tmux.wait_for(desk, "1 found")
    tmux.send(desk, "Enter")
    tmux.wait_for(desk, "Book appointment", first)
    tmux.type(desk, "K15")
    tmux.send(desk, "Enter")
    tmux.wait_re(desk, r"\d\d\.\d\d  \d\d\.\d\d-\d\d\.\d\d")
    tmux.send(desk, "Enter")
    tmux.wait_for(desk, "Booked")

    # F4: find the patient, open the record, start a journal note.
    tmux.send(desk, "F4")
    tmux.wait_for(desk, "Find patient")
    tmux.type(desk, cpr)
    tmux.wait_for(desk, "1 found")
    tmux.send(desk, "Enter")
    tmux.wait_for(desk, "New entry")
    tmux.send(desk, "n")
    tmux.wait_for(desk, "New journal entry")
    tmux.type(desk, "Ringer om svar paa blodproever.")
    tmux.wait_for(desk, "blodproever.")

    # Lock (the draft is saved), unlock, and go on typing.
    tmux.send(desk, "C-l")
    tmux.wait_for(desk, "Locked")
    assert "blodproever" not in tmux.capture(desk)
    tmux.type(desk, "anne")  # the lock asks who comes back (issue 15's hand-over)
    tmux.send(desk, "Enter")
    tmux.type(desk, DEMO_PASSWORD)
    tmux.send(desk, "Enter")
    tmux.wait_for(desk, "New journal entry", "blodproever.")
    tmux.type(desk, " Svar normale")
    tmux.wait_for(desk, "Svar normale")

    # The thin client dies mid-draft.
    os.kill(client_pid, 9)
    end = time.monotonic() + 8
    while _alive(server_pid) and time.monotonic() < end:
        time.sleep(0.1)
    assert not _alive(server_pid), "the server-side Skranke still runs after the client died"

    con = sqlite3.connect(sshd["db"])
    user_id = con.execute("SELECT id FROM staff WHERE username = 'anne'").fetchone()[0]
    drafts = [json.loads(row[0]) for row in con.execute(
        "SELECT data FROM draft WHERE owner_id = ? AND kind = 'journal'", (user_id,))]
    assert [d["text"] for d in drafts] == ["Ringer om svar paa blodproever. Svar normale"]
    assert con.execute("SELECT count(*) FROM appointment WHERE patient_id = ?",
                       (patient_id,)).fetchone()[0] == booked_before + 1
    newest = con.execute("SELECT booked_by_id, status FROM appointment WHERE patient_id = ? "
                         "ORDER BY id DESC LIMIT 1", (patient_id,)).fetchone()
    assert newest == (user_id, "booked")
    # The audit trail names the SSH client as the terminal, and the session's end.
    rows = con.execute("SELECT action, terminal FROM audit_event WHERE user_id = ? "
                       "AND action IN ('login', 'lock', 'unlock', 'session_ended') ORDER BY id",
                       (user_id,)).fetchall()
    con.close()
    ours = [r for r in rows if r[1] == "ssh:127.0.0.1"]
    assert [a for a, _t in ours] == ["login", "lock", "login", "unlock", "session_ended"]


def test_the_readme_match_block_is_valid_sshd_config(tmp_path):
    if not os.access(SSHD, os.X_OK):
        pytest.skip("openssh-server is not installed (.ci/run installs it)")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "hk")], check=True)
    config = tmp_path / "sshd_config"
    config.write_text(f"HostKey {tmp_path / 'hk'}\nUsePAM no\n{readme_match_block()}")
    os.makedirs("/run/sshd", exist_ok=True)  # sshd -t wants it too; run alone, no session made it
    subprocess.run([SSHD, "-t", "-f", str(config)], check=True, capture_output=True)
    effective = subprocess.run(
        [SSHD, "-T", "-f", str(config), "-C", "user=skranke,host=desk1,addr=10.0.0.23"],
        check=True, capture_output=True, text=True).stdout
    for line in ("allowtcpforwarding no", "x11forwarding no", "allowagentforwarding no",
                 "permittunnel no", "clientaliveinterval 15", "clientalivecountmax 3"):
        assert line in effective
    assert re.search(r"^forcecommand .*exec /usr/local/bin/skranke", effective, re.M)


def _ssh_opts(sshd) -> list[str]:
    return ["-i", str(sshd["key"]), "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"]


def _no_skranke_left(sshd) -> None:
    """Nothing of Skranke runs after the client has gone (the forced command wrote its pid)."""
    if not sshd["pidfile"].exists():
        return
    pid = int(sshd["pidfile"].read_text())
    end = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < end:
        time.sleep(0.1)
    assert not _alive(pid), "Skranke still runs after a session without a terminal"


@pytest.mark.parametrize("sshd", [True, False], ids=["readme-guard", "skranke-alone"], indirect=True)
@pytest.mark.parametrize("how", ["ssh -T", "ssh command", "sftp"])
def test_no_terminal_over_ssh_starts_nothing(sshd, how):
    """Attack table, point 1: ssh -T, `ssh desk id` and sftp get no session and leave
    nothing running, by the README's forced command and by Skranke itself."""
    port = str(sshd["port"])
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    if how == "sftp":
        cmd = ["sftp", "-b", "-", "-P", port, *_ssh_opts(sshd), "root@127.0.0.1"]
    elif how == "ssh -T":
        cmd = ["ssh", "-T", "-p", port, *_ssh_opts(sshd), "root@127.0.0.1"]
    else:
        cmd = ["ssh", "-p", port, *_ssh_opts(sshd), "root@127.0.0.1", "id"]
    done = subprocess.run(cmd, input="ls\n", capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode != 0
    assert "uid=" not in done.stdout
    if how != "sftp":
        assert "terminal" in done.stderr, done.stderr
    _no_skranke_left(sshd)
