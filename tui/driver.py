"""The terminal driver: Textual's LinuxDriver, ending the session when its input ends.

Textual (8.2.8) reads stdin in a loop that treats end-of-file as "nothing yet": after the
SSH client or terminal goes away it spins on the closed input (15,000 reads a second),
and an EIO from a closed pty ends the input thread with the app still running. Here
either one asks the app to hang up (save drafts, write session_ended, exit).
"""
from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder

from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver


class SkrankeLinuxDriver(LinuxDriver):
    def _input_ended(self) -> None:
        app = self._app
        try:
            self._loop.call_soon_threadsafe(app.hang_up)
        except RuntimeError:  # the loop is closed: the app is ending anyway
            pass

    def run_input_thread(self) -> None:
        """Textual's own loop (8.2.8), stopping at end-of-file or a read error."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        ended = False
        try:
            while not self.exit_event.is_set():
                for _key, mask in selector.select(0.1):
                    if mask & selectors.EVENT_READ:
                        try:
                            data = os.read(fileno, 1024 * 4)
                        except OSError:  # EIO: the pty's other side is gone
                            data = b""
                        if not data:
                            ended = True
                            break
                        for event in parser.feed(decode(data)):
                            self.process_message(event)
                if ended:
                    self._input_ended()
                    break
                for event in parser.tick():
                    self.process_message(event)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass
