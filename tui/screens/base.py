"""What every section screen shares: the shell header, the footer, draft saving."""
from __future__ import annotations

import weakref

from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen, ScreenResultType

from tui.domain import drafts
from tui.widgets.footer import Footer
from tui.widgets.shell import ShellHeader

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


class SkrankeModal(_Guarded, ModalScreen[ScreenResultType]):
    """A dialog. One that holds typing saves it in `_save_draft()` (also on a hang-up)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        LIVE_SCREENS.add(self)

    def save_drafts(self) -> None:
        save = getattr(self, "_save_draft", None)
        if save is not None:
            save()


class KeepsTyping:
    """For a dialog whose values() are kept as a draft (tui.domain.drafts, `draft_kind` and
    the dialog's `draft_key`): saved every second while they change, at once on a hang-up."""

    draft_kind = ""
    _dirty = False

    def keep_typing(self) -> None:
        """Start the one-second saving (from on_mount, after a kept draft is shown)."""
        self._dirty = False
        self.set_interval(1.0, self.save_draft)

    def save_draft(self) -> None:
        if self._dirty and self.app.user is not None:
            try:
                drafts.save(self.app.user, self.draft_kind, self.draft_key, self.values())
            except drafts.KeptLocally:
                self._dirty = False  # in the local file; the app explains (recover)
                raise
            self._dirty = False

    def save_drafts(self) -> None:
        self._dirty = True
        self.save_draft()

    def forget_typing(self) -> None:
        """The typing became a real record (or was emptied): no draft is left behind."""
        if self.app.user is not None:
            drafts.discard(self.app.user, self.draft_kind, self.draft_key)
        self._dirty = False


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

    def compose_body(self) -> ComposeResult:
        return iter(())

    def save_drafts(self) -> None:
        """Write whatever the user is typing to the database. Must be quick and synchronous."""
