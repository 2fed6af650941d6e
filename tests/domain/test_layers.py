"""The layering contracts (pyproject.toml): tui.domain, tui.models, tui.db and tui.demo never
import textual or rich; screens and widgets never import models or the database; nothing
below the demo clinic (tui.demo) imports it."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_linter_contract_is_kept():
    exe = shutil.which("lint-imports")
    assert exe, "import-linter is a test dependency"
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_domain_module_mentions_textual():
    for path in [*(ROOT / "tui" / "domain").rglob("*.py"), *(ROOT / "tui" / "demo").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "import textual" not in text and "from textual" not in text, path
        assert "from rich" not in text and "import rich" not in text, path
