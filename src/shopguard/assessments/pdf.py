"""The assessment as a PDF/A-1b for the regulator: A4, fonts embedded, the same every time.

Rendered with QtGui only (``QTextDocument`` laid out on ``QPdfWriter`` pages by a
``QPainter``); a ``QGuiApplication`` is created when there is none (offscreen works). The
body comes from ``pdf_html`` (title page, contents, numbered sections, risk register and
heat maps, action plan, sign-off, evidence annex, credits); this module lays it out, keeps
headings with what follows them and small tables on one page, fills in the contents' page
numbers, and draws the header and the "Page X of Y" footer on every page.

Output is deterministic for the same ``Document`` apart from the creation and modification
dates (Info dictionary and XMP, which ``pdf_meta`` keeps equal): the document id is derived
from the content, the fonts are bundled (``shopguard/resources/fonts``, see its README for
why they are patched and renamed), and Qt's hash seed is fixed while painting so its font
objects come out in the same order in every process.

Qt writes every line of a paragraph that touches a page and leaves the clipping to the
viewer; paragraphs are therefore split where a page ends, so each page's text layer holds
only what shows on it (search, copy and text extraction see each line once).
"""

from __future__ import annotations

import math
import os
import sys
import uuid
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QHashSeed,
    QIODevice,
    QMarginsF,
    QPointF,
    QRectF,
    QSizeF,
    Qt,
    QUuid,
    qVersion,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPalette,
    QPdfWriter,
    QPen,
    QTextBlock,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextOption,
    QTextTable,
)

from shopguard.assessments import pdf_html, pdf_meta
from shopguard.assessments.document import Document
from shopguard.pyside_fix import protect_singletons

FONT_FILES = (
    "DejaVuSansShopGuard.ttf",
    "DejaVuSansShopGuard-Bold.ttf",
    "DejaVuSansShopGuard-Oblique.ttf",
)
RESOLUTION = 96  # device units per inch: CSS pixels, which Qt applies unscaled to some margins
_MARGINS_MM = (20.0, 22.0, 20.0, 22.0)  # left, top, right, bottom
_BODY_PT = 9.5
_KEEP_TABLE_FRACTION = 0.6  # tables smaller than this part of a page are not split
_app: QGuiApplication | None = None


class PdfError(RuntimeError):
    """The PDF could not be produced (no GUI application possible, fonts missing)."""


