"""The readable part of a client export: one PDF from the export's JSON record (fpdf2).

Font: DejaVu Sans shipped in pazpaz/fonts (Bitstream Vera licence, LICENSE-DejaVu.txt), so
accented Latin, Greek, Cyrillic and Hebrew letters print. Without that file the PDF falls
back to the PDF core font Helvetica and replaces what Latin-1 can't hold with "?" (and says
so on the first page) rather than failing. Right-to-left text is printed in logical order:
proper bidi shaping needs uharfbuzz, which is not installed (docs/ARCHITECTURE.md "Backups, restore, erasure, exports").
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONT = Path(__file__).resolve().parent.parent / "fonts" / "DejaVuSans.ttf"


class _Pdf:
    def __init__(self) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(True, margin=15)
        self.unicode = FONT.exists()
        if self.unicode:
            self.pdf.add_font("DejaVu", "", str(FONT))
            self.family = "DejaVu"
        else:
            self.family = "helvetica"
        self.pdf.add_page()

    def _text(self, value: str) -> str:
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")

    def heading(self, value: str, size: int = 15) -> None:
        self.pdf.set_font(self.family, size=size)
        self.pdf.ln(2)
        self.pdf.multi_cell(0, size * 0.55, self._text(value), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font(self.family, size=10)

    def line(self, label: str, value: object) -> None:
        if value in (None, ""):
            return
        self.pdf.set_font(self.family, size=10)
        self.pdf.multi_cell(0, 5.2, self._text(f"{label}: {value}" if label else str(value)),
                            new_x="LMARGIN", new_y="NEXT")

    def gap(self) -> None:
        self.pdf.ln(2)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def record_pdf(record: dict, practice_name: str) -> bytes:
    doc = _Pdf()
    contact = record["contact"]
    name = f"{contact.get('first_name') or ''} {contact.get('last_name') or ''}".strip()
    doc.pdf.set_title(f"Client record: {name}")
    doc.pdf.set_creator("PazPaz")
    doc.heading(f"Client record: {name}", 18)
    doc.line("Practice", practice_name)
    doc.line("Exported record id", record["id"])
    if not doc.unicode:
        doc.line("", "(The Unicode font was missing: characters outside Latin-1 are shown as '?'; "
                     "record.json holds the exact text.)")
    doc.heading("Contact details")
    for key, label in (("email", "Email"), ("phone", "Phone"), ("date_of_birth", "Date of birth"),
                       ("address", "Address"), ("emergency_contact", "Emergency contact")):
        doc.line(label, contact.get(key))
    doc.line("Intake and medical notes", record.get("intake_notes"))
    doc.heading(f"Appointments ({len(record['appointments'])})")
    for item in record["appointments"]:
        where = ", ".join(x for x in (item.get("service"), item.get("location")) if x)
        doc.line("", f"{item['starts_at']} to {item['ends_at'][-5:]}  {item['status']}" + (f"  ({where})" if where
                                                                                             else ""))
        doc.line("   Note", item.get("notes"))
    doc.heading(f"Session notes ({len(record['notes'])})")
    for note in record["notes"]:
        doc.heading(f"Note of {note.get('session_date') or 'no date'} ({note['status']})", 12)
        if not note["versions"]:
            for section in ("subjective", "objective", "assessment", "plan"):
                doc.line(section.capitalize(), note["current"].get(section))
        for version in note["versions"]:
            doc.line("", f"Version {version['version']}, {version['created_at']}, SHA-256 "
                         f"{version['content_sha256'][:16]}...")
            doc.line("   Amendment reason", version.get("amendment_reason"))
            for section in ("subjective", "objective", "assessment", "plan"):
                doc.line(f"   {section.capitalize()}", version.get(section))
            doc.gap()
    plan = record.get("plan_of_care")
    doc.heading("Plan of care")
    if plan is None:
        doc.line("", "No plan of care.")
    else:
        doc.line("Summary", plan.get("summary"))
        for goal in plan["goals"]:
            doc.line("Goal", f"{goal['text']} ({goal['status']}" + (f", target {goal['target_date']}"
                                                                   if goal.get("target_date") else "") + ")")
            for milestone in goal["milestones"]:
                doc.line("   Milestone", f"{milestone['text']}" + (f" (reached {milestone['reached_on']})"
                                                                  if milestone.get("reached_on") else ""))
                doc.line("      Progress", milestone.get("progress_note"))
    doc.heading(f"Files ({len(record['files'])})")
    for item in record["files"]:
        doc.line("", f"{item['name']} ({item['content_type']}, {item['size_bytes']} bytes): {item['path']}")
    return doc.output()
