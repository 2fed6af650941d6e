"""Settings of this installation: TOML files, then the environment.

Order (later wins): built-in defaults, /etc/skranke/config.toml, the user's
config file (platformdirs), $SKRANKE_CONFIG, then $SKRANKE_DB / --db for the
database. Clinic settings that the admin edits in the app live in the database.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

APP_NAME = "skranke"
SYSTEM_CONFIG = Path("/etc/skranke/config.toml")


class ConfigError(Exception):
    """A config file that cannot be read: one line for the user."""


def user_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_db_url() -> str:
    """This desk's clinic: the clinic's own database, or the demo while there is none.

    After `skranke demo` every command (skranke call, phone-listen, audit, user ...)
    must reach the clinic the desk shows, not a new empty file beside it.
    """
    own = user_data_dir() / "skranke.db"
    demo = user_data_dir() / "demo.db"
    if not own.exists() and demo.exists():
        return f"sqlite:///{demo}"
    return f"sqlite:///{own}"


def demo_db_url() -> str:
    return f"sqlite:///{user_data_dir() / 'demo.db'}"


@dataclass
class PhoneConfig:
    bind: str = "127.0.0.1"
    port: int = 8765
    token: str = ""
    bell: bool = True
    desk: str = ""  # this desk's name, for [phone.extensions]
    extensions: dict[str, str] = field(default_factory=dict)  # $local -> desk name or user name


@dataclass
class SmsConfig:
    """[sms]: the gateway (tui.sms_gateway.GatewayConfig fields), the sender
    (tui.sms_sender.SenderConfig fields) and the delivery-report endpoint."""

    report_bind: str = "127.0.0.1"
    report_port: int = 8766
    report_token: str = ""
    gateway: dict = field(default_factory=dict)
    sender: dict = field(default_factory=dict)


@dataclass
class MedcomConfig:
    """[medcom]: the folders the clinic's VANS/MedCom client shares with Skranke."""

    inbox: str = ""  # where received messages are dropped (skranke inbox-import / inbox-watch)
    outgoing: str = ""  # where acknowledgements and letters "sent by MedCom" are written
    poll: float = 2.0  # seconds between looks at the inbox folder (inbox-watch)


@dataclass
class Config:
    db_url: str = ""
    language: str = "da"
    language_explicit: bool = False  # set by a file, the environment or --lang (else the clinic's)
    idle_lock_minutes: float = 5.0
    demo: bool = False  # demo passwords are only accepted in demo mode
    keys: dict[str, str] = field(default_factory=dict)  # action id -> keys, remapped
    phone: PhoneConfig = field(default_factory=PhoneConfig)
    sms: SmsConfig = field(default_factory=SmsConfig)
    medcom: MedcomConfig = field(default_factory=MedcomConfig)
    theme: str = ""  # empty: chosen from the terminal's colours
    export_dir: str = ""  # where exports and prints go; empty: ~/Documents/Skranke
    scanner_arrives: bool = True  # in F3 a health-card scan registers today's arrival
    audit_key_file: str = ""  # [audit] key_file; empty: beside the data (tui.domain.audit)
    audit_anchor_file: str = ""  # [audit] anchor_file; empty: beside the key
    backup_dir: str = ""  # [backup] dir: where `skranke backup --to` writes; doctor looks there
    backup_keep: str = "7d,8w,12m"  # [backup] keep
    backup_max_age_hours: float = 26.0  # [backup] max_age_hours: doctor's limit for the newest
    sources: list[str] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return self.db_url or default_db_url()

    @property
    def export_path(self) -> Path:
        """The folder exports (letters, day lists, access logs, orders) are offered in."""
        if self.export_dir:
            return Path(self.export_dir).expanduser()
        return Path(platformdirs.user_documents_dir()) / "Skranke"


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc.strerror}") from None


