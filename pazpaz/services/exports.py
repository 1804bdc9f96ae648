"""Exports (GDPR articles 15 and 20): a client's record, or the whole practice, as one zip.

A client's part: `record.pdf` (readable: contact, appointments, every note with every
version, plan of care with goals and milestones), `record.json` (the same data; layout in
docs/export-schema.json) and `files/` (the client's files, decrypted). The practice export
holds that for every client under `clients/<id>/`, plus `practice.json` (practice, services,
locations), `schedule.csv`, `schedule.ics` and `audit_log.csv`.

Built by the job runner (`build_export` task) with its progress kept on the row; the zip is
written encrypted (services/backup_file.py, key from the KEK bound to workspace and export
id) into data/exports and removed an hour later. Downloads go through an app-signed 5-minute
link that also needs the owner's own session, and each is audited.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import os
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from pazpaz.db import transaction
from pazpaz.i18n import N_
from pazpaz.models import (
    Appointment,
    Attachment,
    AuditEvent,
    Client,
    DataExport,
    Goal,
    Location,
    Milestone,
    PlanOfCare,
    Service,
    SoapNote,
    SoapNoteVersion,
    User,
    Workspace,
)
from pazpaz.models.base import utcnow
from pazpaz.services import audit, backup_file, crypto, workspaces
from pazpaz.services.errors import NotFound, ServiceError
from pazpaz.services.scope import WORKSPACE_KEY, Actor, system_session, workspace_session
from pazpaz.settings import get_settings

log = logging.getLogger("pazpaz.exports")
SCHEMA_VERSION = 1
EXPORT_TTL = timedelta(hours=1)
LINK_TTL_SECONDS = 300
SECTIONS = ("subjective", "objective", "assessment", "plan")


class LinkExpired(ServiceError):
    def __init__(self) -> None:
        super().__init__(N_("This download link has expired. Ask for a new one on the page."))


# --- requesting and watching -----------------------------------------------------------------

def request_export(actor: Actor, client_id: uuid.UUID | None, defer: bool = True) -> uuid.UUID:
    """Queue an export of one client (or of the whole practice when client_id is None)."""
    actor.require_owner()
    with workspace_session(actor) as session:
        if client_id is not None and session.exec(select(Client.id).where(Client.id == client_id)).first() is None:
            raise NotFound(N_("Client not found."))
        row = DataExport(workspace_id=actor.workspace_id, user_id=actor.user_id, client_id=client_id)
        session.add(row)
        session.flush()
        audit.record(session, "export.requested", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="client" if client_id else "workspace", entity_id=client_id or actor.workspace_id,
                     context=actor.context, details={"export_id": str(row.id)})
        export_id = row.id
    if defer:
        _defer(export_id)
    return export_id


_OPEN_LOCK = threading.Lock()
_opened: set[int] = set()


def _defer(export_id: uuid.UUID) -> None:
    """Queue the build on the job runner. The web process opens procrastinate's synchronous
    connector once, at its first export (never at import: workers fork from a preloaded parent)."""
    from pazpaz.jobs.app import get_app

    app = get_app()
    with _OPEN_LOCK:
        if id(app) not in _opened:
            app.open()
            _opened.add(id(app))
    app.configure_task("build_export").defer(export_id=str(export_id))


@dataclass(frozen=True)
class ExportView:
    id: uuid.UUID
    status: str
    progress: int
    size_bytes: int | None


def export_status(actor: Actor, export_id: uuid.UUID) -> ExportView:
    actor.require_owner()
    with workspace_session(actor) as session:
        row = session.exec(select(DataExport).where(DataExport.id == export_id)).first()
        if row is None:
            raise NotFound(N_("Export not found."))
        return ExportView(row.id, row.status, row.progress, row.size_bytes)


# --- building --------------------------------------------------------------------------------

def exports_dir() -> Path:
    folder = get_settings().data_dir / "exports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _info(workspace_id: uuid.UUID, export_id: uuid.UUID) -> bytes:
    return f"pazpaz-export|{workspace_id}|{export_id}".encode()


class _Sink:
    """zipfile writes into the encrypting writer; no tell(), so zipfile streams (data descriptors)."""

    def __init__(self, writer: backup_file.EncryptedWriter) -> None:
        self._writer = writer

    def write(self, data: bytes) -> int:
        self._writer.write(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


@contextmanager
def _scoped(workspace_id: uuid.UUID) -> Iterator[Session]:
    """A transaction scoped to one workspace for the worker (no signed-in actor there): the
    choke point filters every query as for that practice's owner."""
    with transaction() as session:
        session.info[WORKSPACE_KEY] = workspace_id
        yield session


