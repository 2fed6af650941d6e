"""Python's garbage collection, out of the secretary's way.

A full collection walks every object the app holds, some 90,000 after a few sections, and
took 34 ms in the middle of a section's first visit (140 ms). So the app collects when
she has paused, and then freezes what survived (`gc.freeze`): the automatic collections,
which still run, walk only what was made since. What was frozen and has since become
garbage is collected at the next pause, which unfreezes first.

The automatic full collection comes ten times more rarely than Python's default (after
100 younger collections, not 10): a closed record left 12,000-18,000 objects for one, which
cost 26-38 ms of the next record's opening. The pauses collect them instead, and a desk
that never pauses still gets a full collection every 700,000 or so allocations. The desk's
start sets that rhythm before its imports are done: with Python's, they made a full collection
due just before the login's first frame (14 ms of 260).

Until the login is drawn the desk does not collect at all (`hold_until_drawn`): its imports
and the login make objects that live as long as the app, and the young collections that
walked them, some ninety of them, were part of every start (README, issue 23). The
collector is back on, and what survived frozen, once the login is drawn.
"""
from __future__ import annotations

import gc
import time

QUIET_SECONDS = 2.0  # no key or click for this long: a pause, not a breath between keys
FULL_AFTER = 100  # younger collections before an automatic full one (Python's default: 10)
_held = False  # the desk's start turned the collector off: QuietCollector.start turns it on


def postpone_full_collections() -> None:
    young, middle, full = gc.get_threshold()
    if full < FULL_AFTER:
        gc.set_threshold(young, middle, FULL_AFTER)


def hold_until_drawn() -> None:
    """No collection until the login is drawn (QuietCollector.start); full ones rarer after."""
    global _held
    postpone_full_collections()
    if gc.isenabled():
        gc.disable()
        _held = True


def _resume() -> None:
    global _held
    if _held:
        _held = False
        gc.enable()


class QuietCollector:
    def __init__(self) -> None:
        self.collected_at = float("-inf")
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        """Start-up's objects frozen (they live as long as the app), full collections rarer."""
        if self._thresholds is None:
            self._thresholds = gc.get_threshold()
            postpone_full_collections()
        _resume()
        self.collect_now()

    def collect_now(self) -> None:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.collected_at = time.monotonic()

    def collect_recent(self) -> None:
        """What was made since the last freeze, collected, and what survived frozen: a closed
        screen's objects (a record's 12,000-18,000, in cycles) go at once, in 10-20 ms,
        instead of piling up for an automatic full collection, which then walked 130,000-
        230,000 objects in 150-330 ms in the middle of whatever she was doing (issue 23:
        Ctrl+R 341-419 ms, a record 139-155 ms, once each in a run of the waits)."""
        if _held:
            return
        gc.collect()
        gc.freeze()

    def collect_if_quiet(self, last_activity: float, now: float | None = None) -> bool:
        """Collect once after each spell of work, when she has paused for QUIET_SECONDS."""
        now = time.monotonic() if now is None else now
        if last_activity > self.collected_at and now - last_activity >= QUIET_SECONDS:
            self.collect_now()
            return True
        return False

    def release(self) -> None:
        """Everything back to the collector as it was (the app has ended; a process that
        runs app after app, as the tests do, would otherwise keep each one's frozen objects)."""
        gc.unfreeze()
        _resume()
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
