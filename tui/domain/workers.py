"""Domain calls from a screen's worker thread: each thread needs its own connection."""
from __future__ import annotations

from contextlib import AbstractContextManager

from tui.db import database_proxy


def connection() -> AbstractContextManager:
    """`with workers.connection(): ...` around the domain calls of one worker run."""
    return database_proxy.connection_context()
