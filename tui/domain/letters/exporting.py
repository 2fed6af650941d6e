"""Writing a signed letter to a folder: PDF, plain text or a MedCom FHIR message."""
from __future__ import annotations

import json
import re
from pathlib import Path

from tui.domain import audit, auth, clock, settings
from tui.domain.letters.kinds import LetterError
from tui.domain.letters.rendering import letter_text, pdf_bytes
from tui.domain.letters.workflow import reload
from tui.domain.private import strip_controls, write_private
from tui.i18n import _
from tui.models import Letter, Staff

EXPORT_FORMATS = ("pdf", "txt", "fhir")


def export_filename(letter: Letter, fmt: str) -> str:
    """'henvisning-42-aaberg-2026-11-26.pdf': no CPR number in a file name."""
    from tui.domain.names import normalize

    last = re.sub(r"[^a-z0-9]+", "-", normalize(letter.patient.last_name)).strip("-") or "patient"
    day = (clock.to_local(letter.signed_at) or clock.now_local()).date().isoformat()
    ext = {"pdf": "pdf", "txt": "txt", "fhir": "json"}[fmt]
    return f"{letter.kind}-{letter.id}-{last}-{day}.{ext}"


def export_folder(folder: str | Path) -> Path:
    """The folder, created (private: 0700) when it does not exist yet."""
    path = Path(folder).expanduser()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise LetterError(_("The folder cannot be made: {folder} ({why})").format(
            folder=str(path), why=exc.strerror or exc)) from None
    if not path.is_dir():
        raise LetterError(_("The folder does not exist: {folder}").format(folder=str(path)))
    return path


def export(user: Staff, letter: Letter | int, fmt: str, folder: str | Path) -> Path:
    """Write a signed letter to `folder` (PDF, plain text or MedCom FHIR JSON). Writing a
    file is not sending it: `mark_sent` records that. Audited."""
    auth.require(user, "letter.send")
    if fmt not in EXPORT_FORMATS:
        raise LetterError(_("Unknown format: {fmt}").format(fmt=fmt))
    row = reload(letter)
    if row.status not in ("signed", "sent"):
        raise LetterError(_("Only a signed letter can be exported."))
    if fmt == "fhir" and row.recipient_id is None:
        raise LetterError(_("The letter has no recipient."))
    if fmt == "fhir":
        from tui.domain import fhir

        try:
            bundle = fhir.message_for(row, settings.clinic())
        except fhir.FhirError as exc:
            raise LetterError(_("The MedCom message cannot be made: {why}").format(why=exc)) from None
        found = fhir.problems(bundle)
        if found:
            raise LetterError("; ".join(found))
        data = strip_controls(json.dumps(bundle, ensure_ascii=False, indent=2)).encode("utf-8")
    elif fmt == "pdf":
        data = pdf_bytes(row)
    else:
        data = strip_controls(letter_text(row)).encode("utf-8")
    target = export_folder(folder) / export_filename(row, fmt)
    write_private(target, data)
    audit.log("letter_exported", user, patient=row.patient_id,
              detail=f"letter {row.id} as {fmt} to {target}")
    return target
