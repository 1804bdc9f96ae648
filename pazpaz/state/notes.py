"""The SOAP note page: autosave while typing, finalize, amend, history."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import reflex as rx

from pazpaz.api.auth import signin_redirect
from pazpaz.services import plans, soap_notes
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.soap_notes import SECTIONS, StaleNote
from pazpaz.state.session import SessionState

log = logging.getLogger("pazpaz.state.notes")


def note_id_from_path(path: str) -> uuid.UUID | None:
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or parts[0] != "notes":
        return None
    try:
        return uuid.UUID(parts[1])
    except ValueError:
        return None


class NoteState(SessionState):
    note_id: str = ""
    client_id: str = ""
    client_name: str = ""
    status: str = "draft"
    sections: dict[str, str] = {k: "" for k in SECTIONS}
    session_date: str = ""
    duration: str = ""
    lock_version: int = 0
    saved_at: str = ""
    save_error: str = ""
    stale: bool = False
    not_found: bool = False
    notice: str = ""
    field_errors: dict[str, str] = {}
    reason: str = ""
    versions: list[dict[str, str]] = []
    load_key: str = ""
    goal_choices: list[list[str]] = []
    tagged_goals: list[str] = []

    def _fill(self, view: soap_notes.NoteView) -> None:
        zone = ZoneInfo(self.time_zone)
        self.note_id, self.client_id, self.client_name = str(view.id), str(view.client_id), view.client_name
        self.status, self.sections, self.lock_version = view.status, dict(view.sections), view.lock_version
        self.session_date = view.session_date.isoformat() if view.session_date else ""
        self.duration = str(view.duration_minutes or "")
        self.versions = [
            {"number": str(v.number), "hash": v.content_hash, "when": v.created_at.astimezone(zone).strftime(
                "%Y-%m-%d %H:%M"), "reason": v.reason, "diff": v.diff}
            for v in reversed(view.versions)
        ]
        self.stale, self.save_error, self.reason, self.field_errors = False, "", "", {}
        self.load_key = f"{view.id}-{view.lock_version}"

    async def _fetch(self):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect(self.router.url.path))
        note_id = note_id_from_path(self.router.url.path)
        if note_id is None:
            self.not_found = True
            return None
        try:
            view = await asyncio.to_thread(soap_notes.get_note, actor, note_id)
        except NotFound:
            self.not_found = True
            return None
        self.not_found = False
        self._fill(view)
        choices, tagged = await asyncio.to_thread(plans.note_goals, actor, note_id)
        self.goal_choices = [[str(goal_id), text] for goal_id, text in choices]
        self.tagged_goals = [str(goal_id) for goal_id in tagged]
        return None

    @rx.event
    async def toggle_goal(self, goal_id: str, checked: bool):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect(self.router.url.path))
        wanted = set(self.tagged_goals) | {goal_id} if checked else set(self.tagged_goals) - {goal_id}
        try:
            await asyncio.to_thread(plans.tag_goals, actor, uuid.UUID(self.note_id), [uuid.UUID(g) for g in wanted])
        except (NotFound, ValueError):
            self.save_error = "That goal is not in this client's plan."
            return None
        self.tagged_goals = sorted(wanted)
        return None

    @rx.event
    async def load(self):
        # Hide the previous note's fields until this one is loaded: text typed into them
        # would be wiped by the remount (or land in the wrong note).
        self.load_key, self.note_id = "", ""
        self.notice = ("This appointment is now marked attended."
                       if self.router.url.query_parameters.get("attended") else "")
        self.saved_at = ""
        return await self._fetch()

    @rx.event
    async def reload(self):
        return await self._fetch()

    def _now(self) -> str:
        return datetime.now(ZoneInfo(self.time_zone)).strftime("%H:%M")

    @rx.event
    async def edit(self, section: str, value: str):
        """Typing (debounced) and leaving a field both land here; drafts save at once."""
        if section not in SECTIONS or self.stale or not self.load_key:
            return None
        self.sections = {**self.sections, section: value}
        if self.status != "draft":
            return None  # a finalized note changes only through "Save amendment"
        return await self._save()

    @rx.event
    async def set_meta(self, name: str, value: str):
        if name == "session_date":
            self.session_date = value
        elif name == "duration":
            self.duration = value
        if self.status == "draft":
            return await self._save()
        return None

    async def _save(self):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect(self.router.url.path))
        try:
            self.lock_version = await asyncio.to_thread(
                soap_notes.save_draft, actor, uuid.UUID(self.note_id), self.sections, self.lock_version,
                self.session_date, self.duration)
        except StaleNote as stale:
            self.stale, self.save_error = True, str(stale)
            return None
        except ValidationFailed as invalid:
            self.field_errors = invalid.errors
            self.save_error = "Not saved: " + "; ".join(invalid.errors.values())
            return None
        except ServiceError as refused:
            self.save_error = str(refused)
            return None
        except Exception as error:
            log.error("autosave failed (%s)", type(error).__name__)
            self.save_error = "Not saved: the server could not store the note. Your text is still here."
            return None
        self.save_error, self.field_errors = "", {}
        self.saved_at = self._now()
        return None

    @rx.event
    async def finalize(self):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect(self.router.url.path))
        try:
            await asyncio.to_thread(soap_notes.finalize, actor, uuid.UUID(self.note_id), self.sections,
                                    self.lock_version)
        except StaleNote as stale:
            self.stale, self.save_error = True, str(stale)
            return None
        except (ValidationFailed, ServiceError) as refused:
            self.save_error = str(refused)
            return None
        await self._fetch()
        return rx.toast.success("Note finalized.")

    @rx.event
    def set_reason(self, value: str):
        self.reason = value[:1000]

    @rx.event
    async def amend(self):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect(self.router.url.path))
        try:
            await asyncio.to_thread(soap_notes.amend, actor, uuid.UUID(self.note_id), self.sections, self.reason,
                                    self.lock_version)
        except StaleNote as stale:
            self.stale, self.save_error = True, str(stale)
            return None
        except ValidationFailed as invalid:
            self.field_errors = invalid.errors
            self.save_error = "; ".join(invalid.errors.values())
            return None
        except ServiceError as refused:
            self.save_error = str(refused)
            return None
        await self._fetch()
        return rx.toast.success("Amendment saved as a new version.")
