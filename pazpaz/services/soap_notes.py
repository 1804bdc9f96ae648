"""SOAP notes (DESIGN.md "Clinical notes"): an encrypted draft autosaved to the server,
finalized into an immutable version 1 with a SHA-256 content hash, then amended into new
versions (each with a reason). History is never deleted. Every save names the
lock_version it read; a stale save is refused, never merged or overwritten.

Clinical content: only the practice owner may read or write it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NoReturn

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, select

from pazpaz.i18n import N_
from pazpaz.models import Appointment, Attachment, Client, SoapNote, SoapNoteVersion
from pazpaz.models.base import utcnow
from pazpaz.services import audit, clock, crypto, note_diff, workspaces
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.scope import Actor, workspace_session

SECTIONS = ("subjective", "objective", "assessment", "plan")
MAX_SECTION = 50_000


class StaleNote(ServiceError):
    def __init__(self) -> None:
        super().__init__(N_("This note was changed in another tab or device. Reload it to see the latest "
                         "version; your unsaved text here was not saved."))


@dataclass(frozen=True)
class VersionView:
    number: int
    content_hash: str
    created_at: datetime
    reason: str
    sections: dict[str, str]
    diff: str  # unified diff against the previous version ("" for version 1; the REST API's field)
    # Word-level segments per section against the previous version ({} for version 1).
    word_diff: dict[str, list[note_diff.Segment]] = field(default_factory=dict)
    # A version that records a file removed from the finalized note: the file's name.
    removed_file: str = ""


@dataclass(frozen=True)
class NoteView:
    id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    appointment_id: uuid.UUID | None
    status: str
    sections: dict[str, str]
    session_date: date | None
    duration_minutes: int | None
    lock_version: int
    updated_at: datetime
    versions: list[VersionView]



def content_hash(sections: dict[str, str], session_date: date | None, duration: int | None) -> str:
    canonical = json.dumps({"sections": {k: sections.get(k, "") for k in SECTIONS},
                            "session_date": session_date.isoformat() if session_date else None,
                            "duration_minutes": duration}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _clean(sections: dict[str, str]) -> dict[str, str]:
    cleaned = {k: str(sections.get(k, "") or "") for k in SECTIONS}
    errors = {k: "This section is too long (50,000 characters at most)." for k, v in cleaned.items()
              if len(v) > MAX_SECTION}
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _get(session: Session, note_id: uuid.UUID) -> SoapNote:
    note = session.exec(select(SoapNote).where(SoapNote.id == note_id)).first()
    if note is None:
        raise NotFound(N_("Note not found."))
    return note


def _sections(session: Session, row: object) -> dict[str, str]:
    return {k: crypto.unseal(session, row, f"{k}_enc") or "" for k in SECTIONS}


def _record(session: Session, actor: Actor, action: str, note_id: uuid.UUID, **details) -> None:
    audit.record(session, action, workspace_id=actor.workspace_id, user_id=actor.user_id, entity_type="soap_note",
                 entity_id=note_id, context=actor.context, details=details)


def _today(session: Session, workspace_id: uuid.UUID) -> date:
    return clock.today(workspaces.time_zone(session, workspace_id))


def _mark_attended(session: Session, actor: Actor, appointment: Appointment) -> bool:
    """Opening the note of a session that has started means it took place; a note opened
    ahead of time (to prepare) leaves a future appointment as it is."""
    if appointment.status not in ("scheduled", "confirmed") or clock.now() < appointment.starts_at:
        return False
    audit.record(session, "appointment.status_changed", workspace_id=actor.workspace_id,
                 user_id=actor.user_id, entity_type="appointment", entity_id=appointment.id,
                 context=actor.context, details={"from": appointment.status, "to": "attended",
                                                 "reason": "note_opened"})
    appointment.status, appointment.updated_at = "attended", utcnow()
    return True


def _insert_note_once(session: Session, actor: Actor, appointment: Appointment) -> uuid.UUID:
    """The appointment's one note: inserted unless it exists (uq_soap_notes_appointment), then read."""
    existing = session.exec(select(SoapNote.id).where(SoapNote.appointment_id == appointment.id)).first()
    if existing is not None:
        return existing
    zone = workspaces.time_zone(session, actor.workspace_id)
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    now = utcnow()
    inserted = session.execute(
        insert(SoapNote).values(
            id=uuid.uuid4(), workspace_id=actor.workspace_id, client_id=appointment.client_id,
            appointment_id=appointment.id, status="draft", lock_version=1, created_at=now, updated_at=now,
            session_date=appointment.starts_at.astimezone(zone).date(), duration_minutes=minutes,
        ).on_conflict_do_nothing(index_elements=[SoapNote.appointment_id]).returning(SoapNote.id)
    ).scalar_one_or_none()
    if inserted is not None:
        _record(session, actor, "soap_note.created", inserted)
        return inserted
    return session.exec(select(SoapNote.id).where(SoapNote.appointment_id == appointment.id)).one()