def _apply(cfg: Config, data: dict, source: str) -> None:
    try:
        if "database" in data:
            db = data["database"]
            cfg.db_url = str(db.get("url", cfg.db_url)) if isinstance(db, dict) else str(db)
        if "language" in data:
            cfg.language = str(data["language"])
            cfg.language_explicit = True
        if "idle_lock_minutes" in data:
            cfg.idle_lock_minutes = float(data["idle_lock_minutes"])
        if "theme" in data:
            cfg.theme = str(data["theme"])
        if "export_dir" in data:
            cfg.export_dir = str(data["export_dir"])
        if "scanner_arrives" in data:
            cfg.scanner_arrives = bool(data["scanner_arrives"])
        audit = data.get("audit", {})
        if not isinstance(audit, dict):
            raise TypeError("[audit] must be a table")
        cfg.audit_key_file = str(audit.get("key_file", cfg.audit_key_file))
        cfg.audit_anchor_file = str(audit.get("anchor_file", cfg.audit_anchor_file))
        backup = data.get("backup", {})
        if not isinstance(backup, dict):
            raise TypeError("[backup] must be a table")
        cfg.backup_dir = str(backup.get("dir", cfg.backup_dir))
        cfg.backup_keep = str(backup.get("keep", cfg.backup_keep))
        cfg.backup_max_age_hours = float(backup.get("max_age_hours", cfg.backup_max_age_hours))
        keys = data.get("keys", {})
        if not isinstance(keys, dict):
            raise TypeError("[keys] must be a table")
        cfg.keys.update({str(k): str(v) for k, v in keys.items()})
        phone = data.get("phone", {})
        if not isinstance(phone, dict):
            raise TypeError("[phone] must be a table")
        extensions = phone.get("extensions", {})
        if not isinstance(extensions, dict):
            raise TypeError("[phone.extensions] must be a table")
        cfg.phone.extensions.update({str(k): str(v).lower() for k, v in extensions.items()})
        for name in ("bind", "token", "desk"):
            if name in phone:
                setattr(cfg.phone, name, str(phone[name]))
        if "port" in phone:
            cfg.phone.port = int(phone["port"])
        if "bell" in phone:
            cfg.phone.bell = bool(phone["bell"])
        _apply_sms(cfg.sms, data.get("sms", {}))
        medcom = data.get("medcom", {})
        if not isinstance(medcom, dict):
            raise TypeError("[medcom] must be a table")
        for name in ("inbox", "outgoing"):
            if name in medcom:
                setattr(cfg.medcom, name, str(medcom[name]))
        if "poll" in medcom:
            cfg.medcom.poll = float(medcom["poll"])
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"Config file {source} has a bad value: {exc}") from None
    cfg.sources.append(source)


def _apply_sms(sms: SmsConfig, data: dict) -> None:
    if not data:
        return
    from dataclasses import fields

    from tui.sms_gateway import GatewayConfig
    from tui.sms_sender import SenderConfig

    if not isinstance(data, dict):
        raise TypeError("[sms] must be a table")
    gateway = {f.name: f.type for f in fields(GatewayConfig)}
    sender = {f.name: f.default for f in fields(SenderConfig)}
    for name, value in data.items():
        if name == "report_bind":
            sms.report_bind = str(value)
        elif name == "report_port":
            sms.report_port = int(value)
        elif name == "report_token":
            sms.report_token = str(value)
        elif name in gateway:
            sms.gateway[name] = [str(v) for v in value] if isinstance(value, list) else (
                float(value) if name == "timeout" else str(value))
        elif name in sender:
            sms.sender[name] = type(sender[name])(value)
        else:
            raise ValueError(f"unknown [sms] setting {name!r}")


def load_config(db_url: str | None = None, language: str | None = None) -> Config:
    cfg = Config()
    paths = [SYSTEM_CONFIG, user_config_path()]
    if os.environ.get("SKRANKE_CONFIG"):
        paths.append(Path(os.environ["SKRANKE_CONFIG"]))
    for path in paths:
        if path.exists():
            _apply(cfg, _read_toml(path), str(path))
    if os.environ.get("SKRANKE_DB"):
        cfg.db_url = os.environ["SKRANKE_DB"]
    if db_url:
        cfg.db_url = db_url
    if os.environ.get("SKRANKE_EXPORT_DIR"):
        cfg.export_dir = os.environ["SKRANKE_EXPORT_DIR"]
    if os.environ.get("SKRANKE_LANG"):
        cfg.language = os.environ["SKRANKE_LANG"]
        cfg.language_explicit = True
    if language:
        cfg.language = language
        cfg.language_explicit = True
    return cfg
