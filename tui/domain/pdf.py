"""PDF output with the clinic's letterhead, Danish letters and "Side x af y" page numbers.

fpdf2 does the drawing. Archival documents (letters) embed the Unicode TrueType font
DejaVu Sans (Debian package fonts-dejavu-core), so any name prints as written, and are
made as PDF/A-2U where the font is there; they carry the patient's name and CPR number on
every page. Quick lists may use the PDF core font Helvetica (latin-1) when their text
allows it.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fpdf import FPDF

from tui.domain.private import write_private

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    "C:/Windows/Fonts",
)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FONT_FAMILY = "DejaVu"
CORE_FAMILY = "Helvetica"


def find_unicode_font() -> dict[str, str] | None:
    """Paths of the regular and bold DejaVu Sans files, or None when they are not installed."""
    override = os.environ.get("SKRANKE_PDF_FONT_DIR")
    dirs = ((override,) if override else ()) + FONT_DIRS
    for folder in dirs:
        paths = {style: os.path.join(folder, name) for style, name in FONT_FILES.items()}
        if all(os.path.isfile(p) for p in paths.values()):
            return paths
    return None


_TYPOGRAPHY = {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
               "\u201d": '"', "\u2026": "...", "\u2022": "*", "\u20ac": "EUR"}


def needs_unicode(*texts: Any) -> bool:
    """True when some text has a letter the core font cannot draw (ł, ş, Cyrillic...)."""
    for text in texts:
        for ch in str(text or ""):
            if ord(ch) > 0xFF and ch not in _TYPOGRAPHY:
                return True
    return False


def _latin1(text: str) -> str:
    """Text the core font can draw: latin-1, with typographic marks replaced."""
    text = "".join(_TYPOGRAPHY.get(ch, ch) for ch in text)
    return text.encode("latin-1", "replace").decode("latin-1")


class FontMissing(RuntimeError):
    """The Unicode font an archival PDF needs is not installed."""


class ClinicPDF(FPDF):
    """An A4 page with the clinic's letterhead at the top and "Side x af y" at the bottom.

    The letterhead is the clinic's name, then its "letterhead" setting (one or more lines)
    or, when that is empty, the address and phone; then the SOR and EAN numbers."""

    def __init__(self, clinic: dict[str, Any], title: str = "", *, font_paths: dict[str, str] | None = None,
                 use_unicode: bool | None = None, text: Iterable[str] = (),
                 running_head: str = "", archival: bool = False) -> None:
        """`use_unicode`: True = the TrueType font, False = the core font, None = the
        TrueType font only when `text` (all the document will say) needs it: the core font
        draws Danish text and is about ten times faster to embed. `archival`: the
        TrueType font and PDF/A-2U; refused (FontMissing) when the font is not installed.
        `running_head` (the patient's name and CPR) is printed at the top of every page."""
        paths = font_paths if font_paths is not None else (
            find_unicode_font() if (use_unicode or archival or use_unicode is None) else None)
        if archival and not paths:
            raise FontMissing("DejaVu Sans is not installed (Debian: fonts-dejavu-core)")
        super().__init__(orientation="P", unit="mm", format="A4",
                         enforce_compliance="PDFA_2U" if archival else None)
        self.clinic = dict(clinic or {})
        self.doc_title = title
        self.running_head = running_head
        if archival:
            use_unicode = True
        if use_unicode is None:
            use_unicode = needs_unicode(title, *self.clinic.values(), *text, running_head)
        if use_unicode and paths:
            for style, path in paths.items():
                self.add_font(FONT_FAMILY, style, path)
            self.family = FONT_FAMILY
            self.unicode = True
        else:
            self.family = CORE_FAMILY
            self.unicode = False
        self.set_title(self.safe(title))
        self.set_author(self.safe(self.clinic.get("name", "")))
        self.set_creator("Skranke")
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=22)
        self.alias_nb_pages("{nb}")

    # Text the chosen font can draw.
    def safe(self, value: Any) -> str:
        value = "" if value is None else str(value)
        return value if self.unicode else _latin1(value)

    def header(self) -> None:
        clinic = self.clinic
        name = clinic.get("name") or ""
        self.set_font(self.family, "B", 13)
        self.cell(0, 6, self.safe(name), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 8.5)
        place = " ".join(p for p in (clinic.get("postcode", ""), clinic.get("city", "")) if p)
        parts = [clinic.get("address", ""), place]
        if clinic.get("phone"):
            parts.append(f"Tlf. {clinic['phone']}")
        line = " · ".join(p for p in parts if p)
        extra = str(clinic.get("letterhead") or "").strip()
        for text_line in (extra.splitlines() if extra else [line]):
            # a letterhead setting that starts with the clinic's name would print it twice
            text_line = text_line.strip()
            if name.strip() and text_line.casefold().startswith(name.strip().casefold()):
                text_line = text_line[len(name.strip()):].lstrip(" ·,-|")
            if text_line:
                self.cell(0, 4.5, self.safe(text_line), new_x="LMARGIN", new_y="NEXT")
        ids = []
        if clinic.get("sor"):
            ids.append(f"SOR {clinic['sor']}")
        if clinic.get("ean"):
            ids.append(f"EAN {clinic['ean']}")
        if ids:
            self.cell(0, 4.5, self.safe(" · ".join(ids)), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(120, 120, 120)
        y = self.get_y() + 1.5
        self.line(self.l_margin, y, self.w - self.r_margin, y)
        self.set_y(y + 2)
        if self.running_head:
            self.set_font(self.family, "B", 9)
            self.cell(0, 5, self.safe(self.running_head), align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_y(self.get_y() + 3)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(self.family, "", 8.5)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"Side {self.page_no()} af {{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    # Building blocks the callers use.
    def heading(self, text: str, size: float = 12) -> None:
        self.set_font(self.family, "B", size)
        self.multi_cell(0, 6, self.safe(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def paragraph(self, text: str, size: float = 10, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        body = self.safe(text)
        if not body.strip():
            self.ln(4.5)
            return
        self.multi_cell(0, 5, body, new_x="LMARGIN", new_y="NEXT")

    def key_values(self, rows: Iterable[tuple[str, str]], size: float = 9.5) -> None:
        label_w = 42
        for label, value in rows:
            self.set_font(self.family, "B", size)
            self.cell(label_w, 5, self.safe(label))
            self.set_font(self.family, "", size)
            self.multi_cell(0, 5, self.safe(value) or "-", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)


def render_document(path: str | os.PathLike[str], title: str, *, clinic: dict[str, Any],
                    meta: Iterable[tuple[str, str]] = (), body: str = "",
                    lines: Iterable[str] | None = None, date: dt.date | None = None,
                    use_unicode: bool | None = None) -> Path:
    """Write a PDF: letterhead, an optional date line, title, key/value block and body."""
    meta = list(meta)
    lines = list(lines) if lines is not None else None
    sample = [body, *(v for pair in meta for v in pair), *(lines or [])]
    pdf = ClinicPDF(clinic, title, use_unicode=use_unicode, text=sample)
    pdf.add_page()
    if date is not None:
        pdf.set_font(pdf.family, "", 9.5)
        city = (clinic or {}).get("city") or ""
        stamp = f"{city + ', ' if city else ''}{date.strftime('%d.%m.%Y')}"
        pdf.cell(0, 5, pdf.safe(stamp), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    if title:
        pdf.heading(title)
    if meta:
        pdf.key_values(meta)
    if body:
        for para in body.split("\n"):
            pdf.paragraph(para)
    if lines is not None:
        for line in lines:
            pdf.paragraph(line)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_private(target, bytes(pdf.output()))  # patient data: private (tui.domain.private)
    return target


def write_simple_pdf(path: str | os.PathLike[str], title: str, lines: Iterable[str],
                     clinic: dict[str, Any]) -> Path:
    """A plain list (for example the day's appointments) on letterhead paper.

    `lines` are printed one under the other; an empty string leaves a blank line.
    Returns the path written.
    """
    return render_document(path, title, clinic=clinic, lines=list(lines))
