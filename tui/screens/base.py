"""What every section screen shares: the shell header, the footer, draft saving."""
from __future__ import annotations

import weakref

from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen, ScreenResultType
from textual.widgets import DataTable

from tui.domain import drafts
from tui.widgets.footer import Footer
from tui.widgets.shell import ShellHeader
from tui.widgets.tables import cursor_kept
from tui.workers import db_worker

# Every live screen and dialog, so a hang-up or a change of user can save them all.
LIVE_SCREENS: "weakref.WeakSet[Screen]" = weakref.WeakSet()


class _Guarded:
    """Textual stops a screen's message loop on any exception; a busy database or a refused
    permission must not end the session, so the app is asked to explain them instead."""

    async def _dispatch_message(self, message) -> None:
        try:
            await super()._dispatch_message(message)
        except Exception as error:
            if not self.app.recover(error):
                raise


class ListsFromWorker:
    """A section whose lists a worker reads, on the first visit as on every return, so the
    event loop never waits for the database: keys typed straight after its F-key (F7 d)
    wait until the first lists are shown (up to 10 s), not meet an empty table
    (tui/keygate.py asks gate_ready).

    The screen implements `_lists(*args)` (run in the worker: {pane: [(key, record, cells)]},
    every value read) and `_show_lists(lists, always=False)`, which calls `fill_lists` and
    then adds its own (tab labels, a detail pane). `load_lists(*args)` starts the worker;
    `fill_lists` refills the `#<pane>-table` tables, keeping their cursors on their rows by
    key, only when something in them changed (a redraw costs bytes over SSH), and keeps the
    records by key in `rows[pane]`."""

    _shown: object = None
    rows: dict[str, dict[str, object]]

    def gate_ready(self) -> bool:
        return self._shown is not None

    @property
    def gate_patience(self) -> float:
        return 10.0 if self._shown is None else 0.0

    @db_worker("section-lists")
    def load_lists(self, *args) -> None:
        lists = self._lists(*args)
        self.app.call_from_thread(self._lists_read, lists, *args)

    def _lists_read(self, lists, *args) -> None:
        self._show_lists(lists)

    def fill_lists(self, lists, always: bool = False) -> bool:
        """True when the tables were refilled; False when the screen is gone, the user
        logged out, or nothing changed."""
        if not self.is_attached or self.app.user is None:
            return False
        signature = {pane: [(key, cells) for key, _record, cells in rows] for pane, rows in lists.items()}
        if not always and signature == self._shown:
            return False
        self._shown = signature
        tables = {pane: self.query_one(f"#{pane}-table", DataTable) for pane in lists}
        with cursor_kept(*tables.values()):
            for pane, table in tables.items():
                table.clear()
                self.rows[pane] = {}
                for key, record, cells in lists[pane]:
                    self.rows[pane][key] = record
                    table.add_row(*cells, key=key)
        return True


class ChecksInWorker:
    """Check in a worker, hold the keys until the answer.

    For a form whose Enter starts slow work whose answer decides where the next keys go: a
    password hashed with scrypt (a third of a second at OWASP's cost, more on a busy PC, up
    to 10 s on a busy database), a letter rendered from its template. The work runs in a
    worker, so the desk keeps answering; meanwhile `checking` is True and `gate_patience`
    and `gate_ready` tell the input gate (tui.keygate) to hold the keys typed ahead, which
    are meant for what comes after the answer. The class:

    - calls `start_check(*args)` (a second Enter while one runs is ignored: False);
    - implements `run_check(*args)`, run in the worker with its own database connection: it
      returns the result, or raises one of `check_errors`, whose message is the answer;
    - implements `check_answered(result, error)`, on the UI thread and only while it is shown:
      `error` is "" when `run_check` returned, the message of a `check_errors` error, or None
      when anything else went wrong (the app's worker handler explains that one).
    """

    checking = False
    check_patience = 30.0  # seconds the keys may wait for the answer
    check_errors: tuple[type[Exception], ...] = ()

    @property
    def gate_patience(self) -> float:
        return self.check_patience if self.checking else 0.0

    def gate_ready(self) -> bool:
        return not self.checking

    def start_check(self, *args) -> bool:
        if self.checking:
            return False
        self.checking = True
        self._check_worker(*args)
        return True

    def run_check(self, *args):
        raise NotImplementedError

    def check_answered(self, result, error: str | None) -> None:
        raise NotImplementedError

    @db_worker("check", exclusive=False)
    def _check_worker(self, *args) -> None:
        try:
            result = self.run_check(*args)
        except self.check_errors as exc:
            self.app.call_from_thread(self._checked, None, str(exc))
        except BaseException:
            self.app.call_from_thread(self._checked, None, None)
            raise  # a database problem: the app's worker handler explains it
        else:
            self.app.call_from_thread(self._checked, result, "")

    def _checked(self, result, error: str | None) -> None:
        self.checking = False
        if self.is_attached:
            self.check_answered(result, error)


