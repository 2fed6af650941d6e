"""Python's garbage collection, out of the secretary's way.

A full collection walks every object the app holds, some 90,000 after a few sections, and
took 34 ms in the middle of a section's first visit (140 ms). So the app collects when
she has paused, and then freezes what survived (`gc.freeze`): the automatic collections,
which still run, walk only what was made since. What was frozen and has since become
garbage is collected at the next pause, which unfreezes first.
"""
from __future__ import annotations

import gc
import time

QUIET_SECONDS = 2.0  # no key or click for this long: a pause, not a breath between keys


class QuietCollector:
    def __init__(self) -> None:
        self.collected_at = float("-inf")

    def collect_now(self) -> None:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.collected_at = time.monotonic()

    def collect_if_quiet(self, last_activity: float, now: float | None = None) -> bool:
        """Collect once after each spell of work, when she has paused for QUIET_SECONDS."""
        now = time.monotonic() if now is None else now
        if last_activity > self.collected_at and now - last_activity >= QUIET_SECONDS:
            self.collect_now()
            return True
        return False

    @staticmethod
    def release() -> None:
        """Everything back to the collector (the app has ended; a process that runs app
        after app, as the tests do, would otherwise keep each one's frozen objects)."""
        gc.unfreeze()
