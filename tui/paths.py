"""Where the files Skranke ships (data/) are: beside the package in a source checkout or an
editable install, under <prefix>/share/skranke/data in an ordinary install."""
from __future__ import annotations

import sys
from pathlib import Path


def _find_data_dir() -> Path:
    source = Path(__file__).resolve().parent.parent / "data"
    if source.is_dir():
        return source
    return Path(sys.prefix) / "share" / "skranke" / "data"


DATA_DIR = _find_data_dir()
