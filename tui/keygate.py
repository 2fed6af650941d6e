"""The input gate: one key at a time, each to the widget that has focus once the keys
before it are done.

Why: Textual hands a key to the focused widget's own message queue and returns at once.
A printable character is inserted there, but Backspace, Ctrl+U, Enter or Tab travel on as
bindings through the parents to the app (Textual issues 6605 and 1009), and a message
such as Input.Submitted moves focus only when the form has processed it. Keys typed
faster than that round trip (a burst over SSH, a paste, a password manager, a card
scanner) overtake each other: `hansen` + Backspaces + `jensen` leaves `jens`, the password
lands in the user-name field.

How: the app keeps keys that arrive in a queue of its own and lets the next one through
only when the previous one has settled, that is when the app, the screen (old and new,
if the key opened or closed one) and every widget from the focused one up to its screen
have no message waiting or running. A key's bindings, the messages it caused and the
focus change they made are therefore done before the next key chooses its target.
Typed slowly nothing changes; a burst is applied as if typed slowly. Slow work belongs
in workers (never waited for here), so a key never waits for the database.

The gate never waits longer than MAX_WAIT for one key (a widget that never goes quiet
must not freeze the keyboard), unless a widget on the way says it may take longer with a
`gate_patience` (seconds): the login form while the password is checked in a worker, so
`name⏎password⏎F4hansen` on a loaded PC still searches on the screen she gets. MAX_WAIT
counts the CPU time the app spends meanwhile, not the clock: on a loaded machine a dialog
may take seconds on the clock to open while the app waits for a CPU, and the CPR typed
after its key must still land in it (a widget that never goes quiet spends CPU doing so).
A wait in which the app spends nothing is cut off after MAX_WALL on the clock.
"""
from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.screen import Screen

MAX_WAIT = 2.0  # seconds of the app's CPU time
MAX_WALL = 10.0  # seconds on the clock


def _quiet(node: DOMNode) -> bool:
    """True when the node's message loop is waiting for its next message: nothing queued,
    nothing running (a handler suspended in an await is not quiet), and, for a screen that
    says so, its first data has arrived (keys typed ahead of it have no row to land on)."""
    if not getattr(node, "gate_ready", lambda: True)():
        return False
    if not node._running:
        # A screen just pushed has its task but has not begun (compose, mount, the focus it
        # sets): not quiet. A mode's first screen is the app's screen at once (switch_mode)
        # but has no task yet: not quiet either, or the keys after F4 land on no field.
        # Never started or closed: nothing to wait for.
        if node._task is None and isinstance(node, Screen) and not node.is_mounted:
            try:
                return node is not node.app.screen
            except Exception:  # no app or no screen (starting, closing)
                return True
        return node._task is None or node._task.done()
    queue = node.__dict__.get("_message_queue")
    if queue is None:
        return True
    if not queue.empty() or node._next_callbacks:
        return False
    # call_after_refresh: a screen keeps those callbacks until it has repainted (a dialog
    # that opens a picker from on_mount does so); the picker must be up before the next key.
    if getattr(node, "_callbacks", None):
        return False
    # Textual's queue (textual._queue.Queue) keeps no count of unfinished work; the loop
    # waits on its ready_event only when it has finished everything before.
    return any(not waiter.done() for waiter in queue.ready_event._waiters)


# The nodes an earlier key was aimed at, held weakly: a screen that key closed is not kept
# until her next key (and frozen meanwhile with what survives a collection, tui.quiet_gc).
def _weakly(nodes: list[DOMNode]) -> list[weakref.ref[DOMNode]]:
    return [weakref.ref(n) for n in nodes]


def _alive(refs: list[weakref.ref[DOMNode]]) -> list[DOMNode]:
    return [n for n in (r() for r in refs) if n is not None]


class KeyGate:
    """Mix into the App before App: `class SkrankeApp(KeyGate, App)`."""

    _gate_keys: deque
    _gate_task: asyncio.Task | None = None

    def _watched(self: App) -> list[DOMNode]:
        nodes: list[DOMNode] = [self]
        try:
            screen = self.screen
        except Exception:  # no screen yet (starting) or between modes
            return nodes
        node = screen.focused
        while node is not None and node is not self:
            nodes.append(node)
            if node is screen:
                break
            node = node.parent
        nodes.append(screen)
        return nodes

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            if getattr(event, "_skranke_gated", False):
                try:
                    await super().on_event(event)
                finally:
                    event._skranke_done.set()
                return
            if not hasattr(self, "_gate_keys"):
                self._gate_keys = deque()
                self._gate_before = []
            if self._gate_keys or not self._all_done():
                self._gate_keys.append(event)  # an earlier key is still being worked on
            else:
                # Nothing in front: handled at once, exactly as Textual would (typing
                # slowly costs nothing); the keys after it wait until it has settled.
                self._gate_before = _weakly(self._watched())
                await super().on_event(event)
            if self._gate_keys and self._gate_task is None:
                self._gate_task = asyncio.create_task(self._let_keys_through())
            return
        await super().on_event(event)

    def requeue_keys(self: App, keys: list[events.Key]) -> None:
        """Keys someone held back (the card scanner, tui/scanner.py) go back to the front of
        the queue, in order, and are let through one at a time like any other."""
        if not hasattr(self, "_gate_keys"):
            self._gate_keys = deque()
            self._gate_before = []
        self._gate_keys.extendleft(reversed(keys))
        if self._gate_task is None:
            self._gate_task = asyncio.create_task(self._let_keys_through())

    def _all_done(self: App) -> bool:
        """Every earlier key has settled. Asked while the app itself handles the new key:
        its queue must be empty (a binding of the last key may be waiting there)."""
        if not self._message_queue.empty():
            return False
        return all(_quiet(n) for n in (*_alive(self._gate_before), *self._watched()) if n is not self)

    async def _let_keys_through(self: App) -> None:
        try:
            while self._gate_keys:
                # Only a key that waits needs the app to settle: waiting for quiet after
                # every key with none behind it spun beside the key's own work (a record's
                # opening, a search's results) for nothing.
                await self._settle()
                event = self._gate_keys.popleft()
                self._gate_before = _weakly(self._watched())
                event._skranke_gated = True
                event._skranke_done = asyncio.Event()
                if not self.post_message(event):
                    return  # the app is closing
                try:
                    await asyncio.wait_for(event._skranke_done.wait(), MAX_WAIT)
                except asyncio.TimeoutError:
                    pass
        finally:
            self._gate_task = None

    async def _settle(self: App) -> None:
        start, spent = time.monotonic(), time.process_time()
        spins = 0
        while True:
            nodes = (*_alive(self._gate_before), *self._watched())
            if all(_quiet(n) for n in nodes):
                return
            limit = max(MAX_WAIT, *(getattr(n, "gate_patience", 0.0) for n in nodes))
            if (time.process_time() - spent > limit
                    or time.monotonic() - start > max(MAX_WALL, limit)):
                return
            spins += 1
            # Yield to the other tasks; after a few rounds sleep a little so a long
            # handler elsewhere is not starved by this loop.
            await asyncio.sleep(0 if spins < 50 else 0.002)
