"""Drawing a certificate as a one-page PDF (reportlab), with a QR code of its verification URL.

Pure: the text and the URL in, the PDF's bytes out. Text is drawn as text (searchable, and read back by
the tests), never interpreted as markup; a long name or title is set smaller until it fits the page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN = 48.0
QR_SIZE = 112.0
ACCENT = HexColor("#1d4e89")


@dataclass(frozen=True)
class CertificateText:
    learner_name: str
    course_title: str
    instructor_name: str | None
    issued_on: date
    verification_code: str
    verification_url: str


def _fitted(canvas: Canvas, text: str, *, font: str, size: float, y: float, width: float) -> None:
    """Draw ``text`` centred at ``y``, shrinking the font (down to 9 pt, then cutting) to fit ``width``."""
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
    _fitted(canvas, "Certificate of Completion", font="Helvetica-Bold", size=34, y=470, width=width)
    canvas.setFillColor(HexColor("#222222"))
    _fitted(canvas, "This certifies that", font="Helvetica", size=16, y=415, width=width)
    _fitted(canvas, text.learner_name, font="Helvetica-Bold", size=30, y=370, width=width)
    _fitted(canvas, "has completed the course", font="Helvetica", size=16, y=325, width=width)
    _fitted(canvas, text.course_title, font="Helvetica-Bold", size=24, y=285, width=width)
    if text.instructor_name:
        _fitted(canvas, f"Instructor: {text.instructor_name}", font="Helvetica", size=14, y=245, width=width)
    _fitted(
        canvas, f"Completed on {text.issued_on.isoformat()}", font="Helvetica", size=14, y=220, width=width
    )
    qr_x, qr_y = PAGE_WIDTH - MARGIN - QR_SIZE, MARGIN
    _qr(canvas, text.verification_url, x=qr_x, y=qr_y)
    canvas.setFont("Helvetica", 10)
    canvas.drawString(MARGIN + 8, MARGIN + 40, f"Verification code: {text.verification_code}")
    line = f"Verify at {text.verification_url}"
    size = 10.0
    while size > 6 and stringWidth(line, "Helvetica", size) > qr_x - MARGIN - 16:
        size -= 0.5
    canvas.setFont("Helvetica", size)
    canvas.drawString(MARGIN + 8, MARGIN + 24, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
