"""The assessment PDF: every heading and answer in the text, Greek intact, PDF/A-1b
identification and metadata, fonts embedded, ``qpdf --check`` clean, deterministic bytes.

Text is read back with pypdf and compared with all whitespace removed: the layout wraps
lines (inside table cells too) wherever it must, and pypdf's plain mode breaks lines where
the script changes (Greek to Latin); neither is part of what an answer says.
"""

from __future__ import annotations

import calendar
import io
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from shopguard.assessments import pdf_risks, rules
from shopguard.assessments.document import Document
from shopguard.assessments.pdf import render_pdf, render_pdf_bytes
from shopguard.assessments.pdf_meta import document_id, metadata
from shopguard.assessments.templates import Question, examples, load_template
from tests.assessments.pdf_documents import dpia_document, lia_document

ROOT = Path(__file__).resolve().parents[2]
SUGGESTED = "(suggested by ShopGuard from your shop's data)"


@pytest.fixture(scope="module")
def lia(qapp: Any) -> bytes:
    """The LIA rendered once (qapp: a QApplication, so widget tests can follow)."""
    return render_pdf_bytes(lia_document())


@pytest.fixture(scope="module")
def dpia(qapp: Any) -> bytes:
    """The DPIA (six risks, one High after measures) rendered once."""
    return render_pdf_bytes(dpia_document())


@pytest.fixture(scope="module")
def lia_text(lia: bytes) -> str:
    """The LIA's text (pypdf is the slow part of these tests: read each PDF once)."""
    return pdf_text(lia)


@pytest.fixture(scope="module")
def dpia_text(dpia: bytes) -> str:
    """The DPIA's text."""
    return pdf_text(dpia)


def squash(text: str) -> str:
    """Text without any whitespace."""
    return re.sub(r"\s+", "", text)


