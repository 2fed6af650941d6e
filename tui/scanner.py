"""The health-card scanner: a keyboard-wedge scanner "types" the CPR number from the
yellow health card or the Sundhedskort app (10 digits, with or without a dash) and Enter,
all within about 100 ms. No person types that fast.

Where a text field has focus the digits go into it as typed (in the F4 search field the
CPR number and Enter open the patient, as when she types them). Anywhere else the digits
would be keys (1 changes tab in F7, a in F3 means arrived): a digit is held back for a
moment (HOLD seconds) to see whether a scan follows. A scan opens the patient's record;
in F3, when she has an appointment today, it registers her arrival instead (config
`scanner_arrives = false` turns that off). Keys that turn out not to be a scan are let
through in order, HOLD later.
"""
from __future__ import annotations

import sys

from textual import events
from textual.widgets import Input

HOLD = 0.06  # the longest gap between two keys of one scan
SCAN_DIGITS = 10


def _is_scan_char(event: events.Key, held: int) -> bool:
    char = event.character or ""
    return char.isdigit() or (char == "-" and held == 6)


def _text_fields() -> tuple[type, ...]:
    # TextArea comes with the first screen that has one: importing it here was 4-5 ms of
    # every start, and a widget of a class not yet imported cannot have focus
    text_area = sys.modules.get("textual.widgets._text_area")
    return (Input,) if text_area is None else (Input, text_area.TextArea)


class CardScanner:
    """Mix into the App after KeyGate: `class SkrankeApp(KeyGate, CardScanner, App)`, so a
    key is looked at when its turn comes (the focus it meets is the one it was aimed at)."""

    _scan_held: list | None = None
    _scan_timer = None

    def _scan_may_start(self) -> bool:
        if self.user is None or self.locked:
            return False
        return not isinstance(self.focused, _text_fields())

    async def on_event(self, event: events.Event) -> None:
        if (not isinstance(event, events.Key) or event.is_forwarded
                or getattr(event, "_scan_released", False)):
            await super().on_event(event)
            return
        held = self._scan_held
        if held is None:
            if not (_is_scan_char(event, 0) and (event.character or "").isdigit()
                    and self._scan_may_start()):
                await super().on_event(event)
                return
            self._scan_held = held = []
        # The time the key came from the terminal (stamped by the driver as it read it), not
        # when its turn came: a busy app must not turn a scan into keys.
        now = event.time
        if held and now - held[-1][0] > HOLD:
            await self._scan_release(then=event)
            return
        digits = sum(1 for _t, e in held if (e.character or "").isdigit())
        if event.key == "enter" and digits == SCAN_DIGITS:
            cpr = "".join(e.character for _t, e in held if (e.character or "").isdigit())
            self._scan_held = None
            self._scan_stop_timer()
            self.scanned(cpr)
            return
        if _is_scan_char(event, len(held)) and digits < SCAN_DIGITS:
            held.append((now, event))
            self._scan_stop_timer()
            # A timer's callback runs in its own task: the keys are let go in the app's.
            self._scan_timer = self.set_timer(HOLD, lambda: self.call_later(self._scan_timeout))
            return
        await self._scan_release(then=event)

    def _scan_stop_timer(self) -> None:
        if self._scan_timer is not None:
            self._scan_timer.stop()
            self._scan_timer = None

    async def _scan_timeout(self) -> None:
        """No key came within HOLD; but one that arrived in time may still wait its turn."""
        waiting = getattr(self, "_gate_keys", None)
        queued = any(isinstance(m, events.Key) for m in self._message_queue.values)
        if self._scan_held and (waiting or queued):
            self._scan_stop_timer()
            self._scan_timer = self.set_timer(HOLD, lambda: self.call_later(self._scan_timeout))
            return
        await self._scan_release()

    async def _scan_release(self, then: events.Key | None = None) -> None:
        """Not a scan: the held keys go on, in order, as if they had just been typed, and
        after them `then`, the key that showed it was no scan (looked at afresh: it may
        begin a scan of its own)."""
        held, self._scan_held = self._scan_held or [], None
        self._scan_stop_timer()
        keys = [event for _t, event in held]
        for event in keys:
            event._scan_released = True
        if then is not None:
            keys.append(then)
        requeue = getattr(self, "requeue_keys", None)
        if requeue is not None:
            # Back through the input gate, one at a time: released together, the second
            # digit on F3 reached the grid before the find field the first one opened.
            requeue(keys)
            return
        for event in keys:
            await self.on_event(event)

    def scanned(self, cpr: str) -> None:
        """A scan: open the patient (on the app, which knows the screens)."""
