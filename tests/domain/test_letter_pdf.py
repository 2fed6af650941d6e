"""PDF output: Danish letters survive, the letterhead and page numbers are there."""
from __future__ import annotations

from pypdf import PdfReader

from tui.domain import letters, pdf


def _text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def test_a_letter_pdf_has_the_patient_name_with_ae_oe_aa(staff, patient, org, clinic, tmp_path):
    letter = letters.create_letter(staff["doctor"], patient, "henvisning", recipient=org,
                                   fields={"diagnosis_text": "Knæartrose", "question": "Operation?"})
    letters.sign(staff["doctor"], letter)
    path = letters.export(staff["secretary"], letter, "pdf", tmp_path)
    text = _text(path)
    assert "Søren Ærø Åberg" in text
    assert "Lægehuset Ærøskøbing" in text  # letterhead
    assert "Medicinsk Afdeling M, Demo Sygehus" in text  # recipient
    assert "Knæartrose" in text
    assert "Lars Læge" in text  # signature
    assert "Side 1 af 1" in text


def test_page_numbers_count_all_pages(database, clinic, tmp_path):
    lines = [f"{i:03d} Åse Ørsted Æbelø" for i in range(150)]
    path = pdf.write_simple_pdf(tmp_path / "dag.pdf", "Dagsliste torsdag", lines, clinic)
    reader = PdfReader(str(path))
    n = len(reader.pages)
    assert n >= 3
    assert f"Side 1 af {n}" in reader.pages[0].extract_text()
    assert f"Side {n} af {n}" in reader.pages[-1].extract_text()
    assert "149 Åse Ørsted Æbelø" in _text(path)


def test_the_core_font_fallback_keeps_danish_letters(database, clinic, tmp_path):
    path = pdf.render_document(tmp_path / "x.pdf", "Brev – test", clinic=clinic,
                               lines=["Søren Ærø Åberg"], use_unicode=False)
    text = _text(path)
    assert "Søren Ærø Åberg" in text and "Brev - test" in text


def test_a_letter_renders_again_and_again_the_same(staff, patient, org, clinic, tmp_path):
    # The speed of this is measured in benchmarks/bench_letters.py, not here: an archival
    # PDF embeds (a subset of) DejaVu Sans, about 0.3 s of font parsing per document.
    letter = letters.create_letter(staff["doctor"], patient, "epikrise", recipient=org)
    texts = set()
    for i in range(2):
        body = letters.prefill_body(letter)
        assert body.ok
        texts.add(_text(letters.write_pdf(letter, tmp_path / f"{i}.pdf")))
    assert len(texts) == 1


def test_a_name_outside_latin1_uses_the_unicode_font(database, clinic, tmp_path):
    import pytest

    if pdf.find_unicode_font() is None:
        pytest.skip("fonts-dejavu-core is not installed")
    assert pdf.needs_unicode("Łukasz") and not pdf.needs_unicode("Søren Ærø Åberg – ok")
    path = pdf.write_simple_pdf(tmp_path / "u.pdf", "Brev", ["Łukasz Świątek, Søren"], clinic)
    assert "Łukasz Świątek, Søren" in _text(path)


def test_an_epikrise_for_ayse_sahin_is_archival(staff, patient, org, clinic, tmp_path):
    """Issue 20, point 4: any name prints (DejaVu embedded, PDF/A-2U), the patient's name and
    CPR are on every page, the letterhead and the greeting come once each."""
    from pypdf import PdfReader

    from tui.domain import settings

    settings.put("clinic", {**clinic, "letterhead": f"{clinic['name']} · Østergade 1 · 5970 Ærøskøbing"})
    patient.first_name, patient.last_name = "Ayşe", "Şahin"
    patient.save()
    course = "\n".join(f"Dag {i}: feber aftagende – CRP faldende." for i in range(1, 70))
    letter = letters.create_letter(staff["doctor"], patient, "epikrise", recipient=org, fields={
        "follow_up": "ja", "admitted": "1.11.2026", "discharged": "i går", "diagnoses": "Pneumoni",
        "course": course, letters.FREE_TEXT: "Med venlig hilsen"})
    letters.sign(staff["doctor"], letter)
    path = letters.write_pdf(letter, tmp_path / "e.pdf")
    reader = PdfReader(str(path))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 2
    for text in pages:
        assert "Ayşe Şahin, CPR 010203-1234" in text
        assert text.startswith("Lægehuset Ærøskøbing\nØstergade 1 · 5970 Ærøskøbing\n")
    whole = "\n".join(pages)
    assert "Udskrevet: 25.11.2026" in whole and "i går" not in whole
    assert whole.count("Med venlig hilsen") == 1 and "feber aftagende – CRP" in whole
    fonts = {str(f["/BaseFont"]) for p in reader.pages for f in p["/Resources"]["/Font"].values()}
    assert all("DejaVu" in f for f in fonts)
    assert b"pdfaid:part" in path.read_bytes() or b"pdfaid" in path.read_bytes()