def pdf_text(data: bytes) -> str:
    """All pages' text, in order, header and footer included."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def body_text(data: bytes) -> str:
    """The pages' text without the header and footer, so an answer that runs on to the
    next page reads on."""
    chunks: list[str] = []

    def keep(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        baseline = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]  # points from the page's foot
        if 50 < baseline < 790:  # A4 is 842 pt; the header and footer sit outside
            chunks.append(text)

    for page in PdfReader(io.BytesIO(data)).pages:
        page.extract_text(visitor_text=keep)
    return " ".join(chunks)


def long_date(value: str) -> str:
    """ "2025-03-14" as "14 March 2025" (independent of the renderer's own formatter)."""
    day = date.fromisoformat(value)
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def expected(question: Question, value: Any) -> Iterator[str]:
    """The strings the PDF must show for one answer."""
    if value is None or value == "" or value == []:
        if question.type == "checklist":
            yield from (item.text for item in question.items)
        return
    if question.type == "text":
        yield from (line for line in value.split("\n") if line.strip())
    elif question.type == "yesno":
        yield "Yes" if value else "No"
    elif question.type == "choice":
        yield value
    elif question.type == "date":
        yield long_date(value)
    elif question.type == "person":
        yield from (p for p in (value["name"], value["role"]) if p)
        if value.get("date"):
            yield long_date(value["date"])
    elif question.type == "checklist":
        for item in question.items:
            yield ("\u2611" if item.id in value else "\u2610") + item.text
    elif question.type == "table":
        for row in value:
            for column in question.columns:
                cell = row.get(column.id)
                if isinstance(cell, dict):
                    yield from (cell[k] for k in ("name", "role") if cell.get(k))
                elif column.type == "date" and cell:
                    yield long_date(cell)
                elif column.type == "risk" and cell:
                    numbers = {r["id"]: n for n, r in enumerate(value_of_ref(question), 1)}
                    yield f"R{numbers[cell]}"
                elif cell:
                    yield str(cell)


_REF_ROWS: dict[str, list[dict[str, Any]]] = {}


def value_of_ref(question: Question) -> list[dict[str, Any]]:
    """The rows of the risks table a measures table points into (set per document)."""
    return _REF_ROWS[question.ref]


def assert_every_heading_and_answer(document: Document, data: bytes) -> None:
    flat = squash(body_text(data))
    _REF_ROWS.clear()
    for q in document.template.questions():
        if q.type == "table" and not q.ref:
            _REF_ROWS[q.key] = list(document.answers.get(q.key) or [])
    for n, section in enumerate(document.template.sections, start=1):
        assert squash(f"{n}. {section.title}") in flat, section.title
        for m, question in enumerate(section.questions, start=1):
            assert squash(f"{n}.{m}") in flat
            assert squash(question.prompt) in flat, question.prompt
            for shown in expected(question, document.answers.get(question.key)):
                if question.type == "table":  # a row may run on to the next page
                    assert in_order(shown, flat), (question.key, shown)
                else:
                    assert squash(shown) in flat, (question.key, shown)


def in_order(shown: str, flat: str, max_gap: int = 600) -> bool:
    """Each word of ``shown`` in ``flat`` (whitespace removed), in order, close together:
    a table row that breaks across pages has the other cells' text between its lines."""
    first, *rest = shown.split()
    start = flat.find(first)
    while start >= 0:
        position = start + len(first)
        for word in rest:
            found = flat.find(word, position)
            if found < 0 or found - position > max_gap:
                break
            position = found + len(word)
        else:
            return True
        start = flat.find(first, start + 1)
    return False


def test_lia_shows_every_heading_and_answer(lia: bytes, lia_text: str) -> None:
    document = lia_document()
    text = lia_text
    assert_every_heading_and_answer(document, lia)
    flat = squash(text)
    assert squash("Not answered") in flat  # purpose.unanswered
    assert squash(SUGGESTED) in flat  # balancing.since
    assert squash("Legitimate Interests Assessment (LIA)") in flat
    assert "{'name'" not in text  # people are written out, never as a dict
    assert "Prior consultation" not in text


def test_dpia_shows_every_heading_answer_and_the_risk_parts(dpia: bytes, dpia_text: str) -> None:
    document = dpia_document()
    text = dpia_text
    assert_every_heading_and_answer(document, dpia)
    flat = squash(text)
    for part in (
        "Contents",
        "Screening result: 3 criteria apply",
        "A DPIA is needed.",
        "Risk heat map",
        "Before measures",
        "After measures (residual risk)",
        "Action plan",
        "Record of this version",
        "Annex A. Evidence behind the suggestions",
        "Sources and licence",
        "Prior consultation with the regulator is required (UK GDPR / GDPR Article 36).",
        "Customers in small villages are easy to re-identify.",  # the override reason
        "High (grid: Low)",
    ):
        assert squash(part) in flat, part
    for risk in rules.risks(document.template, document.answers):
        assert squash(f"R{risk.number}{risk.description}") in flat
    for evidence in document.evidence:
        assert squash(f"{evidence.label}{evidence.value}14 March 2025, 10:32 UTC") in flat
    source = document.template.source
    for credit in (source.credit, source.licence, source.url):
        assert squash(credit) in flat


def test_greek_extracts_as_written(lia_text: str, dpia_text: str) -> None:
    for text in (lia_text, dpia_text):
        assert "Γιώργος Παπαδόπουλος" in text
        assert "Ελληνικά Βότανα" in text
        assert "Αθήνα" in text
    assert "Θεσσαλονίκη" in lia_text
    assert squash("Μαρία Κωνσταντίνου, Data lead") in squash(dpia_text)  # a narrow cell


def test_page_count_and_page_x_of_y_on_every_page(lia: bytes, dpia: bytes) -> None:
    for data, low, high in ((lia, 3, 6), (dpia, 5, 9)):
        pages = PdfReader(io.BytesIO(data)).pages
        assert low <= len(pages) <= high
        for number, page in enumerate(pages, start=1):
            assert f"Page {number} of {len(pages)}" in page.extract_text()
        for page in pages:
            box = page.mediabox
            assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4


def test_contents_give_the_page_of_each_section(dpia: bytes) -> None:
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(dpia)).pages]
    contents = squash(pages[1])
    for n, section in enumerate(dpia_document().template.sections, start=1):
        heading = squash(f"{n}. {section.title}")
        page = next(i for i, text in enumerate(pages[2:], start=3) if heading in squash(text))
        assert squash(f"{n}.{section.title}{page}") in contents