def render_pdf(document: Document, path: Path) -> None:
    """Write ``document`` as a PDF/A-1b file at ``path`` (replaced atomically)."""
    data = render_pdf_bytes(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")  # the umask's permissions
    try:
        with open(tmp, "xb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def render_pdf_bytes(document: Document) -> bytes:
    """The PDF/A-1b bytes of ``document``.

    Raises:
        PdfError: Qt cannot render here (a non-GUI application exists, fonts missing).
    """
    ensure_gui_application()
    family = register_fonts()
    data = b""
    for _attempt in range(3):
        data, stamp = _render(document, family)
        # Qt dates the Info dictionary itself; the XMP packet must carry the same moment.
        if pdf_meta.info_date(data) == stamp.pdf:
            break
    return data


def ensure_gui_application() -> QGuiApplication:
    """The running QGuiApplication, created (offscreen-safe) when there is none.

    Raises:
        PdfError: a non-GUI QCoreApplication runs in this process.
    """
    global _app
    protect_singletons()  # PySide6 6.12 on Python 3.11: see shopguard.pyside_fix
    existing = QGuiApplication.instance()
    if existing is None:
        headless = not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
        if sys.platform.startswith("linux") and headless:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _app = QGuiApplication(["shopguard-pdf"])
        return _app
    if not isinstance(existing, QGuiApplication):
        raise PdfError("PDF export needs a QGuiApplication, but a QCoreApplication runs.")
    return existing


@cache
def register_fonts() -> str:
    """Register the bundled fonts with Qt (once) and return their family name.

    Raises:
        PdfError: a font file is missing or Qt refuses it.
    """
    folder = resources.files("shopguard.resources") / "fonts"
    families: set[str] = set()
    for name in FONT_FILES:
        entry = folder / name
        if not entry.is_file():
            raise PdfError(f"The bundled font {name} is missing.")
        font_id = QFontDatabase.addApplicationFontFromData(QByteArray(entry.read_bytes()))
        if font_id < 0:
            raise PdfError(f"Qt could not load the bundled font {name}.")
        families.update(QFontDatabase.applicationFontFamilies(font_id))
    if len(families) != 1:
        raise PdfError(f"The bundled fonts name unexpected families: {sorted(families)}")
    return families.pop()


@dataclass(frozen=True)
class _Page:
    """Page geometry in device units."""

    width: float
    height: float
    left: float
    top: float
    body_width: float
    body_height: float


def _render(document: Document, family: str) -> tuple[bytes, pdf_meta.Stamp]:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPdfVersion(QPagedPaintDevice.PdfVersion.PdfVersion_A1b)
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
            QPageLayout.Unit.Millimeter,
        )
    )
    title, author, _subject = pdf_meta.metadata(document)
    doc_id = pdf_meta.document_id(document)
    writer.setTitle(title)
    writer.setAuthor(author)
    writer.setCreator(pdf_meta.CREATOR)
    writer.setDocumentId(QUuid(str(doc_id)))

    page = _geometry(writer)
    text = _layout(document, family, writer, page)
    stamp = pdf_meta.stamp()  # just before painting begins: Qt stamps the Info dictionary
    xmp = pdf_meta.xmp(document, stamp.xmp, doc_id, f"Qt {qVersion()}")
    writer.setDocumentXmpMetadata(QByteArray(xmp))
    painter = QPainter()
    # Qt keeps the PDF's fonts in a hash and writes them in its iteration order: with a
    # fixed seed while painting, the objects come out in the same order in every process.
    QHashSeed.setDeterministicGlobalSeed()
    try:
        if not painter.begin(writer):
            raise PdfError("Qt could not start writing the PDF.")
        try:
            _paint(painter, writer, text, page, document, family)
        finally:
            painter.end()
    finally:
        QHashSeed.resetRandomGlobalSeed()
    buffer.close()
    return bytes(buffer.data().data()), stamp


def _geometry(writer: QPdfWriter) -> _Page:
    per_mm = RESOLUTION / 25.4
    width, height = float(writer.width()), float(writer.height())
    left, top, right, bottom = (m * per_mm for m in _MARGINS_MM)
    # Whole device units: Qt places lines in 1/64ths, so a page boundary that is not a
    # whole number leaves the first line of a page a hair across it (drawn on both pages).
    body_height = float(math.floor(height - top - bottom))
    return _Page(width, height, left, top, width - left - right, body_height)


def _layout(document: Document, family: str, writer: QPdfWriter, page: _Page) -> QTextDocument:
    body, _entries = pdf_html.build(document)
    text = QTextDocument()
    text.documentLayout().setPaintDevice(writer)
    text.setUseDesignMetrics(True)
    text.setDefaultFont(_font(family, _BODY_PT))
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    text.setDefaultTextOption(option)
    text.setDefaultStyleSheet(pdf_html.STYLE)
    text.setDocumentMargin(0)
    text.setPageSize(QSizeF(page.body_width, page.body_height))
    text.setHtml(body)
    _keep_together(text, page.body_height)
    _split_at_page_ends(text, page.body_height)
    _fill_contents(text, page.body_height)
    return text


def _font(family: str, points: float) -> QFont:
    """The body font: no ligatures, so "fi" extracts as two letters, not U+FB01."""
    font = QFont(family)
    font.setPointSizeF(points)
    for tag in ("liga", "clig"):
        font.setFeature(QFont.Tag(tag), 0)
    return font


