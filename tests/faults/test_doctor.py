"""Issue 24: `skranke doctor` names every fault of a broken deployment, in Danish, with how to
fix it, and exits non-zero; checks it cannot make are skipped, never passed."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from helpers import NOW, PASSWORD
from tui.db import close, database_proxy, is_sqlite
from tui.domain import audit, auth, clock, generations

SSHD_BLOCK = """
Match User skranke
    ForceCommand umask 007; exec /usr/local/bin/skranke
    AllowTcpForwarding yes
    X11Forwarding no
    PermitTunnel no
    AllowAgentForwarding no
    AllowStreamLocalForwarding no
    GatewayPorts no
    PermitUserRC no
    ClientAliveInterval 15
"""


def _doctor(db_url, config, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env.update(SKRANKE_DB=db_url, SKRANKE_CONFIG=str(config), SKRANKE_LANG="da", **env_extra)
    return subprocess.run([sys.executable, "-m", "tui", "doctor"], capture_output=True, text=True,
                          env=env, timeout=120)


def _lines(output: str, status: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(status)]


def _deployment(db_url, tmp_path, *, made_at):
    """A small clinic with its backups directory, config file and sshd config."""
    auth.create_user("adam", "Adam", "admin", PASSWORD)
    audit.anchor("test")
    backups = tmp_path / "backups"
    backups.mkdir(mode=0o700)
    clock.freeze(made_at)
    try:
        generations.scheduled_backup(db_url, backups, "7d")
    finally:
        clock.freeze(NOW)
    config = tmp_path / "config.toml"
    config.write_text(f'[backup]\ndir = "{backups}"\n[phone]\ntoken = "kort"\nport = 9\n')
    config.chmod(0o600)
    sshd = tmp_path / "sshd_config"
    sshd.write_text("Port 22\n" + SSHD_BLOCK)
    return backups, config, sshd


def test_doctor_names_every_fault_of_a_broken_deployment(db_url, database, tmp_path):
    backups, config, sshd = _deployment(db_url, tmp_path, made_at=NOW - dt.timedelta(days=3))
    # wrong modes: the config file (it holds a token) and the backups readable by everyone
    config.chmod(0o644)
    backups.chmod(0o755)
    newest = generations.newest(backups)
    newest.chmod(0o644)
    if is_sqlite():
        os.chmod(database_proxy.obj.database, 0o644)
        database_proxy.execute_sql("DROP TRIGGER journal_entry_no_delete")
        missing_guard = "journal_entry_no_delete"
    else:
        database_proxy.execute_sql("DROP TRIGGER journal_entry_immutable ON journal_entry")
        missing_guard = "journal_entry_immutable"
    # a desk whose clock is two minutes ahead of the database's (its heartbeat says so)
    database_proxy.execute_sql(
        "INSERT INTO desk_session (host, pid, terminal, schema, started_at, seen_at, db_seen_at)"
        " VALUES ('desk-3', 4242, 'ssh:10.0.0.23', '', (now() AT TIME ZONE 'UTC'),"
        " (now() AT TIME ZONE 'UTC') + interval '2 minutes', (now() AT TIME ZONE 'UTC'))"
        if not is_sqlite() else "SELECT 1")
    close()
    result = _doctor(db_url, config, SKRANKE_AUDIT_KEY=str(tmp_path / "gone.key"),
                     SKRANKE_AUDIT_ANCHORS=os.environ[audit.ANCHOR_ENV], SKRANKE_SSHD_CONFIG=str(sshd))
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    faults = "\n".join(_lines(out, "FEJL"))
    # every fault, named, in Danish, each followed by how to fix it
    assert "lognøgle:" in faults and "gone.key mangler" in faults                   # missing key
    assert f"værn (triggere): mangler: {missing_guard}" in faults                     # missing trigger
    assert "sikkerhedskopi: den nyeste" in faults and "timer gammel" in faults        # stale backup
    assert "kontrol af sikkerhedskopi:" in faults and "(0644)" in faults               # its mode
    assert "mappe til sikkerhedskopier:" in faults and "(0755)" in faults              # directory
    assert "konfigurationsfiler:" in faults and "alle må læse den" in faults           # config 0644
    assert "telefontoken:" in faults                                                  # weak token
    assert "telefonlytter: kan ikke nås" in faults                                    # nothing on port 9
    assert "sshd: Match-blokken afviger fra README: allowtcpforwarding yes" in faults  # sshd
    if is_sqlite():
        assert "databasefiler:" in faults and "(0644)" in faults                     # db file mode
        assert any(line.startswith("SPRUNGET OVER") and " ure:" in line for line in out.splitlines())
    else:
        assert "ure: mere end 30 s fra databaseserverens ur: desk-3 (ssh:10.0.0.23) +120 s" in faults
    assert out.count("Sådan: ") == len(_lines(out, "FEJL"))
    # nothing else is called a fault: the anchor file is there (its lines need no key to count)
    assert "ankerfil" not in faults and "skema" not in faults
    # without the key the chain cannot be checked: skipped, not passed
    assert any(line.startswith("SPRUNGET OVER") and "logkæde" in line for line in out.splitlines())
    assert "logkæde" not in "\n".join(_lines(out, "OK"))


def test_doctor_passes_a_sound_deployment(db_url, database, tmp_path):
    clock.freeze(None)
    try:
        backups, config, sshd = _deployment(db_url, tmp_path, made_at=None)
    finally:
        clock.freeze(NOW)
    config.write_text(f'[backup]\ndir = "{backups}"\n')
    sshd.write_text("Port 22\n" + SSHD_BLOCK.replace("AllowTcpForwarding yes", "AllowTcpForwarding no"))
    close()
    result = _doctor(db_url, config, SKRANKE_SSHD_CONFIG=str(sshd))
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert not _lines(out, "FEJL")
    for name in ("lognøgle", "værn (triggere)", "logkæde", "skema", "sikkerhedskopi", "sshd",
                 "ankerfil", "diskplads"):
        assert any(line.startswith("OK") and f" {name}:" in line for line in out.splitlines()), name
    # the phone listener is not set up here: said, and not counted as passed
    assert any(line.startswith("SPRUNGET OVER") and "telefonlytter" in line for line in out.splitlines())
    # sshd's config unreadable: skipped with the reason
    unreadable = tmp_path / "nope" / "sshd_config"
    result = _doctor(db_url, config, SKRANKE_SSHD_CONFIG=str(unreadable))
    assert any(line.startswith("SPRUNGET OVER") and "sshd:" in line for line in result.stdout.splitlines())
