"""A letter laid out for output (LetterDoc): as plain text and as an archival PDF."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tui.domain import clock
from tui.domain.letters.composing import letter_context
from tui.domain.letters.kinds import LetterError, kind_spec, needs_signature
from tui.domain.letters.merge import clinic_for_print, staff_context
from tui.domain.private import write_private
from tui.i18n import _
from tui.models import Letter, Organization

if TYPE_CHECKING:
    from tui.domain.pdf import ClinicPDF


@dataclass
class LetterDoc:
    """A letter laid out for output: the same parts for text, PDF and the preview."""

    title: str
    place_date: str
    recipient_lines: list[str]
    meta: list[tuple[str, str]]
    subject: str
    body: str
    signature: list[str]
    notes: list[str] = field(default_factory=list)


def letter_doc(letter: Letter, *, fields: dict[str, Any] | None = None, body: str | None = None,
               subject: str | None = None, recipient: Organization | None | Literal[False] = False,
               masked_cpr: bool = False) -> LetterDoc:
    """Lay out a letter (or the editor's unsaved version of it)."""
    org = letter.recipient if recipient is False else recipient
    ctx = letter_context(letter, fields=fields, recipient=org, masked_cpr=masked_cpr)
    clinic, patient = ctx["clinic"], ctx["patient"]
    spec = kind_spec(letter.kind)
    signed = clock.to_local(letter.signed_at)
    when = signed.date() if signed else clock.today()
    place = clinic.get("city") or ""
    recipient_lines: list[str] = []
    if letter.kind == "indkaldelse" and org is None:
        recipient_lines = [patient["name"], patient["address"],
                           f"{patient['postcode']} {patient['city']}".strip()]
    elif ctx["recipient"]:
        r = ctx["recipient"]
        recipient_lines = [r["name"], r["address"], f"{r['postcode']} {r['city']}".strip()]
        if r["sor"]:
            recipient_lines.append(f"SOR {r['sor']}")
    recipient_lines = [line for line in recipient_lines if line]
    meta = [("Patient", patient["name"]), ("CPR", patient["cpr"])]
    address = ", ".join(p for p in (patient["address"],
                                     f"{patient['postcode']} {patient['city']}".strip()) if p)
    if address:
        meta.append(("Adresse", address))
    if patient["phone"]:
        meta.append(("Telefon", patient["phone"]))
    if letter.kind == "henvisning":
        meta.append(("Prioritet", ctx["priority_text"]))
    if letter.kind == "korrespondance":
        meta.append(("Kategori", ctx["category_text"]))
    doctor = letter.signer if letter.signer_id else None
    signature = []
    if doctor is not None:
        sc = staff_context(doctor)
        signature = [sc["name"], sc["title"]]
        if sc["authorisation_id"]:
            signature.append(f"Autorisations-ID {sc['authorisation_id']}")
    else:
        signature = (["(ikke underskrevet)"] if needs_signature(letter.kind)
                     else [clinic.get("name", "")])
    notes = []
    if letter.replaces_id:
        old = letter.replaces
        sent_at = clock.to_local(old.sent_at)
        sent = sent_at.strftime("%d.%m.%Y") if sent_at else ""
        notes.append(f"Erstatter brev nr. {old.id}" + (f" sendt {sent}" if sent else "") + ".")
    return LetterDoc(
        title=spec.title,
        place_date=f"{place + ', ' if place else ''}{when.strftime('%d.%m.%Y')}",
        recipient_lines=recipient_lines, meta=meta,
        subject=(subject if subject is not None else letter.subject),
        body=(body if body is not None else letter.body).rstrip("\n"),
        signature=[s for s in signature if s], notes=notes)


def doc_text(doc: LetterDoc, clinic: dict[str, Any] | None = None) -> str:
    """The letter as plain text (letterhead first when `clinic` is given)."""
    lines: list[str] = []
    if clinic is not None:
        lines.append(clinic.get("name", ""))
        addr = ", ".join(p for p in (clinic.get("address", ""),
                                      f"{clinic.get('postcode', '')} {clinic.get('city', '')}".strip()) if p)
        if addr:
            lines.append(addr)
        if clinic.get("phone"):
            lines.append(f"Tlf. {clinic['phone']}")
        lines.append("")
    lines.extend(doc.recipient_lines)
    lines.append("")
    lines.append(doc.place_date.rjust(60) if doc.place_date else "")
    lines.append("")
    lines.append(doc.title.upper())
    if doc.subject:
        lines.append(f"Emne: {doc.subject}")
    lines.append("")
    width = max(len(k) for k, _v in doc.meta) if doc.meta else 0
    for key, value in doc.meta:
        lines.append(f"{key + ':':<{width + 2}}{value}")
    lines.extend(doc.notes)
    lines.append("")
    lines.append(doc.body)
    lines.append("")
    lines.extend(closing_lines(doc))
    return "\n".join(lines).rstrip() + "\n"


GREETING = "Med venlig hilsen"


def closing_lines(doc: LetterDoc) -> list[str]:
    """The greeting and the signature; no second greeting when the text ends with one."""
    tail = [line.strip().casefold().rstrip(",.") for line in doc.body.strip().splitlines()[-3:]]
    greeting = [] if GREETING.casefold() in tail else [GREETING]
    return greeting + list(doc.signature)


def letter_text(letter: Letter) -> str:
    return doc_text(letter_doc(letter), clinic_for_print())


def _letter_pdf(letter: Letter) -> ClinicPDF:
    from tui.domain.pdf import ClinicPDF, FontMissing

    clinic = clinic_for_print()
    doc = letter_doc(letter)
    patient = dict(doc.meta)
    head = f"{patient.get('Patient', '')}, CPR {patient.get('CPR', '')}"
    try:
        pdf = ClinicPDF(clinic, f"{doc.title} – {doc.subject}", running_head=head, archival=True)
    except FontMissing as exc:
        raise LetterError(_("The PDF cannot be made: {why}").format(why=exc)) from None
    pdf.set_lang("da")
    pdf.set_subject(doc.title)
    # the same letter gives the same bytes: a re-exported MedCom message is identical
    made = letter.signed_at or letter.updated_at or clock.now_utc()
    pdf.set_creation_date(made.replace(tzinfo=dt.timezone.utc))
    ident = hashlib.md5(f"skranke-letter-{letter.id}-{made.isoformat()}".encode()).hexdigest().upper()
    # fpdf2 asks this method for the /ID; overriding it is its documented way
    pdf.file_id = lambda: f"<{ident}><{ident}>"  # type: ignore[method-assign]
    pdf.add_page()
    pdf.set_font(pdf.family, "", 10)
    top = pdf.get_y()
    for line in doc.recipient_lines:
        pdf.cell(100, 5, pdf.safe(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(pdf.l_margin, top)
    pdf.cell(0, 5, pdf.safe(doc.place_date), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + 5 * len(doc.recipient_lines)) + 6)
    pdf.heading(doc.title)
    if doc.subject:
        pdf.paragraph(f"Emne: {doc.subject}", bold=True)
        pdf.ln(2)
    pdf.key_values(doc.meta)
    for note in doc.notes:
        pdf.paragraph(note, bold=True)
    for para in doc.body.split("\n"):
        pdf.paragraph(para)
    pdf.ln(6)
    for line in closing_lines(doc):
        pdf.paragraph(line)
    return pdf


def write_pdf(letter: Letter, path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_private(target, pdf_bytes(letter))  # patient data: private (tui.domain.private)
    return target


def pdf_bytes(letter: Letter) -> bytes:
    """The letter as an archival PDF, in memory (for a file or a MedCom attachment).
    The same letter version gives the same bytes (a re-sent message is identical)."""
    data = bytes(_letter_pdf(letter).output())
    # fpdf2 stamps the XMP metadata with the time of writing; use the creation time (the
    # same length, so the cross-reference offsets stay right)
    created = re.search(rb'xmp:CreateDate="([^"]*)"', data)
    if created:
        stamp = created.group(1)
        data = re.sub(rb'(xmp:(?:ModifyDate|MetadataDate)=")([^"]*)(")',
                      lambda m: m.group(1) + (stamp if len(stamp) == len(m.group(2))
                                              else m.group(2)) + m.group(3), data)
    return data