def open_for_appointment(actor: Actor, appointment_id: uuid.UUID) -> tuple[uuid.UUID, bool]:
    """The appointment's note (a new draft the first time). Returns (note id, whether the
    appointment was just marked attended because its note was opened).

    Safe to call from several tabs at once: the appointment row is locked, so one caller marks
    it attended, and the unique note per appointment means one draft, whoever inserts first."""
    actor.require_owner()
    with workspace_session(actor) as session:
        appointment = session.exec(select(Appointment).where(Appointment.id == appointment_id)
                                   .with_for_update(key_share=True)).first()
        if appointment is None:
            raise NotFound(N_("Appointment not found."))
        marked = _mark_attended(session, actor, appointment)
        return _insert_note_once(session, actor, appointment), marked


def create_for_client(actor: Actor, client_id: uuid.UUID) -> uuid.UUID:
    actor.require_owner()
    with workspace_session(actor) as session:
        if session.exec(select(Client.id).where(Client.id == client_id)).first() is None:
            raise NotFound(N_("Client not found."))
        note = SoapNote(workspace_id=actor.workspace_id, client_id=client_id,
                        session_date=_today(session, actor.workspace_id))
        session.add(note)
        session.flush()
        _record(session, actor, "soap_note.created", note.id)
        return note.id


def _unified(previous: dict[str, str], sections: dict[str, str], number: int) -> str:
    lines: list[str] = []
    for key in SECTIONS:
        lines += difflib.unified_diff(previous[key].splitlines(), sections[key].splitlines(),
                                      fromfile=f"{key} v{number - 1}", tofile=f"{key} v{number}", lineterm="")
    return "\n".join(lines)


def _removed_names(session: Session, rows: list[SoapNoteVersion]) -> dict[uuid.UUID, str]:
    ids = [r.removed_attachment_id for r in rows if r.removed_attachment_id is not None]
    if not ids:
        return {}
    files = session.exec(select(Attachment).where(Attachment.id.in_(ids))).all()
    return {f.id: crypto.unseal(session, f, "file_name_enc") or "file" for f in files}


def _versions(session: Session, note_id: uuid.UUID) -> list[VersionView]:
    rows = list(session.exec(select(SoapNoteVersion).where(SoapNoteVersion.note_id == note_id)
                             .order_by(SoapNoteVersion.version_number)).all())
    removed = _removed_names(session, rows)
    views: list[VersionView] = []
    previous: dict[str, str] = {}
    for row in rows:
        sections = _sections(session, row)
        diff, words = "", {}
        if previous:
            diff = _unified(previous, sections, row.version_number)
            words = note_diff.sections_diff(previous, sections, SECTIONS)
        removed_file = removed.get(row.removed_attachment_id, "file") if row.removed_attachment_id else ""
        views.append(VersionView(row.version_number, row.content_hash, row.created_at,
                                 crypto.unseal(session, row, "amendment_reason_enc") or "", sections, diff,
                                 words, removed_file))
        previous = sections
    return views


