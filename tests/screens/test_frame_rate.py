"""The desk draws up to 120 frames a second (tui/__init__.py): search results wait for the
next tick of the screen's update timer, half as long as at Textual's 60. An environment
that sets TEXTUAL_FPS keeps its own."""
from __future__ import annotations

import os
import subprocess
import sys

PROBE = "import tui.cli, tui.app, textual.screen as s; print(round(1 / s.UPDATE_PERIOD))"


def _frame_rate(**env: str) -> int:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL_", "SKRANKE_"))}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env={**clean, **env}, timeout=60, check=True)
    return int(done.stdout.strip())


def test_the_desk_draws_up_to_120_frames_a_second():
    assert _frame_rate() == 120


def test_an_environment_that_sets_the_frame_rate_keeps_it():
    assert _frame_rate(TEXTUAL_FPS="30") == 30
