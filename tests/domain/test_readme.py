"""The README's demo users are the demo clinic's users."""
from __future__ import annotations

from pathlib import Path

from tui import demo

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_lists_every_demo_user_with_the_password():
    assert f"`{demo.PASSWORD}`" in README
    for username, full_name, role, _initials, _auth in demo.STAFF:
        assert f"| `{username}` | {role} | {full_name} |" in README