def _keep_together(text: QTextDocument, page_height: float) -> None:
    """Move headings that would end a page, and small tables that would straddle two, on.

    One fix at a time, top to bottom: each one moves everything after it.
    """
    layout = text.documentLayout()
    pending = _small_tables(text, page_height)
    block = text.begin()
    while True:  # each heading and each table is moved at most once
        while block.isValid():
            if _heading_ends_page(layout, block, page_height):
                _break_before(block)
            block = block.next()
        straddling = next((t for t in pending if _straddles(layout, t, page_height)), None)
        if straddling is None:
            return
        pending.remove(straddling)
        _break_before_table(text, straddling)
        block = text.begin()


def _straddles(layout: QAbstractTextDocumentLayout, table: QTextTable, page_height: float) -> bool:
    frame = layout.frameBoundingRect(table)
    return int(frame.top() // page_height) != int(frame.bottom() // page_height)


def _split_at_page_ends(text: QTextDocument, page_height: float) -> None:
    """Split every paragraph that runs on to another page, at each page's top.

    Qt draws all the lines of a paragraph that touches a page (clipping hides the others),
    so the lines of the other page would sit in this page's text, invisible but found by
    search and copied with the rest. Split, each paragraph lies on one page. A split moves
    nothing (the line after it already starts a page), so all are made in one edit.
    """
    layout = text.documentLayout()
    for _round in range(3):
        splits: list[int] = []
        block = text.begin()
        while block.isValid():
            lines = block.layout()
            if lines.lineCount() > 1:
                top = layout.blockBoundingRect(block).top()
                page = int((top + lines.lineAt(0).y()) // page_height)
                for index in range(1, lines.lineCount()):
                    line = lines.lineAt(index)
                    line_page = int((top + line.y() + 0.5) // page_height)
                    if line_page != page:
                        splits.append(block.position() + line.textStart())
                        page = line_page
            block = block.next()
        if not splits:
            return
        cursor = QTextCursor(text)
        cursor.beginEditBlock()
        for position in sorted(splits, reverse=True):
            cursor.setPosition(position)
            cursor.insertBlock()
        cursor.endEditBlock()


def _heading_ends_page(
    layout: QAbstractTextDocumentLayout, block: QTextBlock, page_height: float
) -> bool:
    """A heading whose next block starts on a later page (and that is not at a page top)."""
    fmt = block.blockFormat()
    if fmt.headingLevel() == 0:
        return False
    if fmt.pageBreakPolicy() & QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore:
        return False
    following = block.next()
    while _is_intro(following):  # a heading stays with its content, not just its intro
        following = following.next()
    if not following.isValid():
        return False
    top = layout.blockBoundingRect(block).top()
    below = layout.blockBoundingRect(following)
    first_line = following.layout().lineAt(0).height() if following.layout().lineCount() else 0
    return int((below.top() + first_line) // page_height) > int(top // page_height)


def _small_tables(text: QTextDocument, page_height: float) -> list[QTextTable]:
    layout = text.documentLayout()
    return [
        frame
        for frame in text.rootFrame().childFrames()
        if isinstance(frame, QTextTable)
        and layout.frameBoundingRect(frame).height() < page_height * _KEEP_TABLE_FRACTION
    ]


def _break_before_table(text: QTextDocument, table: QTextTable) -> None:
    """Start a new page before ``table``, or before the headings (and intro) right above it."""
    above = text.findBlock(table.firstPosition()).previous()
    top: QTextBlock | None = None
    while above.isValid() and (_is_heading(above) or _is_intro(above)):
        if _is_heading(above):
            top = above
        above = above.previous()
    if top is not None:
        _break_before(top)
        return
    fmt = table.format()
    fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
    table.setFormat(fmt)


def _is_heading(block: QTextBlock) -> bool:
    return block.isValid() and block.blockFormat().headingLevel() > 0


def _is_intro(block: QTextBlock) -> bool:
    """An italic paragraph right under a heading (or under another such): a section intro."""
    if not block.isValid() or block.length() <= 1:
        return False
    if not block.begin().fragment().charFormat().fontItalic():
        return False
    above = block.previous()
    return _is_heading(above) or _is_intro(above)


def _break_before(block: QTextBlock) -> None:
    cursor = QTextCursor(block)
    fmt = block.blockFormat()
    fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
    cursor.setBlockFormat(fmt)


def _fill_contents(text: QTextDocument, page_height: float) -> None:
    """Replace the contents' placeholders with the page each heading landed on."""
    layout = text.documentLayout()
    pages: dict[str, int] = {}
    slots: list[tuple[str, int]] = []  # (anchor, where its placeholder starts)
    block = text.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            for name in fragment.charFormat().anchorNames():
                if name.startswith("page-"):
                    slots.append((name.removeprefix("page-"), fragment.position()))
                else:
                    top = layout.blockBoundingRect(block).top()
                    pages[name] = int(top // page_height) + 1
            it += 1
        block = block.next()
    cursor = QTextCursor(text)
    cursor.beginEditBlock()  # one relayout for all of them
    for anchor, position in reversed(slots):
        cursor.setPosition(position)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        fmt = cursor.charFormat()
        cursor.insertText(str(pages.get(anchor, "")), fmt)
    cursor.endEditBlock()


def _paint(
    painter: QPainter,
    writer: QPdfWriter,
    text: QTextDocument,
    page: _Page,
    document: Document,
    family: str,
) -> None:
    layout = text.documentLayout()
    context = QAbstractTextDocumentLayout.PaintContext()
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Text, QColor("#000000"))
    context.palette = palette
    total = text.pageCount()
    for index in range(total):
        if index:
            writer.newPage()
        clip = QRectF(0, index * page.body_height, page.body_width, page.body_height)
        painter.save()
        painter.translate(page.left, page.top - index * page.body_height)
        painter.setClipRect(clip)
        # Qt draws every line that touches the clip; a line starting exactly on the next
        # page's top would be written (invisibly) on this page too, and extracted twice.
        context.clip = clip.adjusted(0, 0.5, 0, -0.5)
        layout.draw(painter, context)
        painter.restore()
        _furniture(painter, page, document, family, index + 1, total)


def _furniture(
    painter: QPainter, page: _Page, document: Document, family: str, number: int, total: int
) -> None:
    """Header (from page 2) and footer of one page."""
    painter.setFont(_font(family, 7.5))
    grey = QColor("#555555")
    per_mm = RESOLUTION / 25.4
    line_height = 4 * per_mm
    pen = QPen(grey)
    pen.setWidthF(0.2 * per_mm)
    painter.setPen(pen)
    kind = document.template.kind.upper()
    version = pdf_html.version_text(document)
    left_text = f"{document.organisation} · {document.title}"
    footer_y = page.top + page.body_height + 6 * per_mm
    rule_y = footer_y - per_mm
    painter.drawLine(QPointF(page.left, rule_y), QPointF(page.left + page.body_width, rule_y))
    footer = QRectF(page.left, footer_y, page.body_width, line_height)
    metrics_width = page.body_width * 0.75
    tail = f" · {kind} · {version}"
    metrics = painter.fontMetrics()
    room = int(metrics_width - metrics.horizontalAdvance(tail))
    elided = metrics.elidedText(left_text, Qt.TextElideMode.ElideRight, room) + tail
    painter.drawText(footer, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), elided)
    painter.drawText(
        footer,
        int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop),
        f"Page {number} of {total}",
    )
    if number > 1:
        header_y = page.top - 10 * per_mm
        header = QRectF(page.left, header_y, page.body_width, line_height)
        painter.drawText(
            header,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
            painter.fontMetrics().elidedText(
                document.organisation, Qt.TextElideMode.ElideRight, int(metrics_width * 0.6)
            ),
        )
        painter.drawText(
            header,
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop),
            f"{pdf_html.kind_name(document)} · {version}",
        )
