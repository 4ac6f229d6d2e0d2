"""Drawing a certificate as a one-page PDF (reportlab), with a QR code of its verification URL.

Pure: the text and the URL in, the PDF's bytes out. Text is drawn as text (searchable, and read back by
the tests), never interpreted as markup; a long name or title is set smaller until it fits the page.

Names come in every script. Text is set in DejaVu Sans (embedded; the copy matplotlib ships, matplotlib
being a dependency of MLflow and pinned here for it), which covers Latin, Greek, Cyrillic, Armenian,
Georgian and more; a line DejaVu cannot set that holds Han, kana or Hangul is set in Adobe's standard
Chinese, Japanese or Korean font instead (reportlab's CID fonts, which PDF references without embedding:
readers with CJK fonts, as desktops and phones in those regions have, show them; a reader without any
shows the line blank, its text still searchable and copyable). Right-to-left scripts are drawn glyph by
glyph, without shaping.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import matplotlib
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.pdfmetrics import registerFont, stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN = 48.0
QR_SIZE = 112.0
ACCENT = HexColor("#1d4e89")


REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
# The first range a line's character falls in picks the CID font of lines DejaVu cannot set.
_CJK = (
    ((0xAC00, 0xD7AF), "HYGothic-Medium"),  # Hangul syllables
    ((0x1100, 0x11FF), "HYGothic-Medium"),  # Hangul jamo
    ((0x3040, 0x30FF), "HeiseiKakuGo-W5"),  # hiragana and katakana
    ((0x3400, 0x9FFF), "STSong-Light"),  # CJK ideographs
)


@cache
def _covered() -> frozenset[int]:
    """Register the DejaVu faces once; the code points they can draw."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    regular = TTFont(REGULAR, str(folder / "DejaVuSans.ttf"))
    registerFont(regular)
    registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    return frozenset(regular.face.charToGlyph)


@cache
def _cid(name: str) -> str:
    registerFont(UnicodeCIDFont(name))
    return name


def font_for(text: str, *, bold: bool = False) -> str:
    """The font that draws ``text``: DejaVu when it covers every character, else a CJK font if the line
    has CJK characters (DejaVu otherwise: a missing glyph then shows as an empty box, never an error)."""
    covered = _covered()
    if all(ord(character) in covered for character in text):
        return BOLD if bold else REGULAR
    for character in text:
        for (first, last), name in _CJK:
            if first <= ord(character) <= last:
                return _cid(name)
    return BOLD if bold else REGULAR


@dataclass(frozen=True)
class CertificateText:
    learner_name: str
    course_title: str
    instructor_name: str | None
    issued_on: date
    verification_code: str
    verification_url: str


def _fitted(canvas: Canvas, text: str, *, bold: bool = False, size: float, y: float, width: float) -> None:
    """Draw ``text`` centred at ``y``, shrinking the font (down to 9 pt, then cutting) to fit ``width``."""
    font = font_for(text, bold=bold)
    while size > 9 and stringWidth(text, font, size) > width:
        size -= 1
    while stringWidth(text, font, size) > width and len(text) > 1:
        text = text[:-2] + "…"
    canvas.setFont(font, size)
    canvas.drawCentredString(PAGE_WIDTH / 2, y, text)


def _qr(canvas: Canvas, url: str, *, x: float, y: float) -> None:
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        QR_SIZE, QR_SIZE, transform=[QR_SIZE / (right - left), 0, 0, QR_SIZE / (top - bottom), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def render_certificate(text: CertificateText) -> bytes:
    """The certificate's PDF: title, learner, course, instructor, date, code, and the QR code of the URL."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True)
    canvas.setTitle(f"Certificate of completion: {text.course_title}")
    canvas.setAuthor("SkillStudio")
    canvas.setSubject(f"Verification code {text.verification_code}")
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(4)
    canvas.rect(MARGIN / 2, MARGIN / 2, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - MARGIN)
    width = PAGE_WIDTH - 4 * MARGIN
    canvas.setFillColor(ACCENT)
    _fitted(canvas, "Certificate of Completion", bold=True, size=34, y=470, width=width)
    canvas.setFillColor(HexColor("#222222"))
    _fitted(canvas, "This certifies that", size=16, y=415, width=width)
    _fitted(canvas, text.learner_name, bold=True, size=30, y=370, width=width)
    _fitted(canvas, "has completed the course", size=16, y=325, width=width)
    _fitted(canvas, text.course_title, bold=True, size=24, y=285, width=width)
    if text.instructor_name:
        _fitted(canvas, f"Instructor: {text.instructor_name}", size=14, y=245, width=width)
    _fitted(canvas, f"Completed on {text.issued_on.isoformat()}", size=14, y=220, width=width)
    qr_x, qr_y = PAGE_WIDTH - MARGIN - QR_SIZE, MARGIN
    _qr(canvas, text.verification_url, x=qr_x, y=qr_y)
    canvas.setFont(font_for(text.verification_code), 10)
    canvas.drawString(MARGIN + 8, MARGIN + 40, f"Verification code: {text.verification_code}")
    line = f"Verify at {text.verification_url}"
    size = 10.0
    font = font_for(line)
    while size > 6 and stringWidth(line, font, size) > qr_x - MARGIN - 16:
        size -= 0.5
    canvas.setFont(font, size)
    canvas.drawString(MARGIN + 8, MARGIN + 24, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