def build(export_id: uuid.UUID) -> int:
    """Build a queued export (idempotent: a done one is left alone). Returns its size."""
    with system_session() as session:
        row = session.get(DataExport, export_id)
        if row is None or row.status in ("done", "expired"):
            return row.size_bytes or 0 if row else 0
        row.status, row.progress = "running", 0
        workspace_id, client_id, user_id = row.workspace_id, row.client_id, row.user_id
    folder = exports_dir()
    final, temp = folder / f"{export_id}.pzx", folder / f".{export_id}.{uuid.uuid4().hex[:6]}.partial"
    try:
        counts = _write_zip(temp, workspace_id, export_id, client_id, lambda p: _progress(export_id, p))
        os.replace(temp, final)
    except Exception as error:
        temp.unlink(missing_ok=True)
        with system_session() as session:
            row = session.get(DataExport, export_id)
            row.status, row.error, row.finished_at = "failed", type(error).__name__[:100], utcnow()
        log.warning("export %s failed (%s)", export_id, type(error).__name__)
        raise
    size = final.stat().st_size
    with system_session() as session:
        row = session.get(DataExport, export_id)
        row.status, row.progress, row.size_bytes = "done", 100, size
        row.finished_at, row.expires_at = utcnow(), utcnow() + EXPORT_TTL
        audit.record(session, "export.created", workspace_id=workspace_id, user_id=user_id,
                     entity_type="client" if client_id else "workspace", entity_id=client_id or workspace_id,
                     details={"export_id": str(export_id), **counts})
    return size


def _progress(export_id: uuid.UUID, percent: int) -> None:
    with system_session() as session:
        row = session.get(DataExport, export_id)
        row.progress = max(0, min(99, percent))


