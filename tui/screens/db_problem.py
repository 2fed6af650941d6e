"""Shown when the database cannot take what she did: what happened, and what to do.

Busy has its own screen (tui.screens.busy); this one covers a full disk, a read-only
database, an I/O error, a missing table, the server gone, and the file deleted or
replaced under the running app. Her typing stays in the form and in a draft (a private
local file when the database cannot take it).
"""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from tui.domain import health
from tui.i18n import N_, _
from tui.screens.base import SkrankeModal

MESSAGES = {
    "full": (N_("The disk is full"),
             N_("The database cannot grow: the disk it is on is full. Nothing was saved. "
                "Ask the person who looks after Skranke to free space, then press Enter.")),
    "readonly": (N_("The database cannot be written"),
                 N_("The database is read-only for Skranke (its file or folder rights, or the "
                    "server's). Nothing was saved. Ask the person who looks after Skranke.")),
    "io": (N_("The database cannot be read or written"),
           N_("The disk or the database file reported an error. Nothing was saved. Ask the "
              "person who looks after Skranke; press Enter to try again.")),
    "missing_table": (N_("The database is incomplete"),
                      N_("A part of the database is missing (a table). Nothing was saved. "
                         "Ask the person who looks after Skranke to check it (skranke audit "
                         "verify) and restore the backup if needed.")),
    "gone": (N_("The database server does not answer"),
             N_("The connection to the database server was lost. Nothing was saved. Press Enter "
                "to try again in a moment.")),
    "file_changed": (N_("The database file was deleted or replaced"),
                     N_("The database file this desk opened is gone or is another file now. "
                        "Nothing more is saved into it. Press Enter to close Skranke, and ask "
                        "the person who looks after Skranke before you start it again.")),
    "key": (N_("The audit key cannot be read"),
            N_("Skranke logs every look at a record with its audit key, and the key cannot be "
               "read. Nothing was saved. Ask the person who looks after Skranke.")),
}


class DatabaseProblemScreen(SkrankeModal[bool]):
    BINDINGS = [
        Binding("enter,r", "retry", "Try again", id="dbproblem.retry"),
        Binding("escape", "close", "Close", id="dbproblem.close"),
    ]

    def __init__(self, kind: str, kept: str = "") -> None:
        super().__init__()
        self.kind = kind if kind in MESSAGES else "io"
        self.kept = kept

    def compose(self) -> ComposeResult:
        title, text = MESSAGES[self.kind]
        with Vertical(classes="dialog"):
            yield Static(Text(_(title), style="bold"), id="dbproblem-title")
            yield Static(Text(_(text)), id="dbproblem-text")
            if self.kept:
                yield Static(Text(_("What you typed is kept in {path}").format(path=self.kept)),
                             id="dbproblem-kept")
            else:
                yield Static(Text(_("What you typed is still in the form.")))
            yield Static("", id="dbproblem-status", markup=False)

    def action_retry(self) -> None:
        if self.kind == "file_changed":
            self.app.end_after_database_problem()
            return
        found = health.database_usable()
        if found is None:
            self.dismiss(True)
        else:
            self.query_one("#dbproblem-status", Static).update(_("Still not possible. Try again "
                                                                "in a moment."))
            self.app.bell()

    def action_close(self) -> None:
        if self.kind == "file_changed":
            self.app.end_after_database_problem()
        else:
            self.dismiss(False)