def test_metadata_and_pdfa_identification(dpia: bytes) -> None:
    document = dpia_document()
    reader = PdfReader(io.BytesIO(dpia))
    title, author, subject = metadata(document)
    info = reader.metadata
    assert info is not None
    assert info.title == title == "Cross-shop delivery-risk scoring (DPIA, version 1)"
    assert info.author == author == "Γιώργος Παπαδόπουλος"
    assert info.creator is not None and info.creator.startswith("ShopGuard")
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert xmp.dc_title == {"x-default": title}
    assert xmp.dc_creator == [author]
    assert xmp.dc_description == {"x-default": subject}
    assert "Data Protection Impact Assessment" in subject
    packet = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfaid:part="1"' in packet and 'pdfaid:conformance="B"' in packet
    assert f"uuid:{document_id(document)}" in packet
    assert dpia.startswith(b"%PDF-1.4")  # PDF/A-1 is based on PDF 1.4
    assert b"/OutputIntents" in dpia and b"/GTS_PDFA1" in dpia
    # The Info dictionary and the XMP packet carry the same creation moment.
    created = info["/CreationDate"][2:16]
    stamp = re.search(r'xmp:CreateDate="([^"]+)"', packet)
    assert stamp is not None and re.sub(r"\D", "", stamp.group(1))[:14] == created


def test_every_font_is_embedded(lia: bytes, dpia: bytes) -> None:
    for data in (lia, dpia):
        seen = set()
        for page in PdfReader(io.BytesIO(data)).pages:
            for font in page["/Resources"]["/Font"].values():
                font = font.get_object()
                descriptor = (
                    font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                    if "/DescendantFonts" in font
                    else font["/FontDescriptor"]
                ).get_object()
                assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font
                seen.add(font["/BaseFont"])
        # The bundled fonts, not whatever the machine has installed.
        assert seen <= {
            "/DejaVuSansShopGuard",
            "/DejaVuSansShopGuard-Bold",
            "/DejaVuSansShopGuard-Oblique",
        }, seen


def test_spaces_extract_as_spaces_and_no_ligatures(dpia_text: str) -> None:
    text = dpia_text
    assert "\t" not in text
    assert not re.search("[\ufb00-\ufb06]", text)
    assert "Identify and assess risks" in text


