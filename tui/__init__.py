"""Skranke: the reception desk of a Danish clinic, in the terminal."""
import os

__version__ = "0.1.0"

# At most 120 frames a second, not Textual's 60 (read when Textual is first imported, which
# is after this). A frame that became due waits for the next tick of the screen's update
# timer: with search results in 15 ms, the wait for the tick was 0-17 ms of a keystroke
# (p50 38-41 → 31-36 ms at a million patients). Bursts of keys cost the same bytes (frames
# are drawn only when something changed). An environment that sets TEXTUAL_FPS keeps its own.
os.environ.setdefault("TEXTUAL_FPS", "120")