class SkrankeModal(_Guarded, ModalScreen[ScreenResultType]):
    """A dialog. One that holds typing mixes in KeepsTyping (first), which saves it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        LIVE_SCREENS.add(self)

    def save_drafts(self) -> None:
        """Write whatever the user is typing (KeepsTyping); a dialog without typing has none."""


class KeepsTyping:
    """The one draft mechanism ("nothing typed is lost") for every screen and dialog that
    holds typing. Such a class mixes this in before SkrankeScreen/SkrankeModal and:

    - names its draft with `draft_kind` (tui.domain.drafts.KIND_LABELS) and `draft_key`;
    - returns what to keep from `draft_data()` (by default its `values()`);
    - calls `keep_typing()` from on_mount, after a kept draft is shown again;
    - calls `forget_typing()` when the typing became a real record or was emptied.

    `save_drafts()` runs every second and when the app saves everything (hang-up, lock,
    change of user: `app.save_all`). It compares the fields themselves with what was kept
    last, not a flag set by a Changed message, so keys typed just before a hang-up are saved
    even when their Changed message has not been handled yet. Where the domain keeps the
    draft elsewhere (journal notes, letters, templates) the class overrides `store_draft`.
    """

    draft_kind = ""
    draft_key: str = ""
    _kept: object = None
    _keeping = False

    def keep_typing(self) -> None:
        """Start keeping: what is shown now counts as kept; saved every second from here."""
        self._kept = self.draft_data()
        self._keeping = True
        self.set_interval(1.0, self.save_drafts)

    @property
    def typing_unkept(self) -> bool:
        """Something was typed since the last save (the next tick or hang-up writes it)."""
        return self._keeping and self.draft_data() != self._kept

    def draft_data(self):
        return self.values()

    def store_draft(self, data) -> None:
        drafts.save(self.app.user, self.draft_kind, self.draft_key, data)

    def save_drafts(self) -> None:
        if not self._keeping or self.app.user is None or not self.is_mounted:
            return
        data = self.draft_data()
        if data is None or data == self._kept:
            return
        try:
            self.store_draft(data)
        except drafts.KeptLocally:
            self._kept = data  # in the local file; the app explains (recover)
            raise
        self._kept = data

    def forget_typing(self) -> None:
        """The typing became a real record (or was emptied): no draft is left behind."""
        if self.app.user is not None and self.draft_kind:
            drafts.discard(self.app.user, self.draft_kind, self.draft_key)
        if self._keeping and self.is_mounted:
            self._kept = self.draft_data()


class SkrankeScreen(_Guarded, Screen):
    """Subclasses implement compose_body(); they override save_drafts() if they hold typing."""

    section_id: str = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        LIVE_SCREENS.add(self)

    @property
    def user(self):
        return self.app.user

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.app.clinic_name, self.app.user_label)
        yield from self.compose_body()
        yield Footer()

    def _on_mount(self, _event) -> None:
        # Its widgets were styled as they mounted, with the stylesheet as it is now.
        self._css_update_count = self.app._css_update_count

    def _on_screen_resume(self, event) -> None:
        # Runs before Textual's own handler (Screen._on_screen_resume), which restyles every
        # widget of the screen on each return to it, and so makes every table draw all its
        # cells anew. A screen styled at the stylesheet's current generation (the count
        # only rises with a theme change: SkrankeApp.refresh_css) is current already.
        if self._css_update_count == self.app._css_update_count:
            event.refresh_styles = False
        for header in self.query(ShellHeader):  # the clock (and counts) as they are now
            header.refresh_counts(reuse=True)

    def compose_body(self) -> ComposeResult:
        return iter(())

    def save_drafts(self) -> None:
        """Write whatever the user is typing to the database. Must be quick and synchronous."""