def _write_zip(path: Path, workspace_id: uuid.UUID, export_id: uuid.UUID, client_id: uuid.UUID | None,
               progress: Callable[[int], None]) -> dict[str, int]:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    counts = {"clients": 0, "notes": 0, "versions": 0, "files": 0}
    with os.fdopen(descriptor, "wb") as out:
        writer = backup_file.EncryptedWriter(out, get_settings().kek, info=_info(workspace_id, export_id))
        with zipfile.ZipFile(_Sink(writer), "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[arg-type]
            with _scoped(workspace_id) as session:
                zone = workspaces.time_zone(session, workspace_id)
                practice = session.get(Workspace, workspace_id)
                ids = [client_id] if client_id else list(session.exec(select(Client.id).order_by(Client.created_at)))
            for index, one in enumerate(ids):
                prefix = "" if client_id else f"clients/{one}/"
                # A single client's export moves with its files; a practice's with its clients.
                on_file = (lambda done, total: progress(int(90 * done / max(1, total)))) if client_id else None
                record, files = _client_part(workspace_id, one, zone, practice.name, archive, prefix, on_file,
                                             language=practice.language)
                counts["clients"] += 1
                counts["notes"] += len(record["notes"])
                counts["versions"] += sum(len(n["versions"]) for n in record["notes"])
                counts["files"] += files
                progress(int(90 * (index + 1) / max(1, len(ids))))
            if client_id is None:
                _practice_part(workspace_id, zone, archive)
        writer.close()
        out.flush()
        os.fsync(out.fileno())
    return counts


def _local(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat(timespec="minutes") if moment else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def client_record(session: Session, client_id: uuid.UUID, zone: ZoneInfo) -> tuple[dict, list[Attachment]]:
    """The client's data as the JSON of docs/export-schema.json ("client_record"), and the
    attachment rows whose files go with it."""
    row = session.exec(select(Client).where(Client.id == client_id)).one()

    def field(obj: object, column: str) -> str | None:
        return crypto.unseal(session, obj, column)

    services = {s.id: s.name for s in session.exec(select(Service)).all()}
    locations = {loc.id: loc.name for loc in session.exec(select(Location)).all()}
    appointments = session.exec(select(Appointment).where(Appointment.client_id == client_id)
                                .order_by(Appointment.starts_at)).all()
    notes = session.exec(select(SoapNote).where(SoapNote.client_id == client_id).order_by(SoapNote.created_at)).all()
    versions = session.exec(select(SoapNoteVersion).where(SoapNoteVersion.note_id.in_([n.id for n in notes]))
                            .order_by(SoapNoteVersion.version_number)).all()
    plan = session.exec(select(PlanOfCare).where(PlanOfCare.client_id == client_id)).first()
    goals = session.exec(select(Goal).where(Goal.plan_id == plan.id).order_by(Goal.created_at)).all() if plan else []
    milestones = session.exec(select(Milestone).where(Milestone.goal_id.in_([g.id for g in goals]))
                              .order_by(Milestone.created_at)).all()
    files = session.exec(select(Attachment).where(Attachment.client_id == client_id, Attachment.status == "complete")
                         .order_by(Attachment.created_at)).all()
    record = {
        "schema_version": SCHEMA_VERSION,
        "id": str(row.id),
        "contact": {name: field(row, f"{name}_enc") for name in (
            "first_name", "last_name", "email", "phone", "date_of_birth", "address", "emergency_contact")},
        "intake_notes": field(row, "intake_notes_enc"),
        "archived": row.archived_at is not None,
        "created_at": _local(row.created_at, zone),
        "appointments": [{
            "id": str(a.id), "starts_at": _local(a.starts_at, zone), "ends_at": _local(a.ends_at, zone),
            "status": a.status, "service": services.get(a.service_id), "location": locations.get(a.location_id),
            "notes": field(a, "notes_enc")} for a in appointments],
        "notes": [{
            "id": str(n.id), "appointment_id": str(n.appointment_id) if n.appointment_id else None,
            "session_date": _day(n.session_date), "status": n.status,
            "current": {s: field(n, f"{s}_enc") for s in SECTIONS},
            "versions": [{"version": v.version_number, "created_at": _local(v.created_at, zone),
                          "content_sha256": v.content_hash, "amendment_reason": field(v, "amendment_reason_enc"),
                          **{s: field(v, f"{s}_enc") for s in SECTIONS}}
                         for v in versions if v.note_id == n.id]} for n in notes],
        "plan_of_care": None if plan is None else {
            "summary": field(plan, "summary_enc"),
            "goals": [{"id": str(g.id), "text": field(g, "text_enc"), "target_date": _day(g.target_date),
                       "status": g.status,
                       "milestones": [{"text": field(m, "text_enc"), "reached_on": _day(m.reached_on),
                                       "progress_note": field(m, "progress_note_enc")}
                                      for m in milestones if m.goal_id == g.id]} for g in goals]},
        "files": [{"id": str(f.id), "name": field(f, "file_name_enc"), "content_type": f.content_type,
                   "size_bytes": f.size_bytes, "path": f"files/{f.id}-{_safe(field(f, 'file_name_enc') or 'file')}"}
                  for f in files],
    }
    return record, list(files)


def _safe(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)[:80]
    return cleaned.strip("._") or "file"


def _client_part(workspace_id: uuid.UUID, client_id: uuid.UUID, zone: ZoneInfo, practice_name: str,
                 archive: zipfile.ZipFile, prefix: str,
                 on_file: Callable[[int, int], None] | None = None, *,
                 language: str = "en") -> tuple[dict, int]:
    from pazpaz.services.attachments import _open_object

    with _scoped(workspace_id) as session:
        record, files = client_record(session, client_id, zone)
    archive.writestr(prefix + "record.json", json.dumps(record, indent=1, ensure_ascii=False))
    from pazpaz.services.export_pdf import record_pdf

    archive.writestr(prefix + "record.pdf", record_pdf(record, practice_name, language))
    for done, (row, item) in enumerate(zip(files, record["files"], strict=True), start=1):
        chunks, _ = _open_object(workspace_id, row.s3_key, row.content_type, not row.body_encrypted)
        with archive.open(prefix + item["path"], "w") as target:
            for chunk in chunks:
                target.write(chunk)
        if on_file is not None:
            on_file(done, len(files))
    return record, len(files)


def _practice_part(workspace_id: uuid.UUID, zone: ZoneInfo, archive: zipfile.ZipFile) -> None:
    with _scoped(workspace_id) as session:
        practice = session.get(Workspace, workspace_id)
        services = session.exec(select(Service).order_by(Service.name)).all()
        locations = session.exec(select(Location).order_by(Location.name)).all()
        archive.writestr("practice.json", json.dumps({
            "schema_version": SCHEMA_VERSION,
            "practice": {"id": str(practice.id), "name": practice.name, "time_zone": practice.time_zone},
            "services": [{"id": str(s.id), "name": s.name, "default_duration_minutes": s.default_duration_minutes,
                          "price_cents": s.price_cents, "active": s.active} for s in services],
            "locations": [{"id": str(loc.id), "name": loc.name, "kind": loc.kind, "address": loc.address,
                           "video_link": loc.video_link, "active": loc.active} for loc in locations],
        }, indent=1, ensure_ascii=False))
        names = {c.id: f"{crypto.unseal(session, c, 'first_name_enc')} {crypto.unseal(session, c, 'last_name_enc')}"
                 for c in session.exec(select(Client)).all()}
        service_names = {s.id: s.name for s in services}
        appointments = session.exec(select(Appointment).order_by(Appointment.starts_at)).all()
        archive.writestr("schedule.csv", _schedule_csv(appointments, names, service_names, zone))
        archive.writestr("schedule.ics", _schedule_ics(appointments, names, service_names, practice.name))
        users = {u.id: crypto.unseal(session, u, "name_encrypted") or "" for u in session.exec(select(User)).all()}
        events = session.exec(select(AuditEvent).order_by(AuditEvent.occurred_at)).all()
        archive.writestr("audit_log.csv", _audit_csv(events, users, zone))


def _cell(value: str) -> str:
    """Keep spreadsheet apps from running a name as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _schedule_csv(rows: list[Appointment], names: dict, services: dict, zone: ZoneInfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["appointment_id", "client_id", "client", "starts_at", "ends_at", "status", "service"])
    for a in rows:
        writer.writerow([a.id, a.client_id, _cell(names.get(a.client_id, "")), _local(a.starts_at, zone),
                         _local(a.ends_at, zone), a.status, _cell(services.get(a.service_id) or "")])
    return out.getvalue()


def _schedule_ics(rows: list[Appointment], names: dict, services: dict, practice_name: str) -> bytes:
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//PazPaz//export//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", practice_name)
    for a in rows:
        event = Event()
        event.add("uid", f"{a.id}@pazpaz")
        event.add("dtstart", a.starts_at.astimezone(UTC))
        event.add("dtend", a.ends_at.astimezone(UTC))
        event.add("dtstamp", a.updated_at.astimezone(UTC))
        event.add("summary", " · ".join(x for x in (names.get(a.client_id, ""), services.get(a.service_id)) if x))
        event.add("status", "CANCELLED" if a.status in ("cancelled", "no_show") else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()


def _audit_csv(events: list[AuditEvent], users: dict, zone: ZoneInfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time", "user_id", "user", "action", "entity_type", "entity_id", "ip", "details"])
    for e in events:
        writer.writerow([_local(e.occurred_at, zone), e.user_id or "", _cell(users.get(e.user_id, "")), e.action,
                         e.entity_type or "", e.entity_id or "", e.ip or "", json.dumps(e.details, sort_keys=True)])
    return out.getvalue()


# --- downloading -----------------------------------------------------------------------------

def _signature(export_id: uuid.UUID, workspace_id: uuid.UUID, expires: int) -> str:
    message = f"{export_id}|{workspace_id}|{expires}".encode()
    return hmac.new(get_settings().secret_key, b"export-url|" + message, hashlib.sha256).hexdigest()


def download_url(actor: Actor, export_id: uuid.UUID, now: float | None = None) -> str:
    actor.require_owner()
    with workspace_session(actor) as session:
        row = session.exec(select(DataExport).where(DataExport.id == export_id)).first()
        if row is None or row.status != "done" or (row.expires_at and row.expires_at < utcnow()):
            raise NotFound(N_("Export not found."))
        audit.record(session, "export.link_issued", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="export", entity_id=export_id, context=actor.context)
    expires = int((time.time() if now is None else now) + LINK_TTL_SECONDS)
    signature = _signature(export_id, actor.workspace_id, expires)
    return f"/exports/{export_id}?w={actor.workspace_id}&e={expires}&s={signature}"


@dataclass(frozen=True)
class Download:
    chunks: Iterator[bytes]
    file_name: str


def open_download(viewer: Actor, export_id: str, workspace_id: str, expires: str, signature: str,
                  now: float | None = None) -> Download:
    """Check the signed link (and that the viewer is an owner of its workspace), audit the
    download, and return the zip's bytes, decrypted as they stream."""
    try:
        export_uuid, workspace_uuid, expires_at = uuid.UUID(export_id), uuid.UUID(workspace_id), int(expires)
    except ValueError:
        raise NotFound(N_("Export not found.")) from None
    if not hmac.compare_digest(_signature(export_uuid, workspace_uuid, expires_at), signature or ""):
        raise NotFound(N_("Export not found."))
    if viewer.workspace_id != workspace_uuid or not viewer.is_owner:
        raise NotFound(N_("Export not found."))
    if (time.time() if now is None else now) > expires_at:
        raise LinkExpired()
    path = exports_dir() / f"{export_uuid}.pzx"
    with workspace_session(viewer) as session:
        row = session.exec(select(DataExport).where(DataExport.id == export_uuid)).first()
        if row is None or row.status != "done" or not path.exists():
            raise NotFound(N_("Export not found."))
        audit.record(session, "export.downloaded", workspace_id=viewer.workspace_id, user_id=viewer.user_id,
                     entity_type="export", entity_id=export_uuid, context=viewer.context,
                     details={"size": row.size_bytes})
        stamp = row.created_at.strftime("%Y%m%d-%H%M")
        kind = f"client-{str(row.client_id)[:8]}" if row.client_id else "practice"
        name = f"pazpaz-{kind}-{stamp}.zip"
    return Download(_decrypted(path, workspace_uuid, export_uuid), name)


def _decrypted(path: Path, workspace_id: uuid.UUID, export_id: uuid.UUID) -> Iterator[bytes]:
    with open(path, "rb") as source:
        yield from backup_file.decrypt_stream(source, get_settings().kek, info=_info(workspace_id, export_id))


def cleanup(now: datetime | None = None) -> int:
    """Remove export files past their hour, and files of rows that no longer exist."""
    now = now or utcnow()
    removed = 0
    with system_session() as session:
        for row in session.exec(select(DataExport).where(DataExport.status == "done",
                                                         DataExport.expires_at < now)).all():
            (exports_dir() / f"{row.id}.pzx").unlink(missing_ok=True)
            row.status = "expired"
            removed += 1
        live = {str(i) for i in session.exec(select(DataExport.id).where(DataExport.status == "done")).all()}
    for path in exports_dir().glob("*.pzx"):
        if path.stem not in live:
            path.unlink(missing_ok=True)
    return removed


def remove_for_client(session: Session, client_id: uuid.UUID) -> int:
    """Erasure: the client's exports (rows and files) go too."""
    rows = session.exec(select(DataExport).where(DataExport.client_id == client_id)).all()
    for row in rows:
        (exports_dir() / f"{row.id}.pzx").unlink(missing_ok=True)
        session.delete(row)
    session.flush()
    return len(rows)
