"""Client reminders: settings, when each is due, the idempotent claim and send, and the
client's answer through the mailed Confirm / Cancel links.

Timing rules (docs/ARCHITECTURE.md "Scheduled jobs" and "Reminders and the daily agenda"):
- An offset of whole days ("24 h", "48 h") means the same local wall-clock time that many
  days before, so a reminder for 10:00 comes at 10:00 the day before also across a DST
  change; other offsets ("2 h") are real durations.
- Quiet hours (default 21:00-08:00 local; start == end turns them off): a reminder due
  inside them is sent when they end, if that is still before the appointment; otherwise
  it is dropped. Nothing is ever sent while the practice's clock is inside quiet hours.
- Per appointment only the latest due offset is sent at a scan, so a booking made two
  hours before gets the 2 h reminder, not the 24 h one too.
- The claim is a row keyed (appointment, offset, start): the insert that creates it is
  the only way to a mail, so retries, a second scan and a second worker never send twice.
  The row is marked sent in the same transaction that holds its row lock during the SMTP
  exchange: a worker killed mid-send rolls back and the next scan sends it again.
- At send time everything is checked again against the current appointment: moved
  (another start), cancelled, client opted out or without email, reminders switched off
  -> the claim is closed as skipped and nothing is sent.

Links: an HMAC (instance secret) over purpose | appointment | workspace | start; they expire
at the appointment's start and die when it moves. Ids only, no PII in the URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import logging
import struct
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import and_, func, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, select

from pazpaz import i18n
from pazpaz.i18n import N_, _, msg
from pazpaz.models import Appointment, Client, ClientResponse, Location, ReminderDelivery, Service, User, Workspace
from pazpaz.models.base import utcnow
from pazpaz.services import audit, clock, crypto, mail
from pazpaz.services import formatting as fmt
from pazpaz.services.audit import RequestContext
from pazpaz.services.conflicts import lock_schedule
from pazpaz.services.errors import ServiceError, ValidationFailed
from pazpaz.services.recurrence import local_wall_time, place
from pazpaz.services.scope import Actor, system_session, workspace_session
from pazpaz.settings import get_settings

log = logging.getLogger("pazpaz.reminders")

REMINDED_STATUSES = ("scheduled", "confirmed")
DAY = 24 * 60
OFFSET_CHOICES = (48 * 60, DAY, 4 * 60, 2 * 60, 60)
STALE_CLAIM = timedelta(minutes=2)  # a pending claim older than this is queued again
PURPOSES = {"confirm": 1, "cancel": 2}


# --- settings ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ReminderSettings:
    enabled: bool = False
    offsets_minutes: tuple[int, ...] = (DAY,)
    sender_name: str = ""
    message: str = ""
    cancel_window_hours: int = 24
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"

    @property
    def quiet(self) -> tuple[time, time]:
        return time.fromisoformat(self.quiet_start), time.fromisoformat(self.quiet_end)

    @staticmethod
    def from_json(raw: dict | None) -> ReminderSettings:
        raw = raw or {}
        base = ReminderSettings()
        try:
            return ReminderSettings(
                enabled=bool(raw.get("enabled", base.enabled)),
                offsets_minutes=tuple(sorted({int(o) for o in raw.get("offsets_minutes", base.offsets_minutes)},
                                             reverse=True)) or base.offsets_minutes,
                sender_name=str(raw.get("sender_name", "")),
                message=str(raw.get("message", "")),
                cancel_window_hours=int(raw.get("cancel_window_hours", base.cancel_window_hours)),
                quiet_start=str(raw.get("quiet_start", base.quiet_start)),
                quiet_end=str(raw.get("quiet_end", base.quiet_end)),
            )
        except (TypeError, ValueError):
            return base

    def to_json(self) -> dict:
        data = asdict(self)
        data["offsets_minutes"] = list(self.offsets_minutes)
        return data


def validate_settings(data: ReminderSettings) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.offsets_minutes:
        errors["offsets"] = N_("Choose at least one time before the appointment.")
    elif any(o not in OFFSET_CHOICES for o in data.offsets_minutes):
        errors["offsets"] = N_("Choose the reminder times from the list.")
    if len(data.sender_name) > 100:
        errors["sender_name"] = N_("Keep the sender name under 100 characters.")
    if len(data.message) > 1000:
        errors["message"] = N_("Keep the message under 1,000 characters.")
    if not 0 <= data.cancel_window_hours <= 168:
        errors["cancel_window_hours"] = N_("Enter between 0 and 168 hours.")
    for name in ("quiet_start", "quiet_end"):
        try:
            time.fromisoformat(getattr(data, name))
        except ValueError:
            errors[name] = N_("Enter a time like 21:00.")
    return errors


def _workspace_settings(session: Session, workspace_id: uuid.UUID) -> tuple[Workspace, ReminderSettings]:
    workspace = session.get(Workspace, workspace_id)
    return workspace, ReminderSettings.from_json((workspace.settings or {}).get("reminders"))


def get_settings_for(actor: Actor) -> ReminderSettings:
    with workspace_session(actor) as session:
        return _workspace_settings(session, actor.workspace_id)[1]


def save_settings(actor: Actor, data: ReminderSettings) -> None:
    actor.require_owner()
    errors = validate_settings(data)
    if errors:
        raise ValidationFailed(errors)
    with workspace_session(actor) as session:
        workspace, _ = _workspace_settings(session, actor.workspace_id)
        workspace.settings = {**(workspace.settings or {}), "reminders": data.to_json()}
        audit.record(session, "workspace.reminder_settings_updated", workspace_id=actor.workspace_id,
                     user_id=actor.user_id, entity_type="workspace", entity_id=actor.workspace_id,
                     context=actor.context, details={"enabled": data.enabled,
                                                     "offsets": list(data.offsets_minutes)})


# --- timing (pure) ---------------------------------------------------------------------

def reminder_time(starts_at: datetime, offset_minutes: int, zone: ZoneInfo) -> datetime:
    """When the reminder `offset_minutes` before starts_at is due, before quiet hours."""
    if offset_minutes % DAY == 0:
        wall = local_wall_time(starts_at, zone) - timedelta(days=offset_minutes // DAY)
        return place(wall, zone)
    return starts_at - timedelta(minutes=offset_minutes)


def in_quiet_hours(moment: datetime, zone: ZoneInfo, quiet: tuple[time, time]) -> bool:
    start, end = quiet
    if start == end:
        return False
    local = moment.astimezone(zone).time()
    return start <= local < end if start < end else (local >= start or local < end)


def end_of_quiet(moment: datetime, zone: ZoneInfo, quiet: tuple[time, time]) -> datetime:
    """The first end of quiet hours after `moment` (local wall clock, DST-correct)."""
    wall = local_wall_time(moment, zone)
    candidate = datetime.combine(wall.date(), quiet[1])
    if candidate <= wall:
        candidate += timedelta(days=1)
    return place(candidate, zone)


def send_time(starts_at: datetime, offset_minutes: int, zone: ZoneInfo, quiet: tuple[time, time]) -> datetime | None:
    """When this reminder goes out, or None when quiet hours push it past the start."""
    due = reminder_time(starts_at, offset_minutes, zone)
    if in_quiet_hours(due, zone, quiet):
        due = end_of_quiet(due, zone, quiet)
    return due if due < starts_at else None


def due_offset(starts_at: datetime, settings: ReminderSettings, zone: ZoneInfo, now: datetime) -> int | None:
    """The reminder to send for this start at `now`: the smallest offset already due."""
    if now >= starts_at or in_quiet_hours(now, zone, settings.quiet):
        return None
    due = [o for o in settings.offsets_minutes
           if (at := send_time(starts_at, o, zone, settings.quiet)) is not None and at <= now]
    return min(due) if due else None


# --- scan and claim ----------------------------------------------------------------------

def _enabled_workspaces(session: Session) -> list[tuple[Workspace, ReminderSettings]]:
    rows = session.exec(select(Workspace).where(Workspace.settings["reminders"]["enabled"].as_boolean())).all()
    return [(w, ReminderSettings.from_json(w.settings.get("reminders"))) for w in rows]


def claim_due(now: datetime | None = None, stale_after: timedelta = STALE_CLAIM) -> list[uuid.UUID]:
    """Create the claim rows of every reminder due now (insert-or-nothing), and return the
    ids of all pending claims to queue: the new ones and those left by a worker that died."""
    now = now or clock.now()
    claimed: list[uuid.UUID] = []
    with system_session() as session:
        for workspace, settings in _enabled_workspaces(session):
            zone = ZoneInfo(workspace.time_zone)
            horizon = now + timedelta(minutes=max(settings.offsets_minutes)) + timedelta(days=1)
            rows = session.exec(
                select(Appointment.id, Appointment.starts_at)
                .join(Client, Client.id == Appointment.client_id)
                .where(Appointment.workspace_id == workspace.id, Appointment.starts_at > now,
                       Appointment.starts_at <= horizon, Appointment.status.in_(REMINDED_STATUSES),
                       Client.email_enc.is_not(None), Client.reminders_opt_out.is_(False),
                       Client.archived_at.is_(None))).all()
            for appointment_id, starts_at in rows:
                offset = due_offset(starts_at, settings, zone, now)
                if offset is None:
                    continue
                new_id = session.exec(
                    insert(ReminderDelivery)
                    .values(id=uuid.uuid4(), workspace_id=workspace.id, appointment_id=appointment_id,
                            offset_minutes=offset, starts_at=starts_at, status="pending", created_at=utcnow())
                    .on_conflict_do_nothing(constraint="uq_reminder_deliveries_key")
                    .returning(ReminderDelivery.id)).first()
                if new_id is not None:
                    claimed.append(new_id[0])
        stale = session.exec(select(ReminderDelivery.id).where(
            ReminderDelivery.status == "pending", ReminderDelivery.created_at <= utcnow() - stale_after,
            ReminderDelivery.starts_at > now)).all()
    return claimed + [i for i in stale if i not in set(claimed)]


# --- delivery ---------------------------------------------------------------------------

@dataclass
class ReminderMail:
    to: str
    subject: str
    text: str
    html: str
    ics: bytes
    sender: str
    message_id: str


def deliver(delivery_id: uuid.UUID, now: datetime | None = None) -> str:
    """Send one claimed reminder, at most once. Returns what happened (no PII): sent,
    busy (another worker holds it), done (already sent or skipped), wait (quiet hours),
    or skipped:<reason>."""
    now = now or clock.now()
    # The SMTP connection outlives the transaction: it commits right after the server's
    # "250 OK", before the QUIT (see mail.Sender).
    with mail.Sender() as sender:
        outcome = _deliver(sender, delivery_id, now)
    if outcome == "sent":
        log.info("reminder sent (delivery %s)", delivery_id)
    return outcome


def _deliver(sender: mail.Sender, delivery_id: uuid.UUID, now: datetime) -> str:
    with system_session() as session:
        row = session.exec(select(ReminderDelivery).where(ReminderDelivery.id == delivery_id)
                           .with_for_update(skip_locked=True)).first()
        if row is None:
            return "busy"
        if row.status != "pending":
            return "done"
        workspace, settings = _workspace_settings(session, row.workspace_id)
        zone = ZoneInfo(workspace.time_zone)
        reason = _skip_reason(session, row, settings, now)
        if reason:
            row.status, row.outcome = "skipped", reason
            return f"skipped:{reason}"
        if in_quiet_hours(now, zone, settings.quiet):
            return "wait"  # stays pending; the next scan after quiet hours queues it again
        message = _compose(session, row, workspace, settings, zone)
        row.status, row.sent_at = "sent", utcnow()
        audit.record(session, "reminder.sent", workspace_id=row.workspace_id, entity_type="appointment",
                     entity_id=row.appointment_id, details={"offset_minutes": row.offset_minutes,
                                                           "delivery": str(row.id)})
        # Written (not committed) before the SMTP exchange, and committed without waiting for
        # the disk: after the server's "250 OK" only a short COMMIT is left, the one moment where
        # a crash means a second copy (with the same Message-ID). A database crash can lose the
        # last "sent" marks too: those reminders go out again after the restart.
        session.flush()
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        sender.send(mail.rich_message(message.to, message.subject, message.text, message.html, message.sender,
                                      message_id=message.message_id,
                                      attachments=[("appointment.ics", "text/calendar", message.ics)]))
    return "sent"


def _skip_reason(session: Session, row: ReminderDelivery, settings: ReminderSettings, now: datetime) -> str | None:
    appointment = session.get(Appointment, row.appointment_id)
    client = session.get(Client, appointment.client_id)
    if not settings.enabled:
        return "disabled"
    if appointment.status not in REMINDED_STATUSES:
        return "cancelled" if appointment.status == "cancelled" else "status"
    if appointment.starts_at != row.starts_at:
        return "moved"
    if now >= appointment.starts_at:
        return "past"
    if client.email_enc is None or client.reminders_opt_out or client.archived_at is not None:
        return "client"
    return None


def _where(session: Session, appointment: Appointment, location: Location | None) -> str:
    if location is None:
        return ""
    if location.kind == "online":
        return location.video_link or "Online"
    if location.address:
        return location.address
    if location.kind == "home":
        client = session.get(Client, appointment.client_id)
        return crypto.unseal(session, client, "address_enc") or "Your home"
    return location.name


def when_text(starts_at: datetime, ends_at: datetime, zone: ZoneInfo, language: str = "en") -> str:
    """Monday, 30 November 2026, 16:00-16:50 (Asia/Jerusalem), in the reader's language."""
    day = fmt.format_long_date(starts_at, language=language, zone=zone.key)
    start, end = (fmt.format_time(starts_at, language=language, zone=zone.key),
                  fmt.format_time(ends_at, language=language, zone=zone.key))
    return f"{day}, {start}-{end} ({zone.key})"