def test_no_text_hides_outside_the_page_body(dpia: bytes, qapp: Any) -> None:
    """Text is written only where it shows: in the body, or the header and footer (Qt
    would otherwise write a paragraph's other-page lines too, clipped but extractable)."""
    long = dpia_document()
    long_answers = dict(long.answers)
    long_answers["processing.nature"] = " ".join(
        f"Sentence {n} of a long answer." for n in range(400)
    )
    data = render_pdf_bytes(replace(long, answers=long_answers))
    title, kind = long.title, long.template.kind.upper()
    furniture = f"{long.organisation} · {title} · {kind} · Version 1 Data Protection Impact "
    furniture += "Assessment (DPIA) · Version 1"
    stray: list[str] = []

    def check(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        baseline = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        shown = text.strip()
        if not shown or 60 < baseline < 781 or re.fullmatch(r"Page \d+ of \d+", shown):
            return
        if shown not in furniture:
            stray.append(f"{baseline:.0f}: {text.strip()}")

    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        page.extract_text(visitor_text=check)
    assert stray == []
    sentences = squash(body_text(data))
    for n in range(150):  # each once, in order, across the page breaks
        assert sentences.count(squash(f"Sentence {n} of a long answer.")) == 1


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed (.ci/run does)")
def test_qpdf_finds_no_errors(lia: bytes, dpia: bytes, tmp_path: Path) -> None:
    for name, data in (("lia.pdf", lia), ("dpia.pdf", dpia)):
        path = tmp_path / name
        path.write_bytes(data)
        result = subprocess.run(
            ["qpdf", "--check", str(path)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No syntax or stream encoding errors" in result.stdout


def normalise(data: bytes) -> bytes:
    """The PDF with its creation and modification moments blanked, and without the
    cross-reference table (a date written as "Z" or "+02'00'" shifts every offset)."""
    data = data[: data.rindex(b"\nxref\n")]
    data = re.sub(rb"D:\d{14}(Z|[+-]\d\d'\d\d')?", b"D:-", data)
    return re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", b"-", data)


def test_same_document_same_bytes_apart_from_dates(dpia: bytes) -> None:
    again = render_pdf_bytes(dpia_document())
    assert normalise(again) == normalise(dpia)
    # Another process (another hash seed, fresh font caches) writes the same bytes too.
    script = (
        "import sys; from tests.assessments.pdf_documents import dpia_document; "
        "from shopguard.assessments.pdf import render_pdf_bytes; "
        "sys.stdout.buffer.write(render_pdf_bytes(dpia_document()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        check=True,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "", "TZ": "Europe/Athens"},
    )
    assert normalise(result.stdout) == normalise(dpia)
    # Written at +02:00 there: the Info dictionary and the XMP packet still agree.
    info = re.search(rb"/CreationDate \(D:(\d{14})\+02'00'\)", result.stdout)
    xmp = re.search(
        rb'xmp:CreateDate="(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\+02:00"', result.stdout
    )
    assert info is not None and xmp is not None
    assert info.group(1) == b"".join(xmp.groups())


def test_different_content_gets_a_different_document_id() -> None:
    assert document_id(dpia_document()) == document_id(dpia_document())
    assert document_id(dpia_document()) != document_id(dpia_document(high_residual=False))


def test_no_prior_consultation_statement_without_a_residual_high(qapp: Any) -> None:
    text = pdf_text(render_pdf_bytes(dpia_document(high_residual=False)))
    assert "Prior consultation" not in text
    assert squash("After measures: Low 3, Medium 3, High 0.") in squash(text)


def test_a_draft_says_so(qapp: Any) -> None:
    document = dpia_document()
    draft = Document(
        template=document.template,
        organisation=document.organisation,
        title=document.title,
        version=None,
        status="draft",
        completed_at=None,
        review_due=None,
        content_hash="",
        answers={"need.aims": "Σκοπός: scoring."},
    )
    text = pdf_text(render_pdf_bytes(draft))
    flat = squash(text)
    assert squash("This is a draft, not a completed version.") in flat
    assert squash("Not answered") in flat
    assert squash("No risks recorded.") in flat
    assert squash("Still open before it can be completed:") in flat
    assert squash("Σκοπός: scoring.") in flat


def test_render_pdf_writes_the_file(qapp: Any, tmp_path: Path) -> None:
    path = tmp_path / "out" / "lia.pdf"
    render_pdf(lia_document(), path)
    assert path.read_bytes().startswith(b"%PDF-1.4")
    assert [p.name for p in path.parent.iterdir()] == ["lia.pdf"]  # no temporary left


def test_after_measures_a_risk_moves_to_the_nearest_cell_of_its_residual_level() -> None:
    def risk(likelihood: str, severity: str, overall: str) -> rules.Risk:
        return rules.Risk("r", 1, "", likelihood, severity, overall, False, "")

    # Probable x Severe is High; Medium nearest keeps the severity: Remote x Severe.
    assert pdf_risks.residual_cell(risk("Probable", "Severe", "High"), "Medium") == (0, 2)
    # Probable x Significant is High; Low is one step down in severity.
    assert pdf_risks.residual_cell(risk("Probable", "Significant", "High"), "Low") == (2, 0)
    # Unchanged level, or nothing placed: stays where it was.
    assert pdf_risks.residual_cell(risk("Possible", "Minimal", "Low"), "Low") == (1, 0)
    assert pdf_risks.residual_cell(risk("", "Minimal", "Low"), "Low") is None


def test_shipped_examples_render(qapp: Any) -> None:
    """Each worked example that ships (when the template files are there) renders cleanly."""
    try:
        shipped = examples()
    except Exception as exc:  # the template files are data another change may be writing
        pytest.skip(f"shipped examples do not load: {exc}")
    if not shipped:
        pytest.skip("no worked examples ship yet")
    for example in shipped:
        template = load_template(example.template)
        document = Document(
            template=template,
            organisation="Example shop",
            title=example.title,
            version=None,
            status="draft",
            completed_at=None,
            review_due=None,
            content_hash="",
            answers=example.answers,
            prior_consultation=rules.needs_prior_consultation(template, example.answers),
        )
        assert_every_heading_and_answer(document, render_pdf_bytes(document))
