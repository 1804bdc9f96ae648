"""The SOAP note page: autosave while typing, finalize, amend, history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, TypedDict
from zoneinfo import ZoneInfo

import reflex as rx

from pazpaz.i18n import N_, msg, translate
from pazpaz.services import formatting, note_diff, plans, soap_notes
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.services.soap_notes import SECTIONS, StaleNote
from pazpaz.state.handler import Failures, handler
from pazpaz.state.session import SessionState

NOT_SAVED = N_("Not saved: the server could not store the note. Your text is still here.")
SECTION_TITLES = {"subjective": N_("Subjective"), "objective": N_("Objective"), "assessment": N_("Assessment"),
                  "plan": N_("Plan")}


class FieldDiff(TypedDict):
    """One SOAP section an amendment changed: its words, equal / inserted / deleted."""

    field: str  # "subjective" ...
    title: str  # "Subjective" ...
    segments: list[note_diff.Segment]  # [{"op": "equal" | "insert" | "delete", "text": ...}]


class VersionItem(TypedDict):
    number: str
    hash: str  # the full SHA-256 (the page keeps it in a disclosure)
    when: str  # formatted in the practice's zone (services/formatting.py)
    reason: str
    diff: list[FieldDiff]  # only the sections that changed; [] for version 1
    kind: str  # "finalized" | "amended" | "file_removed"
    file: str  # the removed file's name when kind == "file_removed"


def _field_diffs(words: dict[str, list[note_diff.Segment]], language: str) -> list[FieldDiff]:
    return [FieldDiff(field=key, title=translate(language, SECTION_TITLES[key]), segments=words[key])
            for key in SECTIONS if note_diff.changed(words.get(key, []))]


def version_item(version: soap_notes.VersionView, zone: str,
                 language: str = formatting.DEFAULT_LANGUAGE) -> VersionItem:
    kind = "file_removed" if version.removed_file else ("finalized" if version.number == 1 else "amended")
    return VersionItem(number=str(version.number), hash=version.content_hash,
                       when=formatting.format_datetime(version.created_at, language=language, zone=zone),
                       reason=version.reason,
                       diff=_field_diffs(version.word_diff, language), kind=kind, file=version.removed_file)


def note_id_from_path(path: str) -> uuid.UUID | None:
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or parts[0] != "notes":
        return None
    try:
        return uuid.UUID(parts[1])
    except ValueError:
        return None


class NoteState(SessionState):
    FAILURES: ClassVar[Failures] = Failures(message="save_error")

    note_id: str = ""
    client_id: str = ""
    client_name: str = ""
    status: str = "draft"
    sections: dict[str, str] = {k: "" for k in SECTIONS}
    session_date: str = ""
    session_date_text: str = ""  # the date as the reader writes it (services/formatting.py)
    duration: str = ""
    lock_version: int = 0
    saved_at: str = ""
    save_error: str = ""
    stale: bool = False
    not_found: bool = False
    notice: str = ""
    field_errors: dict[str, str] = {}
    reason: str = ""
    versions: list[VersionItem] = []
    load_key: str = ""
    goal_choices: list[list[str]] = []
    tagged_goals: list[str] = []
    amending: bool = False  # a finalized note shows as a document until "Amend" is pressed

    def _fill(self, view: soap_notes.NoteView) -> None:
        self.note_id, self.client_id, self.client_name = str(view.id), str(view.client_id), view.client_name
        self.status, self.sections, self.lock_version = view.status, dict(view.sections), view.lock_version
        self.session_date = view.session_date.isoformat() if view.session_date else ""
        self.session_date_text = self._date(view.session_date)
        self.duration = str(view.duration_minutes or "")
        self.versions = [version_item(v, self.time_zone, self.language) for v in reversed(view.versions)]
        self.stale, self.save_error, self.reason, self.field_errors = False, "", "", {}
        self.load_key = f"{view.id}-{view.lock_version}"
        self.amending = False

    async def _fetch(self) -> None:
        actor = await self._actor()
        note_id = note_id_from_path(self.router.url.path)
        if note_id is None:
            raise NotFound(N_("Note not found."))
        view = await self._call(soap_notes.get_note, actor, note_id)
        self.not_found = False
        self._fill(view)
        choices, tagged = await self._call(plans.note_goals, actor, note_id)
        self.goal_choices = [[str(goal_id), text] for goal_id, text in choices]
        self.tagged_goals = [str(goal_id) for goal_id in tagged]

    def _note_id(self) -> uuid.UUID:
        try:
            return uuid.UUID(self.note_id)
        except ValueError:
            raise NotFound(N_("Note not found.")) from None

    @rx.event
    @handler
    async def toggle_goal(self, goal_id: str, checked: bool):
        actor = await self._actor()
        wanted = set(self.tagged_goals) | {goal_id} if checked else set(self.tagged_goals) - {goal_id}
        try:
            goal_ids = [uuid.UUID(g) for g in wanted]
        except ValueError:
            raise NotFound(N_("That goal is not in this client's plan.")) from None
        await self._call(plans.tag_goals, actor, self._note_id(), goal_ids)
        self.tagged_goals = sorted(wanted)

    @rx.event
    @handler(not_found="not_found")
    async def load(self):
        # Hide the previous note's fields until this one is loaded: text typed into them
        # would be wiped by the remount (or land in the wrong note).
        self.load_key, self.note_id = "", ""
        self.notice = (self._t(N_("This appointment is now marked attended."))
                       if self.router.url.query_parameters.get("attended") else "")
        self.saved_at = ""
        await self._fetch()

    @rx.event
    @handler(not_found="not_found")
    async def reload(self):
        await self._fetch()

    def _now(self) -> str:
        return formatting.format_time(datetime.now(ZoneInfo(self.time_zone)), language=self.language,
                                      zone=self.time_zone)

    @rx.event
    @handler(failed=NOT_SAVED)
    async def edit(self, section: str, value: str):
        """Typing (debounced) and leaving a field both land here; drafts save at once."""
        if section not in SECTIONS or self.stale or not self.load_key:
            return
        self.sections = {**self.sections, section: value}
        if self.status != "draft":
            return  # a finalized note changes only through "Save amendment"
        await self._save()

    @rx.event
    @handler(failed=NOT_SAVED)
    async def set_meta(self, name: str, value: str):
        if name == "session_date":
            self.session_date = value
        elif name == "duration":
            self.duration = value
        if self.status == "draft":
            await self._save()

    async def _save(self) -> None:
        actor = await self._actor()
        try:
            self.lock_version = await self._call(
                soap_notes.save_draft, actor, self._note_id(), self.sections, self.lock_version,
                self.session_date, self.duration)
        except StaleNote as stale:
            self.stale, self.save_error = True, self._t(stale.message())
            return
        except ValidationFailed as invalid:
            self.field_errors = {name: self._t(text) for name, text in invalid.errors.items()}
            self.save_error = self._t(msg("Not saved: {reasons}",
                                          reasons="; ".join(self._t(text) for text in invalid.errors.values())))
            return
        # Cleared only when set: an assignment sends the var again with every autosave.
        if self.save_error:
            self.save_error = ""
        if self.field_errors:
            self.field_errors = {}
        self.saved_at = self._now()

    @rx.event
    @handler(invalid=None)
    async def finalize(self):
        actor = await self._actor()
        try:
            await self._call(soap_notes.finalize, actor, self._note_id(), self.sections, self.lock_version)
        except StaleNote as stale:
            self.stale, self.save_error = True, self._t(stale.message())
            return None
        await self._fetch()
        self._notify(N_("Note finalized."))

    @rx.event
    @handler
    def set_amending(self, value: bool):
        self.amending = bool(value)

    @rx.event
    @handler
    def set_reason(self, value: str):
        self.reason = value[:1000]

    @rx.event
    @handler(invalid=None)
    async def amend(self):
        actor = await self._actor()
        try:
            await self._call(soap_notes.amend, actor, self._note_id(), self.sections, self.reason,
                             self.lock_version)
        except StaleNote as stale:
            self.stale, self.save_error = True, self._t(stale.message())
            return None
        await self._fetch()
        self._notify(N_("Amendment saved as a new version."))
