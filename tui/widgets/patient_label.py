"""A patient as one line of a dialog: 'Name  DDMMYY-xxxx'. Never markup."""
from __future__ import annotations

from rich.text import Text

from tui.domain.cpr import format_cpr


def masked_cpr(cpr: str) -> str:
    try:
        return format_cpr(cpr, masked=True)
    except ValueError:
        return cpr[:6] + "-xxxx"


def patient_line(patient, *, bold: bool = True) -> Text:
    text = Text(patient.full_name, style="bold" if bold else "")
    text.append(f"  {masked_cpr(patient.cpr)}")
    return text