def get_note(actor: Actor, note_id: uuid.UUID) -> NoteView:
    actor.require_owner()
    with workspace_session(actor) as session:
        note = _get(session, note_id)
        client = session.exec(select(Client).where(Client.id == note.client_id)).one()
        name = f"{crypto.unseal(session, client, 'first_name_enc') or ''} " \
               f"{crypto.unseal(session, client, 'last_name_enc') or ''}".strip()
        view = NoteView(note.id, note.client_id, name, note.appointment_id, note.status, _sections(session, note),
                        note.session_date, note.duration_minutes, note.lock_version, note.updated_at,
                        _versions(session, note.id))
        _record(session, actor, "soap_note.read", note.id)
        return view


def save_draft(actor: Actor, note_id: uuid.UUID, sections: dict[str, str], lock_version: int,
               session_date: str = "", duration_minutes: str = "") -> int:
    """Autosave. Returns the new lock_version; raises StaleNote if someone saved first.

    The most frequent write of all (every few seconds while a note is typed): one compare-and-set
    UPDATE writes the sealed sections, the date and duration and the next lock_version, without
    loading the note; only a refused save reads it, to say why (docs/ARCHITECTURE.md "Read path")."""
    actor.require_owner()
    cleaned = _clean(sections)
    with workspace_session(actor) as session:
        values = _meta_values(session_date, duration_minutes, lambda: _today(session, actor.workspace_id))
        for key in SECTIONS:
            values[f"{key}_enc"] = crypto.sealed_text(session, actor.workspace_id, SoapNote.__tablename__,
                                                      f"{key}_enc", note_id, cleaned[key])
        saved = session.execute(
            update(SoapNote)
            .where(SoapNote.id == note_id, SoapNote.lock_version == lock_version, SoapNote.status == "draft")
            .values(lock_version=lock_version + 1, updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if saved != 1:
            _refuse_draft_save(session, note_id)
        _record(session, actor, "soap_note.draft_saved", note_id)
        return lock_version + 1


def _refuse_draft_save(session: Session, note_id: uuid.UUID) -> NoReturn:
    """Why a draft's compare-and-set matched no row: no such note (here), finalized, or stale."""
    if _get(session, note_id).status != "draft":
        raise ServiceError(N_("This note is finalized. Changes are saved as an amendment, with a reason."))
    raise StaleNote()


def _bump(session: Session, note: SoapNote, lock_version: int) -> int:
    """Compare-and-set on lock_version: exactly one concurrent writer wins."""
    result = session.execute(
        update(SoapNote).where(SoapNote.id == note.id, SoapNote.lock_version == lock_version)
        .values(lock_version=lock_version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleNote()
    note.lock_version = lock_version + 1
    return note.lock_version


def _write_sections(session: Session, note: SoapNote, sections: dict[str, str]) -> None:
    for key in SECTIONS:
        crypto.seal(session, note, f"{key}_enc", sections[key] or None)


def _meta_values(session_date: str, duration_minutes: str, today: Callable[[], date]) -> dict[str, object]:
    """The session date and duration a save sets (none when left empty), or ValidationFailed."""
    errors, values = {}, {}
    if session_date:
        try:
            day = date.fromisoformat(session_date)
        except ValueError:
            errors["session_date"] = N_("Enter the session date (YYYY-MM-DD).")
        else:
            message = clock.out_of_range(day, today())
            if message:
                errors["session_date"] = message
            else:
                values["session_date"] = day
    if duration_minutes:
        try:
            minutes = int(duration_minutes)
            if not 1 <= minutes <= 600:
                raise ValueError
            values["duration_minutes"] = minutes
        except ValueError:
            errors["duration_minutes"] = N_("Enter a duration between 1 and 600 minutes.")
    if errors:
        raise ValidationFailed(errors)
    return values


def _add_version(session: Session, actor: Actor, note: SoapNote, sections: dict[str, str], reason: str,
                 removed_attachment_id: uuid.UUID | None = None) -> int:
    latest = session.exec(select(SoapNoteVersion.version_number).where(SoapNoteVersion.note_id == note.id)
                          .order_by(SoapNoteVersion.version_number.desc())).first() or 0
    version = SoapNoteVersion(id=uuid.uuid4(), workspace_id=actor.workspace_id, note_id=note.id,
                              version_number=latest + 1, created_by=actor.user_id,
                              content_hash=content_hash(sections, note.session_date, note.duration_minutes),
                              removed_attachment_id=removed_attachment_id)
    for key in SECTIONS:
        crypto.seal(session, version, f"{key}_enc", sections[key] or None)
    crypto.seal(session, version, "amendment_reason_enc", reason or None)
    session.add(version)
    return version.version_number


def finalize(actor: Actor, note_id: uuid.UUID, sections: dict[str, str], lock_version: int) -> int:
    """Lock the note: needs at least one section; creates version 1. Returns lock_version."""
    actor.require_owner()
    cleaned = _clean(sections)
    if not any(v.strip() for v in cleaned.values()):
        raise ValidationFailed({"subjective": N_("Write at least one section before finalizing.")})
    with workspace_session(actor) as session:
        note = _get(session, note_id)
        if note.status != "draft":
            raise ServiceError(N_("This note is already finalized."))
        new_version = _bump(session, note, lock_version)
        _write_sections(session, note, cleaned)
        note.status, note.finalized_at = "finalized", utcnow()
        number = _add_version(session, actor, note, cleaned, "")
        _record(session, actor, "soap_note.finalized", note.id, version=number)
        return new_version


def amend(actor: Actor, note_id: uuid.UUID, sections: dict[str, str], reason: str, lock_version: int) -> int:
    """Change a finalized note: a reason is required and a new version is kept."""
    actor.require_owner()
    cleaned = _clean(sections)
    reason = reason.strip()
    errors = _reason_errors(reason, N_("Say why the note is being amended."))
    if errors:
        raise ValidationFailed(errors)
    with workspace_session(actor) as session:
        note = _get(session, note_id)
        if note.status != "finalized":
            raise ServiceError(N_("Only a finalized note is amended; a draft is simply edited."))
        if cleaned == _sections(session, note):
            raise ValidationFailed({"subjective": N_("Nothing changed, so there is nothing to amend.")})
        new_version = _bump(session, note, lock_version)
        _write_sections(session, note, cleaned)
        number = _add_version(session, actor, note, cleaned, reason)
        _record(session, actor, "soap_note.amended", note.id, version=number)
        return new_version


def _reason_errors(reason: str, missing: str) -> dict[str, str]:
    if not reason:
        return {"reason": missing}
    if len(reason) > 1000:
        return {"reason": N_("Keep the reason under 1,000 characters.")}
    return {}


def record_file_removal(session: Session, actor: Actor, note_id: uuid.UUID, attachment_id: uuid.UUID,
                        reason: str) -> int | None:
    """Called by attachments.delete in its transaction. A file leaves a finalized note only
    with a reason, kept like an amendment: a new version with the same text, naming the file
    and the (encrypted) reason. A draft's files come and go freely (None)."""
    # The note row lock orders this against an amendment, so version numbers never collide.
    note = session.exec(select(SoapNote).where(SoapNote.id == note_id).with_for_update()).first()
    if note is None or note.status != "finalized":
        return None
    reason = (reason or "").strip()
    errors = _reason_errors(reason, N_("Say why this file is being removed from a finalized note."))
    if errors:
        raise ValidationFailed(errors)
    number = _add_version(session, actor, note, _sections(session, note), reason, attachment_id)
    _record(session, actor, "soap_note.file_removed", note.id, version=number, attachment_id=str(attachment_id))
    return number


@dataclass(frozen=True)
class NoteSummary:
    id: uuid.UUID
    status: str
    session_date: date | None
    versions: int
    updated_at: datetime


def client_notes(actor: Actor, client_id: uuid.UUID) -> list[NoteSummary]:
    actor.require_owner()
    with workspace_session(actor) as session:
        notes = session.exec(select(SoapNote).where(SoapNote.client_id == client_id)
                             .order_by(SoapNote.created_at.desc())).all()
        counts = {}
        for note in notes:
            counts[note.id] = len(session.exec(select(SoapNoteVersion.id)
                                               .where(SoapNoteVersion.note_id == note.id)).all())
        audit.record(session, "soap_note.listed", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="soap_note", context=actor.context, details={"count": len(notes)})
        return [NoteSummary(n.id, n.status, n.session_date, counts[n.id], n.updated_at) for n in notes]
