"""The client record PDF (services/export_pdf.py) in the practice's language: Hebrew labels,
laid out from the right, each line in visual order (fpdf2 without HarfBuzz does not reorder)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from pazpaz.services.export_pdf import record_pdf, visual

RECORD = {
    "id": "rec-1",
    "contact": {"first_name": "מאיה", "last_name": "כהן", "email": "maya@example.com", "phone": "050-1234567"},
    "intake_notes": "כאב ברך (ימין) מאז 2025",
    "appointments": [{"starts_at": "2026-12-01T10:00", "ends_at": "2026-12-01T11:00", "status": "attended",
                      "service": "עיסוי 60", "location": None, "notes": ""}],
    "notes": [], "plan_of_care": None, "files": [],
}


def _text(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [line.strip() for page in reader.pages for line in page.extract_text().splitlines() if line.strip()]


def _starts(pdf: bytes) -> dict[str, float]:
    """Where (x, in points) each drawn text begins on the first page."""
    found: dict[str, float] = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.setdefault(text.strip(), tm[4] * cm[0] + cm[4])

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


def test_visual_order_reverses_hebrew_keeps_numbers_and_mirrors_brackets() -> None:
    assert visual("שלום", rtl=True) == "םולש"
    assert visual("תור 10:00", rtl=True) == "10:00 רות"
    assert visual("ברך (ימין)", rtl=True) == "(ןימי) ךרב"  # "(" shows as ")" once reversed: mirrored back
    assert visual("Client: מאיה", rtl=False) == "Client: היאמ"
    assert visual("plain English", rtl=False) == "plain English"


def test_a_hebrew_practices_pdf_has_hebrew_labels_right_to_left() -> None:
    pdf = record_pdf(RECORD, "קליניקה רגועה", "he")
    # pypdf reads each Hebrew run back in logical order but keeps the runs where they are drawn:
    # the label is on the right, its value (a Latin run or a number) on its left.
    lines = _text(pdf)
    assert lines[:3] == ["תיק מטופל: מאיה כהן", "קליניקה: קליניקה רגועה", "rec-1 :מזהה הרשומה המיוצאת"]
    assert "maya@example.com :דואר אלקטרוני" in lines and "050-1234567 :טלפון" in lines
    assert not any("Contact details" in line or "Practice" in line for line in lines)
    # Laid out from the right margin: a short heading starts far right, unlike in English.
    hebrew, english = _starts(pdf), _starts(record_pdf(RECORD, "Calm Hands", "en"))
    assert min(x for text, x in hebrew.items() if "רשק" in text or "קשר" in text) > 400
    assert english["Contact details"] < 40


def test_an_english_practices_pdf_stays_english() -> None:
    lines = _text(record_pdf(RECORD, "Calm Hands", "en"))
    assert "Practice: Calm Hands" in lines and "Contact details" in lines
    assert any(line.startswith("Client record: ") for line in lines)
