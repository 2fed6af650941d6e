"""`skranke doctor`: one look at a deployment, each finding with how to fix it.

Every check gives `ok`, `fault` (something to fix: the command exits 1) or `skipped`
(it cannot be made in this set-up, e.g. sshd's config is not readable by this account, and
says why): a check that could not look never counts as passed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import stat
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.i18n import _

if TYPE_CHECKING:
    from tui.config import Config

OK, FAULT, SKIPPED = "ok", "fault", "skipped"
SSHD_CONFIG = "/etc/ssh/sshd_config"
SSHD_ENV = "SKRANKE_SSHD_CONFIG"  # another sshd_config to read (tests, a chroot)
MAX_SKEW_SECONDS = 30
MIN_FREE_BYTES = 1 << 30
README_TOKEN = "a-long-random-secret"
# what the README's Match block sets; (keyword, wanted value) compared case-insensitively
SSHD_WANTED = (("allowtcpforwarding", "no"), ("x11forwarding", "no"), ("permittunnel", "no"),
               ("allowagentforwarding", "no"), ("allowstreamlocalforwarding", "no"),
               ("gatewayports", "no"), ("permituserrc", "no"))


@dataclass
class Finding:
    check: str  # short name, e.g. "audit key"
    status: str
    message: str
    fix: str = ""


def _mode(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):04o}"


class Doctor:
    def __init__(self, cfg: Config, url: str) -> None:
        self.cfg = cfg
        self.url = url
        self.sqlite = not url.startswith(("postgresql://", "postgres://"))
        self.findings: list[Finding] = []
        self.db_ok = False

    def add(self, check: str, status: str, message: str, fix: str = "") -> None:
        self.findings.append(Finding(check, status, message, fix))

    # --- the whole round -------------------------------------------------------

    def run(self) -> list[Finding]:
        if self.sqlite:
            self.check_database_files()  # before opening: opening makes the files private
        self.check_database_open()
        if not self.sqlite:
            for name in (_("database files"), _("group directory"), _("journal mode")):
                self.add(name, SKIPPED, _("the database is on the PostgreSQL server; its files "
                                          "and modes are the server's"))
        self.check_audit_key()
        if self.db_ok:
            self.check_schema()
            self.check_guards()
            self.check_chain()
            if self.sqlite:
                self.check_journal_mode()
            self.check_clocks()
        self.check_anchor_file()
        self.check_disk()
        self.check_backup()
        self.check_phone()
        self.check_config_files()
        self.check_sshd()
        return self.findings

    # --- database --------------------------------------------------------------

    def check_database_open(self) -> None:
        from tui.db import DatabaseConfigError, connect

        try:
            connect(self.url, migrate=False, checkpoint=False)
            self.db_ok = True
        except DatabaseConfigError as exc:
            self.add(_("database"), FAULT, _("cannot be opened: {why}").format(why=exc),
                     _("check the URL in /etc/skranke/config.toml and that the server runs"))

    def _db_path(self) -> Path:
        from tui.db import sqlite_path_from_url

        return Path(sqlite_path_from_url(self.url)).expanduser().resolve()

    def check_database_files(self) -> None:
        from tui.domain.private import is_group_dir

        path = self._db_path()
        directory = path.parent
        if not directory.is_dir():
            self.add(_("database files"), FAULT, _("{dir} does not exist").format(dir=directory),
                     _("check the URL in /etc/skranke/config.toml and that the server runs"))
            return
        group_dir = is_group_dir(directory)
        dst = directory.stat()
        wrong = []
        for end in ("", "-wal", "-shm"):
            f = Path(str(path) + end)
            if not f.exists():
                continue
            st = f.stat()
            mode = stat.S_IMODE(st.st_mode)
            if group_dir:
                if mode & 0o007 or mode & 0o060 != 0o060 or st.st_gid != dst.st_gid:
                    wrong.append(f"{f} ({mode:04o}, {_group_name(st.st_gid)})")
            elif mode & 0o077:
                wrong.append(f"{f} ({mode:04o})")
        if wrong:
            fix = (_("chgrp {group} {path}* && chmod 660 {path}*").format(
                group=_group_name(dst.st_gid), path=path) if group_dir
                   else _("chmod 600 {path}*").format(path=path))
            self.add(_("database files"), FAULT,
                     _("others may read patient data, or the desks' group cannot write: {files}").format(
                         files=", ".join(wrong)), fix)
        else:
            self.add(_("database files"), OK, _("{path}: private").format(path=path))
        dmode = stat.S_IMODE(dst.st_mode)
        if dmode & 0o007:
            self.add(_("group directory"), FAULT,
                     _("{dir} is open to others ({mode:04o})").format(dir=directory, mode=dmode),
                     _("chmod 2770 {dir}").format(dir=directory))
        elif dmode & 0o020 and not group_dir:
            self.add(_("group directory"), FAULT,
                     _("{dir} is group-writable without setgid ({mode:04o}): new files get the "
                       "creator's group and the other desks cannot write them").format(
                         dir=directory, mode=dmode),
                     _("chmod 2770 {dir} (README, \"The data directory\")").format(dir=directory))
        elif group_dir:
            self.add(_("group directory"), OK, _("{dir}: setgid, group {group}, {mode:04o}").format(
                dir=directory, group=_group_name(dst.st_gid), mode=dmode))
        else:
            self.add(_("group directory"), OK, _("{dir}: one account only ({mode:04o})").format(
                dir=directory, mode=dmode))

    def check_journal_mode(self) -> None:
        from tui.db import database_proxy

        mode = database_proxy.execute_sql("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() == "wal":
            self.add(_("journal mode"), OK, "wal")
        else:
            self.add(_("journal mode"), FAULT,
                     _("SQLite's journal mode is {mode}, not wal: desks block each other").format(mode=mode),
                     _("close every desk, then: sqlite3 {path} 'PRAGMA journal_mode=wal'").format(
                         path=self._db_path()))

    def check_schema(self) -> None:
        from tui.db import code_schema, database_proxy, schema_status

        applied, pending, unknown = schema_status(database_proxy.obj)
        if unknown:
            self.add(_("schema"), FAULT, _("made by a newer Skranke (step {step})").format(step=unknown[-1]),
                     _("install the Skranke that made it"))
        elif pending:
            self.add(_("schema"), FAULT, _("step {step}; this Skranke needs {code} ({n} steps to go): "
                                           "the desks will not start").format(
                step=applied[-1] if applied else "-", code=code_schema(), n=len(pending)),
                _("skranke migrate (README, \"Upgrading\")"))
        else:
            self.add(_("schema"), OK, _("step {step}, as this Skranke expects").format(step=applied[-1]))

    def check_guards(self) -> None:
        from tui.db import is_sqlite
        from tui.domain import audit

        wanted = audit.SQLITE_GUARDS if is_sqlite() else audit.POSTGRES_GUARDS
        missing = [g for g in wanted if g not in audit.existing_guards()]
        if missing:
            self.add(_("guard triggers"), FAULT,
                     _("missing: {names}; journal entries or audit events can be changed").format(
                         names=", ".join(missing)),
                     _("someone with the database's rights removed them: find out who, then "
                       "restore the newest verified backup (skranke restore --check first)"))
        else:
            self.add(_("guard triggers"), OK, _("all {n} present").format(n=len(wanted)))

    def check_chain(self) -> None:
        from tui.domain import audit

        if not audit.has_key():
            self.add(_("audit chain"), SKIPPED, _("cannot be checked without the audit key"))
            return
        try:
            report = audit.verify()
        except audit.AuditKeyError as exc:
            self.add(_("audit chain"), SKIPPED, str(exc))
            return
        breaks = [b for b in report.breaks if b.kind != "guard"]
        count, last_id, last_hash = audit.chain_head()
        if breaks:
            first = breaks[0]
            self.add(_("audit chain"), FAULT,
                     _("{n} breaks; the first: {kind} {table} {id}: {problem}").format(
                         n=len(breaks), kind=first.kind, table=first.table, id=first.event_id,
                         problem=first.problem),
                     _("skranke audit verify lists them all; keep the evidence and compare with "
                       "the backups (skranke restore --check)"))
        else:
            self.add(_("audit chain"), OK, _("intact: {n} events, head {id} {hash}, {a} anchors").format(
                n=count, id=last_id, hash=last_hash[:12], a=report.anchors))

    def check_clocks(self) -> None:
        from tui.db import database_proxy
        from tui.domain import desks

        if self.sqlite:
            self.add(_("clocks"), SKIPPED, _("SQLite: every desk writes with the clock of the "
                                             "machine it runs on (the server, over SSH)"))
            return
        server = database_proxy.execute_sql("SELECT now() AT TIME ZONE 'UTC'").fetchone()[0]
        here = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        skews = [(_("this machine"), (here - server).total_seconds())]
        skews += [(f"{d.host} ({d.terminal or d.pid})", d.skew_seconds) for d in desks.live_desks()]
        off = [f"{name} {seconds:+.0f} s" for name, seconds in skews if abs(seconds) > MAX_SKEW_SECONDS]
        if off:
            self.add(_("clocks"), FAULT, _("more than {n} s from the database server's clock: {who}").format(
                n=MAX_SKEW_SECONDS, who=", ".join(off)),
                _("turn on time sync on each of them: timedatectl set-ntp true"))
        else:
            self.add(_("clocks"), OK, _("{n} machines within {s} s of the database server").format(
                n=len(skews), s=MAX_SKEW_SECONDS))

    # --- files -----------------------------------------------------------------

    def check_audit_key(self) -> None:
        from tui.domain import audit

        path = audit.key_path()
        if not path.is_file():
            self.add(_("audit key"), FAULT, _("{path} is missing: no event can be written or checked").format(
                path=path), _("restore the key from the backup's safe place; on a new installation: "
                              "skranke audit init-key --group skranke"))
            return
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o027:
            self.add(_("audit key"), FAULT, _("{path} is {mode:04o}: others may read or change it").format(
                path=path, mode=mode), _("chmod 640 {path} (owner root, group skranke)").format(path=path))
        elif not os.access(path, os.R_OK):
            self.add(_("audit key"), FAULT, _("{path} cannot be read by this account").format(path=path),
                     _("chgrp skranke {path} && chmod 640 {path}").format(path=path))
        else:
            self.add(_("audit key"), OK, _("{path} ({mode:04o})").format(path=path, mode=mode))

    def check_anchor_file(self) -> None:
        from tui.domain import audit

        path = audit.anchor_path()
        if not path.is_file():
            self.add(_("anchor file"), FAULT, _("{path} is missing").format(path=path),
                     _("skranke audit anchor (and hourly from cron); restore it from the backups "
                       "if it was there before"))
            return
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o007:
            self.add(_("anchor file"), FAULT, _("{path} is {mode:04o}: others may change it").format(
                path=path, mode=mode), _("chmod 660 {path}").format(path=path))
            return
        mine = audit._anchors() if self.db_ok else []  # lines are told apart without the key
        if self.db_ok and not mine:
            self.add(_("anchor file"), FAULT, _("{path} has no line for this database").format(path=path),
                     _("skranke audit anchor (and hourly from cron)"))
        else:
            self.add(_("anchor file"), OK, _("{path}: {n} anchors of this database").format(
                path=path, n=len(mine)))

    def check_disk(self) -> None:
        places = []
        if self.sqlite:
            places.append(self._db_path().parent)
        if self.cfg.backup_dir and Path(self.cfg.backup_dir).is_dir():
            places.append(Path(self.cfg.backup_dir))
        if not places:
            self.add(_("disk space"), SKIPPED, _("no local database or backup directory to look at"))
            return
        need = MIN_FREE_BYTES
        if self.sqlite and self._db_path().exists():
            need = max(need, 3 * self._db_path().stat().st_size)  # a backup, its check, growth
        low = []
        for place in places:
            free = shutil.disk_usage(place).free
            if free < need:
                low.append(f"{place}: {free / 2**30:.1f} GB")
        if low:
            self.add(_("disk space"), FAULT, _("less than {need:.1f} GB free: {where}").format(
                need=need / 2**30, where=", ".join(low)),
                _("free space or move the backups to a larger disk; a full disk stops every desk"))
        else:
            self.add(_("disk space"), OK, ", ".join(
                f"{p}: {shutil.disk_usage(p).free / 2**30:.1f} GB" for p in places))

    def check_backup(self) -> None:
        from tui.domain import backup as backup_mod
        from tui.domain import generations

        if not self.cfg.backup_dir:
            self.add(_("backup"), FAULT, _("no backup directory set: nothing says backups are made"),
                     _("set [backup] dir in /etc/skranke/config.toml and enable the timer "
                       "(README, \"Nightly backups\")"))
            return
        directory = Path(self.cfg.backup_dir).expanduser()
        if not directory.is_dir():
            self.add(_("backup"), FAULT, _("{dir} does not exist").format(dir=directory),
                     _("install -d -o skranke -g skranke -m 2770 {dir}").format(dir=directory))
            return
        if stat.S_IMODE(directory.stat().st_mode) & 0o007:
            self.add(_("backup directory"), FAULT, _("{dir} is open to others ({mode})").format(
                dir=directory, mode=_mode(directory)), _("chmod 2770 {dir}").format(dir=directory))
        newest = generations.newest(directory)
        if newest is None:
            self.add(_("backup"), FAULT, _("no backup in {dir}").format(dir=directory),
                     _("skranke backup --to {dir}; check the timer: systemctl list-timers").format(
                         dir=directory))
            return
        made = generations.made_at(newest)
        assert made is not None  # newest() finds only files named as our backups
        age = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - made
        hours = age.total_seconds() / 3600
        if hours > self.cfg.backup_max_age_hours:
            self.add(_("backup"), FAULT, _("the newest, {name}, is {h:.0f} hours old").format(
                name=newest.name, h=hours),
                _("the timer has stopped or failed: journalctl -u skranke-backup"))
        report = backup_mod.read_report(newest)
        problems = []
        if not report.get("verified"):
            problems.append(_("it has no report of its verification"))
        elif report.get("sha256") and report["sha256"] != _sha256(newest):
            problems.append(_("its contents differ from what was verified"))
        if stat.S_IMODE(newest.stat().st_mode) & 0o007:
            problems.append(_("others may read it ({mode})").format(mode=_mode(newest)))
        if problems:
            self.add(_("backup verification"), FAULT, f"{newest.name}: " + "; ".join(problems),
                     _("skranke restore --check {path}; take a new one: skranke backup --to {dir}").format(
                         path=newest, dir=directory))
        elif hours <= self.cfg.backup_max_age_hours:
            self.add(_("backup"), OK, _("{name}, {h:.0f} hours old, verified when it was made").format(
                name=newest.name, h=hours))

    def check_phone(self) -> None:
        phone = self.cfg.phone
        if not phone.token:
            self.add(_("phone listener"), SKIPPED, _("no [phone] token: the phones are not connected"))
            return
        token = phone.token
        if len(token) < 24 or len(set(token)) < 10 or token == README_TOKEN:
            self.add(_("phone token"), FAULT, _("the [phone] token is weak ({n} characters); anyone on the "
                                                "network who guesses it can ring a call in").format(n=len(token)),
                     _("a new one: python3 -c 'import secrets; print(secrets.token_urlsafe(32))', "
                       "then in every phone's Action URLs"))
        else:
            self.add(_("phone token"), OK, _("{n} characters").format(n=len(token)))
        host = "127.0.0.1" if phone.bind in ("", "0.0.0.0", "::") else phone.bind
        try:
            with urllib.request.urlopen(f"http://{host}:{phone.port}/skranke-doctor", timeout=3):
                server = ""
        except urllib.error.HTTPError as exc:  # 404 for this path is the listener's answer
            server = exc.headers.get("Server", "")
        except (OSError, ValueError) as exc:
            self.add(_("phone listener"), FAULT, _("not reachable at {host}:{port}: {why}").format(
                host=host, port=phone.port, why=getattr(exc, "reason", exc)),
                _("start it: systemctl start skranke-phone (README, \"Configure and run the listener\")"))
            return
        if server.startswith("skranke-phone"):
            self.add(_("phone listener"), OK, _("answers at {host}:{port}").format(host=host, port=phone.port))
        else:
            self.add(_("phone listener"), FAULT, _("something else answers at {host}:{port}").format(
                host=host, port=phone.port), _("check [phone] port in the config file"))

    def check_config_files(self) -> None:
        if not self.cfg.sources:
            self.add(_("config files"), SKIPPED, _("no config file is read"))
            return
        wrong = []
        for source in self.cfg.sources:
            path = Path(source)
            try:
                st = path.stat()
                if not stat.S_ISREG(st.st_mode):
                    continue  # /dev/null and the like: nothing stored
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            mode = stat.S_IMODE(st.st_mode)
            secret = bool(re.search(r"token|password|secret|://[^/\s:@]+:[^@\s]+@", text))
            if mode & 0o022:
                wrong.append(_("{path} ({mode:04o}) can be changed by others").format(path=path, mode=mode))
            elif secret and mode & 0o004:
                wrong.append(_("{path} ({mode:04o}) holds a password or token and everyone may read it").format(
                    path=path, mode=mode))
        if wrong:
            self.add(_("config files"), FAULT, "; ".join(wrong),
                     _("chown root:skranke FILE && chmod 640 FILE"))
        else:
            self.add(_("config files"), OK, ", ".join(self.cfg.sources))

    def check_sshd(self) -> None:
        path = Path(os.environ.get(SSHD_ENV) or SSHD_CONFIG)
        files = [path]
        included = path.parent / "sshd_config.d"
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
            if included.is_dir():
                files += sorted(included.glob("*.conf"))
            texts = [text] + [f.read_text(encoding="utf-8", errors="replace") for f in files[1:]]
        except FileNotFoundError:
            self.add(_("sshd"), SKIPPED, _("{path} does not exist (no SSH server here)").format(path=path))
            return
        except OSError as exc:
            self.add(_("sshd"), SKIPPED, _("{path} cannot be read by this account ({why}); run as "
                                           "root to check it").format(path=path, why=exc.strerror))
            return
        block = _match_block("\n".join(texts))
        if block is None:
            if _account_exists("skranke"):
                self.add(_("sshd"), FAULT, _("no \"Match User skranke\" block: the desks' account "
                                             "gets a shell and forwarding"),
                         _("add the block from the README (\"sshd\"), then sshd -t && systemctl reload ssh"))
            else:
                self.add(_("sshd"), SKIPPED, _("no Match block for skranke and no skranke account: "
                                               "the desks do not log in over SSH"))
            return
        wrong = []
        if "skranke" not in block.get("forcecommand", ""):
            wrong.append(_("ForceCommand does not start skranke"))
        for key, value in SSHD_WANTED:
            if block.get(key, "").lower() != value:
                wrong.append(f"{key} {block.get(key, '-')}")
        if not block.get("clientaliveinterval"):
            wrong.append(_("no ClientAliveInterval (a dropped desk is not noticed)"))
        if wrong:
            self.add(_("sshd"), FAULT, _("the Match block differs from the README: {what}").format(
                what=", ".join(wrong)), _("copy the README's block (\"sshd\"), then sshd -t && "
                                          "systemctl reload ssh"))
        else:
            self.add(_("sshd"), OK, _("Match block as in the README"))


def _match_block(text: str) -> dict[str, str] | None:
    """The settings under `Match User skranke` / `Match Group skranke`, keys lower case."""
    block, inside = None, False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _sep, value = line.partition(" ")
        if key.lower() == "match":
            words = value.split()
            inside = len(words) >= 2 and words[0].lower() in ("user", "group") and "skranke" in words[1].split(",")
            if inside and block is None:
                block = {}
            continue
        if inside:
            block[key.lower()] = value.strip()
    return block


def _account_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _group_name(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def examine(cfg: Config, url: str) -> list[Finding]:
    return Doctor(cfg, url).run()