def ics_for(appointment: Appointment, summary: str, where: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//PazPaz//reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{appointment.id}@pazpaz")
    event.add("dtstamp", utcnow())
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("summary", summary)
    if where:
        event.add("location", where)
    calendar.add_component(event)
    return calendar.to_ical()


def _compose(session: Session, row: ReminderDelivery, workspace: Workspace, settings: ReminderSettings,
             zone: ZoneInfo) -> ReminderMail:
    appointment = session.get(Appointment, row.appointment_id)
    client = session.get(Client, appointment.client_id)
    service = session.get(Service, appointment.service_id) if appointment.service_id else None
    location = session.get(Location, appointment.location_id) if appointment.location_id else None
    first_name = crypto.unseal(session, client, "first_name_enc") or ""
    practice = settings.sender_name.strip() or workspace.name
    # Mails to clients go out in the practice's language (docs/ARCHITECTURE.md, "Translation layer").
    language = i18n.supported(workspace.language)
    when = when_text(appointment.starts_at, appointment.ends_at, zone, language)
    where = _where(session, appointment, location)
    confirm, cancel = (link_url(purpose, appointment) for purpose in ("confirm", "cancel"))
    window = cancel_deadline(appointment.starts_at, settings)
    cancel_note = (_(language, "You can cancel online until {deadline}; after that, please call the practice.",
                     deadline=fmt.format_datetime(window, language=language, zone=zone.key))
                   if settings.cancel_window_hours else
                   _(language, "You can cancel online until the appointment starts."))
    what = service.name if service else _(language, "Appointment")
    hello = _(language, "Hello {name},", name=first_name)
    intro = _(language, "This is a reminder of your appointment with {practice}.", practice=practice)
    labels = {"when": _(language, "When:"), "where": _(language, "Where:"), "what": _(language, "What:"),
              "confirm": _(language, "Confirm"), "cancel": _(language, "Cancel")}
    lines = [hello, "", intro, "", f"{labels['when']} {when}"]
    if where:
        lines.append(f"{labels['where']} {where}")
    lines += [f"{labels['what']} {what}", ""]
    if settings.message.strip():
        lines += [settings.message.strip(), ""]
    lines += [f"{labels['confirm']}: {confirm}", f"{labels['cancel']}: {cancel}", cancel_note, "", practice]
    e = html.escape
    direction = i18n.direction(language)
    html_body = (
        f'<div dir="{direction}" lang="{language}"><p>{e(hello)}</p><p>{e(intro)}</p>'
        f"<p><strong>{e(labels['when'])}</strong> {e(when)}<br>"
        + (f"<strong>{e(labels['where'])}</strong> {e(where)}<br>" if where else "")
        + f"<strong>{e(labels['what'])}</strong> {e(what)}</p>"
        + (f'<p dir="auto">{e(settings.message.strip())}</p>' if settings.message.strip() else "")
        + f'<p><a href="{e(confirm)}">{e(labels["confirm"])}</a> &nbsp; '
        f'<a href="{e(cancel)}">{e(labels["cancel"])}</a></p>'
        f"<p>{e(cancel_note)}</p><p>{e(practice)}</p></div>"
    )
    to = crypto.unseal(session, client, "email_enc") or ""
    subject = _(language, "Reminder: {what} on {day} at {time}", what=what,
                day=fmt.format_day(appointment.starts_at.astimezone(zone).date(), language=language),
                time=fmt.format_time(appointment.starts_at, language=language, zone=zone.key))
    return ReminderMail(
        to=to, subject=subject,
        text="\n".join(lines), html=html_body, ics=ics_for(appointment, f"{what} ({practice})", where),
        sender=mail.sender_address(practice), message_id=f"<reminder-{row.id}@pazpaz.local>",
    )


# --- signed links -------------------------------------------------------------------------

def _link_key() -> bytes:
    return hmac.new(get_settings().secret_key, b"pazpaz-reminder-links", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(purpose: str, appointment_id: uuid.UUID, workspace_id: uuid.UUID, starts_at: datetime) -> str:
    body = struct.pack(">B16s16sq", PURPOSES[purpose], appointment_id.bytes, workspace_id.bytes,
                       int(starts_at.timestamp()))
    signature = hmac.new(_link_key(), body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(signature)}"


def link_url(purpose: str, appointment: Appointment) -> str:
    token = make_token(purpose, appointment.id, appointment.workspace_id, appointment.starts_at)
    return f"{get_settings().public_url}/appointment/{purpose}?t={token}"


class LinkRefused(ServiceError):
    """A reminder link that can't be used (bad, expired, other purpose, changed appointment)."""


@dataclass(frozen=True)
class ParsedToken:
    purpose: str
    appointment_id: uuid.UUID
    workspace_id: uuid.UUID
    starts_at: datetime


def parse_token(token: str, purpose: str) -> ParsedToken:
    refused = LinkRefused(N_("This link is not valid. Please use the link from your latest reminder, "
                          "or call the practice."))
    try:
        body_text, signature_text = token.split(".", 1)
        body, signature = _unb64(body_text), _unb64(signature_text)
        if len(body) != 41:
            raise refused
        kind, appointment, workspace, starts = struct.unpack(">B16s16sq", body)
    except (ValueError, struct.error, TypeError):
        raise refused from None
    if not hmac.compare_digest(hmac.new(_link_key(), body, hashlib.sha256).digest(), signature):
        raise refused
    if PURPOSES.get(purpose) != kind:
        raise refused
    return ParsedToken(purpose, uuid.UUID(bytes=appointment), uuid.UUID(bytes=workspace),
                       datetime.fromtimestamp(starts, UTC))


def cancel_deadline(starts_at: datetime, settings: ReminderSettings) -> datetime:
    return starts_at - timedelta(hours=settings.cancel_window_hours)


@dataclass(frozen=True)
class LinkView:
    """What the link page shows: the practice and the time, never the client."""

    purpose: str
    practice: str
    when: str
    status: str
    can_cancel: bool
    message: str = ""
    details: dict = field(default_factory=dict)
    language: str = "en"  # the practice's (the reminder mail's) language


def _open(session: Session, token: str, purpose: str, now: datetime) -> tuple[ParsedToken, Appointment,
                                                                                Workspace, ReminderSettings]:
    parsed = parse_token(token, purpose)
    if now >= parsed.starts_at:
        raise LinkRefused(N_("This link has expired: the appointment has started. Please call the practice."))
    appointment = session.exec(select(Appointment).where(Appointment.id == parsed.appointment_id,
                                                         Appointment.workspace_id == parsed.workspace_id)).first()
    if appointment is None:
        raise LinkRefused(N_("This appointment no longer exists. Please call the practice."))
    if int(appointment.starts_at.timestamp()) != int(parsed.starts_at.timestamp()):
        raise LinkRefused(N_("This appointment has been changed since this reminder was sent. "
                          "Please use the newest reminder, or call the practice."))
    workspace, settings = _workspace_settings(session, appointment.workspace_id)
    return parsed, appointment, workspace, settings


def view_link(token: str, purpose: str, context: RequestContext | None = None,
              now: datetime | None = None) -> LinkView:
    now = now or clock.now()
    with system_session() as session:
        _, appointment, workspace, settings = _open(session, token, purpose, now)
        zone = ZoneInfo(workspace.time_zone)
        # A read of practice data (the time), by the client or by a mail scanner.
        audit.record(session, "reminder_link.viewed", workspace_id=appointment.workspace_id,
                     entity_type="appointment", entity_id=appointment.id, context=context,
                     details={"purpose": purpose, "actor": "client"})
        language = i18n.supported(workspace.language)
        return LinkView(purpose=purpose, practice=settings.sender_name.strip() or workspace.name,
                        when=when_text(appointment.starts_at, appointment.ends_at, zone, language),
                        status=appointment.status, can_cancel=now <= cancel_deadline(appointment.starts_at, settings),
                        language=language)


def link_language(token: str, purpose: str) -> str | None:
    """The practice's language for a reminder link's answer page (None for a link that is not ours)."""
    try:
        parsed = parse_token(token, purpose)
    except LinkRefused:
        return None
    with system_session() as session:
        language = session.exec(select(Workspace.language).where(Workspace.id == parsed.workspace_id)).first()
        return i18n.supported(language) if language else None


def respond(token: str, purpose: str, context: RequestContext, now: datetime | None = None) -> str:
    """Apply the client's answer; returns the sentence the client reads. Refusals raise
    LinkRefused and change nothing."""
    now = now or clock.now()
    with system_session() as session:
        parsed = parse_token(token, purpose)
        lock_schedule(session, parsed.workspace_id)  # the same lock as every status change
        parsed, appointment, workspace, settings = _open(session, token, purpose, now)
        practice = settings.sender_name.strip() or workspace.name
        if appointment.status == "cancelled":
            return N_("This appointment is cancelled.") if purpose == "cancel" else \
                msg("This appointment was cancelled. Please call {practice} to book again.", practice=practice)
        if appointment.status not in REMINDED_STATUSES:
            raise LinkRefused(msg("This appointment can't be changed online any more. Please call {practice}.",
                                  practice=practice))
        if purpose == "confirm":
            if appointment.status != "confirmed":
                _set_status(session, appointment, "confirmed", context)
            return N_("Thank you: your appointment is confirmed.")
        if now > cancel_deadline(appointment.starts_at, settings):
            raise LinkRefused(msg("It is too late to cancel online. Please call {practice}.", practice=practice))
        _set_status(session, appointment, "cancelled", context)
        _tell_therapists(session, appointment, workspace)
        return N_("Your appointment is cancelled. Thank you for letting us know.")


def _set_status(session: Session, appointment: Appointment, status: str, context: RequestContext) -> None:
    audit.record(session, "appointment.status_changed", workspace_id=appointment.workspace_id,
                 entity_type="appointment", entity_id=appointment.id, context=context,
                 details={"from": appointment.status, "to": status, "actor": "client", "via": "reminder_link"})
    appointment.status, appointment.updated_at = status, utcnow()
    session.add(ClientResponse(workspace_id=appointment.workspace_id, appointment_id=appointment.id,
                               action=status, created_at=utcnow()))


def _tell_therapists(session: Session, appointment: Appointment, workspace: Workspace) -> None:
    """A mail to each active owner: when, never who (mail is not end-to-end encrypted)."""
    zone = ZoneInfo(workspace.time_zone)
    start = appointment.starts_at.astimezone(zone)
    owners = session.exec(select(User).where(User.workspace_id == workspace.id, User.role == "owner",
                                             User.active.is_(True))).all()
    url = f"{get_settings().public_url}/calendar"
    for owner in owners:
        address = crypto.unseal(session, owner, "email_encrypted") or ""
        if address:
            language = i18n.supported(owner.language)
            when = (f"{fmt.format_long_date(start, language=language, zone=zone.key)}, "
                    f"{fmt.format_time(start, language=language, zone=zone.key)}")
            body = _(language, "The appointment on {when} was cancelled by the client through the reminder link. "
                               "The time is free again.", when=when)
            body += "\n\n" + _(language, "Open PazPaz: {link}", link=url) + "\n"
            mail.send_after_commit(session, address, _(language, "A client cancelled an appointment"), body)


# --- the therapist's side ----------------------------------------------------------------

def unseen_cancellations(actor: Actor) -> int:
    with workspace_session(actor) as session:
        return session.exec(select(func.count()).select_from(ClientResponse).where(
            ClientResponse.action == "cancelled", ClientResponse.seen_at.is_(None))).one()


def mark_cancellations_seen(actor: Actor) -> int:
    with workspace_session(actor) as session:
        rows = session.exec(select(ClientResponse).where(and_(ClientResponse.action == "cancelled",
                                                              ClientResponse.seen_at.is_(None)))).all()
        for row in rows:
            row.seen_at = utcnow()
        audit.record(session, "client_response.seen", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="client_response", context=actor.context, details={"count": len(rows)})
        return len(rows)


def set_client_opt_out(actor: Actor, client_id: uuid.UUID, opt_out: bool) -> None:
    from pazpaz.services.errors import NotFound

    with workspace_session(actor) as session:
        client = session.exec(select(Client).where(Client.id == client_id)).first()
        if client is None:
            raise NotFound(N_("Client not found."))
        client.reminders_opt_out = opt_out
        audit.record(session, "client.reminders_opt_out", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="client", entity_id=client_id, context=actor.context,
                     details={"opt_out": opt_out})


@dataclass(frozen=True)
class ClientReminderStatus:
    opted_out: bool
    has_email: bool
    workspace_enabled: bool

    @property
    def text(self) -> str:
        if not self.workspace_enabled:
            return N_("Reminders are off for the practice (Settings).")
        if not self.has_email:
            return N_("No email address: this client gets no reminders.")
        if self.opted_out:
            return N_("This client opted out of reminders.")
        return N_("This client gets appointment reminders by email.")


def client_status(actor: Actor, client_id: uuid.UUID) -> ClientReminderStatus:
    from pazpaz.services.errors import NotFound

    with workspace_session(actor) as session:
        client = session.exec(select(Client).where(Client.id == client_id)).first()
        if client is None:
            raise NotFound(N_("Client not found."))
        _, settings = _workspace_settings(session, actor.workspace_id)
        return ClientReminderStatus(opted_out=client.reminders_opt_out, has_email=client.email_enc is not None,
                                    workspace_enabled=settings.enabled)
