"""The one way screens and widgets run slow work off the keys: a Textual thread worker.

    @db_worker("patient-search")
    def _search(self, text: str) -> None:
        hits = patients.search(self.app.user, text)          # runs in a thread
        self.app.call_from_thread(self._show, text, hits)    # back on the UI thread

The worker opens its own database connection (peewee's are per thread), is exclusive in
its group (a newer search cancels the older one), and never ends the session: it runs with
`exit_on_error=False` and hands any error it does not handle itself to the app's one
handler, `SkrankeApp.worker_failed`, which shows the busy or failed-database dialog
(tui.screens.busy, tui.screens.db_problem), a notice for a refused permission, and logs and
reports anything else while the desk goes on working.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from textual import work
from textual.worker import active_worker

from tui.db import database_proxy


def db_worker(group: str, *, exclusive: bool = True) -> Callable[[Callable[..., Any]], Any]:
    def decorate(method: Callable[..., Any]) -> Any:
        @functools.wraps(method)
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            app = self.app
            try:
                with database_proxy.connection_context():
                    return method(self, *args, **kwargs)
            except Exception as error:  # noqa: BLE001 - one handler for every worker
                try:
                    app.call_from_thread(app.worker_failed, error)
                except RuntimeError:  # the app has ended meanwhile
                    pass
                return None
            finally:
                # The pool's thread keeps the context Textual gave it, its active worker in it,
                # and through the worker the screen that started it, closed or not: until that
                # thread's next worker, out of the garbage collector's reach (tui.quiet_gc).
                active_worker.set(None)  # type: ignore[arg-type]

        return work(thread=True, exclusive=exclusive, group=group, exit_on_error=False)(run)

    return decorate
