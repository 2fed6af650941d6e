"""When Skranke meets an error it has no answer for: a report without local variables (a
password at the login screen is one) in a private file, one line to the user saying where,
and a non-zero exit. Textual's own report prints every local variable of every frame."""
from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import traceback
from pathlib import Path

CRASH_ENV = "SKRANKE_CRASH_DIR"
EXIT_CODE = 70  # EX_SOFTWARE


def report_dir() -> Path:
    if os.environ.get(CRASH_ENV):
        return Path(os.environ[CRASH_ENV])
    import platformdirs

    return Path(platformdirs.user_state_dir("skranke")) / "crash"


def write_report(error: BaseException) -> Path | None:
    """The traceback (file, line, code; no values) in a private file; None if it cannot be
    written (the disk may be the problem)."""
    from tui import __version__
    from tui.domain.private import write_private

    lines = [
        f"Skranke {__version__} crash report",
        f"time (UTC): {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S}",
        f"python: {platform.python_version()} on {platform.platform()}",
        f"process: {os.getpid()}",
        "",
        *traceback.format_exception(type(error), error, error.__traceback__),
    ]
    try:
        folder = report_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"crash-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.txt"
        write_private(path, "\n".join(line.rstrip("\n") for line in lines) + "\n")
        return path
    except OSError:
        return None


def message(path: Path | None) -> str:
    from tui.i18n import _

    if path is None:
        return _("Skranke stopped because of an error. The report could not be saved.")
    return _("Skranke stopped because of an error. What you typed is kept as drafts. "
             "Give this report to the person who looks after Skranke: {path}").format(path=path)


def _hook(kind, error, tb) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, tb)
        return
    print(message(write_report(error)), file=sys.stderr)


def install() -> None:
    """For errors outside the app's screens (start-up, commands)."""
    sys.excepthook = _hook

    def thread_hook(args) -> None:
        if isinstance(args.exc_value, OSError) and args.exc_value.errno in (5, 32):
            return  # EIO/EPIPE: the terminal went away (a hang-up, handled as one)
        if args.exc_value is not None and not issubclass(args.exc_type, SystemExit):
            print(message(write_report(args.exc_value)), file=sys.stderr)

    import threading

    threading.excepthook = thread_hook
