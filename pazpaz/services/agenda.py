"""The therapist's daily agenda: tomorrow's schedule mailed at a chosen local hour.

Per user, kept in workspace.settings["agenda"][<user id>]: on/off (off by default), the
hour (default 19), and whether client names are written out (default: initials; mail is
not end-to-end encrypted). The job runs every few minutes; a user whose local hour has
come gets the mail once per day: the claim row (user, day) is inserted before sending, in
the transaction that commits after the SMTP server accepted.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, select

from pazpaz import i18n
from pazpaz.i18n import N_, _
from pazpaz.models import AgendaDelivery, User, Workspace
from pazpaz.models.base import utcnow
from pazpaz.services import audit, clock, crypto, mail
from pazpaz.services import formatting as fmt
from pazpaz.services.appointments import _joined, _views
from pazpaz.services.errors import ValidationFailed
from pazpaz.services.recurrence import place
from pazpaz.services.scope import Actor, system_session, workspace_session
from pazpaz.settings import get_settings

log = logging.getLogger("pazpaz.agenda")


@dataclass(frozen=True)
class AgendaSettings:
    enabled: bool = False
    hour: int = 19
    full_names: bool = False

    @staticmethod
    def from_json(raw: dict | None) -> AgendaSettings:
        raw = raw or {}
        try:
            return AgendaSettings(enabled=bool(raw.get("enabled", False)), hour=int(raw.get("hour", 19)),
                                  full_names=bool(raw.get("full_names", False)))
        except (TypeError, ValueError):
            return AgendaSettings()


def _user_settings(workspace: Workspace, user_id: uuid.UUID) -> AgendaSettings:
    return AgendaSettings.from_json(((workspace.settings or {}).get("agenda") or {}).get(str(user_id)))


def get_settings_for(actor: Actor) -> AgendaSettings:
    with workspace_session(actor) as session:
        return _user_settings(session.get(Workspace, actor.workspace_id), actor.user_id)


def save_settings(actor: Actor, data: AgendaSettings) -> None:
    if not 0 <= data.hour <= 23:
        raise ValidationFailed({"hour": N_("Choose an hour between 0 and 23.")})
    with workspace_session(actor) as session:
        workspace = session.get(Workspace, actor.workspace_id)
        settings = dict(workspace.settings or {})
        agenda = dict(settings.get("agenda") or {})
        agenda[str(actor.user_id)] = {"enabled": data.enabled, "hour": data.hour, "full_names": data.full_names}
        workspace.settings = {**settings, "agenda": agenda}
        audit.record(session, "user.agenda_settings_updated", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="user", entity_id=actor.user_id, context=actor.context,
                     details={"enabled": data.enabled, "hour": data.hour, "full_names": data.full_names})


def initials(name: str) -> str:
    return "".join(f"{part[0]}." for part in name.split() if part)


def agenda_text(views: list, day: date, full_names: bool, language: str = "en", zone: str = "UTC") -> str:
    """The agenda mail's text in the recipient's language (dates and times via services/formatting)."""
    day_label = fmt.format_day(day, language=language)
    if not any(view.status != "cancelled" for view in views):
        return _(language, "No appointments on {day}.", day=day_label) + "\n"
    lines = [_(language, "Your appointments on {day}:", day=day_label), ""]
    for view in views:
        if view.status == "cancelled":
            continue
        who = view.client_name if full_names else initials(view.client_name)
        start, end = (fmt.format_time(view.starts_at, language=language, zone=zone),
                      fmt.format_time(view.ends_at, language=language, zone=zone))
        line = f"{start}-{end}  {who}"
        if view.service_name:
            line += f"  {view.service_name}"
        lines.append(line)
        if view.location_name or view.where:
            lines.append(f"      {' - '.join(p for p in (view.location_name, view.where) if p)}")
    return "\n".join(lines) + "\n"


def due_users(workspace: Workspace, now: datetime) -> list[tuple[uuid.UUID, AgendaSettings]]:
    zone = ZoneInfo(workspace.time_zone)
    local = now.astimezone(zone)
    due = []
    for user_id, raw in ((workspace.settings or {}).get("agenda") or {}).items():
        settings = AgendaSettings.from_json(raw)
        # Sent from the chosen hour until midnight: a worker that was down at 19:00 still sends at 19:40.
        if settings.enabled and local.hour >= settings.hour:
            due.append((uuid.UUID(user_id), settings))
    return due


def send_due(now: datetime | None = None) -> int:
    now = now or clock.now()
    sent = 0
    with system_session() as session:
        workspaces = session.exec(select(Workspace).where(Workspace.settings["agenda"].is_not(None))).all()
    for workspace in workspaces:
        for user_id, settings in due_users(workspace, now):
            sent += _send_one(workspace.id, user_id, settings, now)
    return sent


def _send_one(workspace_id: uuid.UUID, user_id: uuid.UUID, settings: AgendaSettings, now: datetime) -> int:
    # The claim commits right after the server accepted the mail, before the QUIT (mail.Sender).
    with mail.Sender() as sender:
        return _claim_and_send(sender, workspace_id, user_id, settings, now)


def _claim_and_send(sender: mail.Sender, workspace_id: uuid.UUID, user_id: uuid.UUID, settings: AgendaSettings,
                    now: datetime) -> int:
    with system_session() as session:
        workspace = session.get(Workspace, workspace_id)
        zone = ZoneInfo(workspace.time_zone)
        today = now.astimezone(zone).date()
        user = session.get(User, user_id)
        if user is None or not user.active or user.workspace_id != workspace_id:
            return 0
        claimed = session.exec(insert(AgendaDelivery).values(
            id=uuid.uuid4(), workspace_id=workspace_id, user_id=user_id, day=today, created_at=utcnow())
            .on_conflict_do_nothing(constraint="uq_agenda_deliveries_user_day")
            .returning(AgendaDelivery.id)).first()
        if claimed is None:
            return 0
        tomorrow = today + timedelta(days=1)
        views = _tomorrow(session, workspace_id, zone, tomorrow)
        language = i18n.supported(user.language)  # the recipient's own language
        text = agenda_text(views, tomorrow, settings.full_names, language, workspace.time_zone)
        text += "\n" + _(language, "Open PazPaz: {link}", link=f"{get_settings().public_url}/calendar") + "\n"
        address = crypto.decrypt_field(session, workspace_id, "users", "email_encrypted", user.id, user.email_encrypted)
        count = sum(v.status != "cancelled" for v in views)
        subject = i18n.ngettext(language, "Tomorrow: {count} appointment", "Tomorrow: {count} appointments",
                                count).format(count=count)
        message = mail.build_message(address, subject, text, mail.sender_address(workspace.name))
        audit.record(session, "agenda.sent", workspace_id=workspace_id, user_id=user_id, entity_type="appointment",
                     details={"count": len(views), "full_names": settings.full_names})
        session.flush()
        sender.send(message)
    return 1


def _tomorrow(session: Session, workspace_id: uuid.UUID, zone: ZoneInfo, day) -> list:
    from pazpaz.models import Appointment

    start = place(datetime.combine(day, time()), zone)
    end = place(datetime.combine(day + timedelta(days=1), time()), zone)
    rows = session.exec(_joined().where(Appointment.workspace_id == workspace_id, Appointment.starts_at >= start,
                                        Appointment.starts_at < end).order_by(Appointment.starts_at)).all()
    return _views(session, workspace_id, rows, zone)
