"""The readable part of a client export: one PDF from the export's JSON record (fpdf2).

Font: DejaVu Sans shipped in pazpaz/fonts (Bitstream Vera licence, LICENSE-DejaVu.txt), so
accented Latin, Greek, Cyrillic and Hebrew letters print. Without that file the PDF falls
back to the PDF core font Helvetica and replaces what Latin-1 can't hold with "?" (and says
so on the first page) rather than failing.

Labels are in the practice's language (pazpaz/i18n.py); a right-to-left language lays the page
out from the right. fpdf2 reorders mixed-direction text only with its HarfBuzz text shaping
(uharfbuzz, not installed), so each wrapped line is put in visual order here with fpdf2's own
pure-Python Unicode bidi algorithm (fpdf.bidi, UAX #9) and brackets are mirrored: Hebrew needs
no glyph shaping, only the order. Data (names, notes) gets the same treatment in any language,
so a Hebrew name in an English PDF reads correctly too.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.bidi import BidiParagraph
from fpdf.enums import TextDirection

from pazpaz import i18n
from pazpaz.i18n import N_, msg
from pazpaz.services.appointments import STATUS_WORDS

FONT = Path(__file__).resolve().parent.parent / "fonts" / "DejaVuSans.ttf"
# Rule L4 of the bidi algorithm: a bracket inside right-to-left text shows its mirror image.
_MIRROR = dict(zip("()[]{}<>«»", ")(][}{><»«", strict=True))
NO_DATE = N_("no date")
NOTE_STATUS = {"draft": N_("draft"), "finalized": N_("finalized")}
GOAL_STATUS = {"active": N_("active"), "achieved": N_("achieved"), "dropped": N_("dropped")}
SECTIONS = {"subjective": N_("Subjective"), "objective": N_("Objective"), "assessment": N_("Assessment"),
            "plan": N_("Plan")}


def visual(text: str, rtl: bool) -> str:
    """One line of logical-order text in the order it is drawn, left to right."""
    if not any(ord(c) > 0x58F for c in text) and not rtl:
        return text  # nothing right-to-left in it: the common, fast case
    paragraph = BidiParagraph(text, base_direction=TextDirection.RTL if rtl else TextDirection.LTR)
    return "".join(_MIRROR.get(c.character, c.character) if c.embedding_level % 2 else c.character
                   for c in paragraph.reorder_resolved_levels())


class _Pdf:
    def __init__(self, language: str) -> None:
        self.language, self.rtl = language, i18n.is_rtl(language)
        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(True, margin=15)
        self.unicode = FONT.exists()
        if self.unicode:
            self.pdf.add_font("DejaVu", "", str(FONT))
            self.family = "DejaVu"
        else:
            self.family = "helvetica"
        self.pdf.add_page()

    def words(self, text: str) -> str:
        return i18n.translate(self.language, text)

    def _text(self, value: str) -> str:
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")

    def _paragraph(self, text: str, height: float) -> None:
        # Wrapped in logical order by fpdf2, then each line drawn in visual order, from the
        # right in a right-to-left language.
        lines = self.pdf.multi_cell(0, height, self._text(text), dry_run=True, output="LINES") or [""]
        for line in lines:
            self.pdf.cell(0, height, visual(line, self.rtl), align="R" if self.rtl else "L",
                          new_x="LMARGIN", new_y="NEXT")

    def heading(self, value: str, size: int = 15) -> None:
        self.pdf.set_font(self.family, size=size)
        self.pdf.ln(2)
        self._paragraph(value, size * 0.55)
        self.pdf.set_font(self.family, size=10)

    def line(self, label: str, value: object) -> None:
        if value in (None, ""):
            return
        self.pdf.set_font(self.family, size=10)
        self._paragraph(f"{label}: {value}" if label else str(value), 5.2)

    def gap(self) -> None:
        self.pdf.ln(2)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def record_pdf(record: dict, practice_name: str, language: str = i18n.DEFAULT_LANGUAGE) -> bytes:
    """The record as a PDF, its labels in `language` (the practice's: an export is built by a
    background job, for whoever downloads it)."""
    doc = _Pdf(language)
    w = doc.words
    contact = record["contact"]
    name = f"{contact.get('first_name') or ''} {contact.get('last_name') or ''}".strip()
    title = w(msg("Client record: {name}", name=name))
    doc.pdf.set_title(title)
    doc.pdf.set_lang(language)
    doc.pdf.set_creator("PazPaz")
    doc.heading(title, 18)
    doc.line(w(N_("Practice")), practice_name)
    doc.line(w(N_("Exported record id")), record["id"])
    if not doc.unicode:
        doc.line("", "(The Unicode font was missing: characters outside Latin-1 are shown as '?'; "
                     "record.json holds the exact text.)")
    doc.heading(w(N_("Contact details")))
    for key, label in (("email", N_("Email")), ("phone", N_("Phone")), ("date_of_birth", N_("Date of birth")),
                       ("address", N_("Address")), ("emergency_contact", N_("Emergency contact"))):
        doc.line(w(label), contact.get(key))
    doc.line(w(N_("Intake and medical notes")), record.get("intake_notes"))
    doc.heading(w(msg("Appointments ({total})", total=len(record["appointments"]))))
    for item in record["appointments"]:
        where = ", ".join(x for x in (item.get("service"), item.get("location")) if x)
        status = w(STATUS_WORDS.get(item["status"], item["status"]))
        doc.line("", w(msg("{start} to {end}", start=item["starts_at"], end=item["ends_at"][-5:]))
                 + f"  {status}" + (f"  ({where})" if where else ""))
        doc.line("   " + w(N_("Note")), item.get("notes"))
    doc.heading(w(msg("Session notes ({total})", total=len(record["notes"]))))
    for note in record["notes"]:
        doc.heading(w(msg("Note of {day} ({status})", day=note.get("session_date") or w(NO_DATE),
                          status=w(NOTE_STATUS.get(note["status"], note["status"])))), 12)
        if not note["versions"]:
            for section, label in SECTIONS.items():
                doc.line(w(label), note["current"].get(section))
        for version in note["versions"]:
            doc.line("", w(msg("Version {number}, {when}, SHA-256 {hash}...", number=version["version"],
                               when=version["created_at"], hash=version["content_sha256"][:16])))
            doc.line("   " + w(N_("Amendment reason")), version.get("amendment_reason"))
            for section, label in SECTIONS.items():
                doc.line("   " + w(label), version.get(section))
            doc.gap()
    plan = record.get("plan_of_care")
    doc.heading(w(N_("Plan of care")))
    if plan is None:
        doc.line("", w(N_("No plan of care.")))
    else:
        doc.line(w(N_("Summary")), plan.get("summary"))
        for goal in plan["goals"]:
            status = w(GOAL_STATUS.get(goal["status"], goal["status"]))
            doc.line(w(N_("Goal")), goal["text"] + " (" + (w(msg("{status}, target {day}", status=status,
                                                                  day=goal["target_date"]))
                                                           if goal.get("target_date") else status) + ")")
            for milestone in goal["milestones"]:
                reached = (" (" + w(msg("reached {day}", day=milestone["reached_on"])) + ")"
                           if milestone.get("reached_on") else "")
                doc.line("   " + w(N_("Milestone")), milestone["text"] + reached)
                doc.line("      " + w(N_("Progress")), milestone.get("progress_note"))
    doc.heading(w(msg("Files ({total})", total=len(record["files"]))))
    for item in record["files"]:
        doc.line("", w(msg("{name} ({type}, {size} bytes): {path}", name=item["name"], type=item["content_type"],
                           size=item["size_bytes"], path=item["path"])))
    return doc.output()
