"""The calendar feed: a secret iCalendar (RFC 5545) link per user, for a phone's calendar.

A link is the only credential a subscribed calendar app can send (no cookies), so it is an
opaque 256-bit token of which only the SHA-256 is stored, as for sign-in links. Each user has
at most one live link (a partial unique index); regenerating revokes the old one and makes
a new one in one transaction, so the old URL stops working at once.

A read resolves the token with `system_session` only to learn whose link it is, then reads
the schedule as that user through `workspace_session` (the scoping choke point): a link of
workspace B can only ever show B's appointments. Every read, refused or not, writes one
audit row (ids and a count, never content).

What a feed holds: appointments starting from 30 days ago to 90 days ahead (whole days in the
practice's zone), except cancelled ones (a calendar app drops an event that leaves the feed);
times with the workspace's TZID; the client's initials (full names only when the user
switched them on) and the service; the location (its address, the client's address for a
home visit, the video link for an online one); a link back into PazPaz. Never notes.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone
from sqlalchemy import update
from sqlmodel import Session, select

from pazpaz import i18n
from pazpaz.i18n import N_, msg
from pazpaz.models import Appointment, CalendarFeedToken, Client, Location, Service, User, Workspace
from pazpaz.models.base import utcnow
from pazpaz.services import audit, clock, crypto
from pazpaz.services.audit import RequestContext
from pazpaz.services.conflicts import initials
from pazpaz.services.errors import NotFound, RateLimited
from pazpaz.services.ratelimit import get_feed_limiter
from pazpaz.services.recurrence import place
from pazpaz.services.scope import Actor, system_session, workspace_session
from pazpaz.services.tokens import hash_token, new_token
from pazpaz.settings import get_settings

log = logging.getLogger("pazpaz.calendar_feed")

PAST_DAYS = 30
FUTURE_DAYS = 90
# What new_token() makes (43 URL-safe characters), with room to spare; anything else is
# refused before hashing or touching the database.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
PRODID = "-//PazPaz//Calendar feed//EN"
# The events' words are in the feed owner's language (users.language), like their mails.
KIND_LABELS = {"clinic": N_("Clinic"), "home": N_("Home visit"), "online": N_("Online")}
STATUS_LABELS = {"scheduled": N_("Scheduled"), "confirmed": N_("Confirmed"), "attended": N_("Attended"),
                 "no_show": N_("No-show")}
CLIENT = N_("Client")
# How often calendar apps that honour it should fetch again.
REFRESH = timedelta(minutes=30)


@dataclass(frozen=True)
class FeedStatus:
    """The user's live link, without the token itself (only its hash is kept)."""

    created_at: datetime
    include_full_names: bool


@dataclass(frozen=True)
class Issued:
    url: str
    status: FeedStatus


@dataclass(frozen=True)
class _Owner:
    feed_id: uuid.UUID
    workspace_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    include_full_names: bool
    practice_name: str
    time_zone: str
    language: str = i18n.DEFAULT_LANGUAGE


def feed_url(token: str) -> str:
    return f"{get_settings().public_url}/feed/{token}.ics"


def appointment_url(appointment_id: uuid.UUID) -> str:
    return f"{get_settings().public_url}/calendar/?appointment={appointment_id}"


# ---- managing the link (Settings) ---------------------------------------------------------

def _live(session: Session, user_id: uuid.UUID) -> CalendarFeedToken | None:
    return session.exec(select(CalendarFeedToken).where(CalendarFeedToken.user_id == user_id,
                                                        CalendarFeedToken.revoked_at.is_(None))).first()


def status(actor: Actor) -> FeedStatus | None:
    with workspace_session(actor) as session:
        row = _live(session, actor.user_id)
        return FeedStatus(row.created_at, row.include_full_names) if row else None


def _lock_user(session: Session, user_id: uuid.UUID) -> None:
    """Serialise changes to one user's link. FOR NO KEY UPDATE: rows that merely reference
    the user (audit rows, sessions) are not held up."""
    if session.exec(select(User.id).where(User.id == user_id).with_for_update(key_share=True)).first() is None:
        raise NotFound(N_("User not found."))


def issue(actor: Actor) -> Issued:
    """Create the user's link, or replace it: the old one stops working when this commits.
    The full-names choice carries over to the new link. Returns the URL, shown once."""
    token = new_token()
    now = utcnow()
    with workspace_session(actor) as session:
        _lock_user(session, actor.user_id)
        old = _live(session, actor.user_id)
        full_names = old.include_full_names if old else False
        if old is not None:
            old.revoked_at = now
            _forget(old.id)
            session.flush()  # the old row leaves the live index before the new one enters it
        row = CalendarFeedToken(workspace_id=actor.workspace_id, user_id=actor.user_id,
                                token_hash=hash_token(token), include_full_names=full_names, created_at=now)
        session.add(row)
        session.flush()
        audit.record(session, "calendar_feed.regenerated" if old else "calendar_feed.created",
                     workspace_id=actor.workspace_id, user_id=actor.user_id, entity_type="calendar_feed",
                     entity_id=row.id, context=actor.context,
                     details={"replaced": str(old.id)} if old else {}, now=now)
        return Issued(feed_url(token), FeedStatus(row.created_at, row.include_full_names))


def turn_off(actor: Actor) -> None:
    now = utcnow()
    with workspace_session(actor) as session:
        _lock_user(session, actor.user_id)
        row = _live(session, actor.user_id)
        if row is None:
            return
        row.revoked_at = now
        _forget(row.id)
        audit.record(session, "calendar_feed.revoked", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="calendar_feed", entity_id=row.id, context=actor.context, now=now)


def set_full_names(actor: Actor, include: bool) -> FeedStatus:
    with workspace_session(actor) as session:
        _lock_user(session, actor.user_id)
        row = _live(session, actor.user_id)
        if row is None:
            raise NotFound(N_("Create a feed link first."))
        row.include_full_names = bool(include)
        audit.record(session, "calendar_feed.updated", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="calendar_feed", entity_id=row.id, context=actor.context,
                     details={"include_full_names": row.include_full_names})
        return FeedStatus(row.created_at, row.include_full_names)


def revoke_for_user(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    """In the caller's transaction (deactivating a user): their link dies with their sessions,
    so reactivating them does not bring an old URL back to life."""
    session.execute(update(CalendarFeedToken)
                    .where(CalendarFeedToken.user_id == user_id, CalendarFeedToken.revoked_at.is_(None))
                    .values(revoked_at=now))


# ---- reading the feed (the phone) ------------------------------------------------------------

def read(token: str, context: RequestContext) -> bytes:
    """The iCalendar body for a feed link. Raises NotFound (the same for an unknown, revoked
    or malformed link and a deactivated user) or RateLimited; each outcome is audited."""
    limiter = get_feed_limiter()
    try:
        limiter.hit("ip", context.ip or "")
    except RateLimited:
        _refuse(token, context, "rate_limited", limit="ip")
        raise
    owner = _resolve(token, context)
    try:
        limiter.hit("token", str(owner.feed_id))
    except RateLimited:
        _refuse(token, context, "rate_limited", limit="token", owner=owner)
        raise
    actor = Actor(workspace_id=owner.workspace_id, user_id=owner.user_id, role=owner.role, context=context)
    return _render(actor, owner)


def _lookup(session: Session, token: str) -> tuple[CalendarFeedToken, User, Workspace] | None:
    if not TOKEN_RE.match(token or ""):
        return None
    return session.exec(
        select(CalendarFeedToken, User, Workspace)
        .join(User, User.id == CalendarFeedToken.user_id)
        .join(Workspace, Workspace.id == CalendarFeedToken.workspace_id)
        .where(CalendarFeedToken.token_hash == hash_token(token))
    ).first()


def _resolve(token: str, context: RequestContext) -> _Owner:
    with system_session() as session:
        found = _lookup(session, token)
        feed, user, workspace = found if found else (None, None, None)
        if feed is None or feed.revoked_at is not None or not user.active or user.workspace_id != feed.workspace_id:
            reason = "unknown" if feed is None else "revoked" if feed.revoked_at is not None else "inactive"
            _audit_refusal(session, feed, context, reason)
            session.commit()  # the refusal stays on record although the caller sees an exception
            raise NotFound(N_("Not found."))
        return _Owner(feed.id, feed.workspace_id, feed.user_id, user.role, feed.include_full_names, workspace.name,
                      workspace.time_zone, i18n.supported(user.language))


def _refuse(token: str, context: RequestContext, reason: str, limit: str, owner: _Owner | None = None) -> None:
    with system_session() as session:
        if owner is not None:
            feed = session.get(CalendarFeedToken, owner.feed_id)
        else:  # refused before the token was checked: still name whose link it was, if any
            found = _lookup(session, token)
            feed = found[0] if found else None
        _audit_refusal(session, feed, context, reason, limit=limit)
    log.warning("calendar feed read refused by the %s rate limit", limit)


def _audit_refusal(session: Session, feed: CalendarFeedToken | None, context: RequestContext, reason: str,
                   limit: str | None = None) -> None:
    details = {"reason": reason, **({"limit": limit} if limit else {})}
    audit.record(session, "calendar_feed.refused",
                 workspace_id=feed.workspace_id if feed else None, user_id=feed.user_id if feed else None,
                 entity_type="calendar_feed" if feed else None, entity_id=feed.id if feed else None,
                 context=context, details=details)


def window(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Whole days in the practice's zone, from the start of the day PAST_DAYS ago to the end
    of the day FUTURE_DAYS ahead: the feed holds the same set all day long."""
    today = now.astimezone(zone).date()
    return (place(datetime.combine(today - timedelta(days=PAST_DAYS), time()), zone),
            place(datetime.combine(today + timedelta(days=FUTURE_DAYS + 1), time()), zone))


def _rows(session: Session, start: datetime, end: datetime) -> list:
    """One query for the whole window: each appointment with the few columns an event needs."""
    statement = (
        select(Appointment.id, Appointment.client_id, Appointment.starts_at, Appointment.ends_at,
               Appointment.status, Appointment.updated_at,
               Client.first_name_enc, Client.last_name_enc, Client.address_enc,
               Service.name.label("service_name"), Location.name.label("location_name"),
               Location.kind.label("location_kind"), Location.address.label("location_address"),
               Location.video_link)
        .join(Client, Client.id == Appointment.client_id)
        .outerjoin(Service, Service.id == Appointment.service_id)
        .outerjoin(Location, Location.id == Appointment.location_id)
        .where(Appointment.starts_at >= start, Appointment.starts_at < end, Appointment.status != "cancelled")
        .order_by(Appointment.starts_at)
    )
    return list(session.exec(statement).all())


def _render(actor: Actor, owner: _Owner) -> bytes:
    zone = ZoneInfo(owner.time_zone)
    start, end = window(clock.now(), zone)
    with workspace_session(actor) as session:
        rows = _rows(session, start, end)
        fingerprint = _fingerprint(owner, start, rows)
        body = _cached(owner.feed_id, fingerprint)
        if body is None:
            calendar = _calendar(owner.practice_name, zone, start.date(), end.date())
            for row in rows:
                calendar.add_component(_event(session, actor.workspace_id, row, zone, owner.include_full_names,
                                              owner.language))
            body = calendar.to_ical()
            _remember(owner.feed_id, fingerprint, body)
        audit.record(session, "calendar_feed.read", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="calendar_feed", entity_id=owner.feed_id, context=actor.context,
                     details={"count": len(rows), "from": start.isoformat(), "to": end.isoformat(),
                              "full_names": owner.include_full_names})
    return body


# Serialising is most of a read's time (icalendar folds lines character by character: about
# a second for 1,200 events on our 2-core machine), while a phone polls an unchanged schedule
# all day. A body is kept per link and served again only while every input it was built from
# is the same: the rows of the window (ids, times, status, last change, the ciphertext of
# names and addresses, service and location columns), the link's settings, the practice's
# name and zone, the public URL and the window's first day (it bounds the VTIMEZONE).
_BODIES: OrderedDict[uuid.UUID, tuple[bytes, bytes]] = OrderedDict()
_BODIES_LOCK = threading.Lock()
BODIES_KEPT = 64


def _fingerprint(owner: _Owner, start: datetime, rows: list) -> bytes:
    digest = hashlib.sha256(repr((owner.include_full_names, owner.practice_name, owner.time_zone, owner.language,
                                  get_settings().public_url, start.date())).encode())
    for row in rows:
        digest.update(repr(tuple(row)).encode())
    return digest.digest()


def _cached(feed_id: uuid.UUID, fingerprint: bytes) -> bytes | None:
    with _BODIES_LOCK:
        kept = _BODIES.get(feed_id)
        if kept is None or kept[0] != fingerprint:
            return None
        _BODIES.move_to_end(feed_id)
        return kept[1]


def _remember(feed_id: uuid.UUID, fingerprint: bytes, body: bytes) -> None:
    with _BODIES_LOCK:
        _BODIES[feed_id] = (fingerprint, body)
        _BODIES.move_to_end(feed_id)
        while len(_BODIES) > BODIES_KEPT:
            _BODIES.popitem(last=False)


def _forget(feed_id: uuid.UUID) -> None:
    with _BODIES_LOCK:
        _BODIES.pop(feed_id, None)


def _calendar(practice_name: str, zone: ZoneInfo, first: date, last: date) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"PazPaz · {practice_name}")
    calendar.add("x-wr-timezone", zone.key)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    # Only the transitions around the window: the full history of a zone is kilobytes.
    calendar.add_component(Timezone.from_tzinfo(zone, zone.key, first - timedelta(days=366),
                                                last + timedelta(days=366)))
    return calendar


def _open(session: Session, workspace_id: uuid.UUID, column: str, client_id: uuid.UUID, blob: bytes | None) -> str:
    return crypto.opened_text(session, workspace_id, "clients", column, client_id, blob)


def _event(session: Session, workspace_id: uuid.UUID, row, zone: ZoneInfo, full_names: bool,
           language: str = i18n.DEFAULT_LANGUAGE) -> Event:
    def words(text: str) -> str:
        return i18n.translate(language, text)

    first = _open(session, workspace_id, "first_name_enc", row.client_id, row.first_name_enc)
    last = _open(session, workspace_id, "last_name_enc", row.client_id, row.last_name_enc)
    who = f"{first} {last}".strip() if full_names else initials(first, last)
    title = " · ".join(part for part in (who or words(CLIENT), row.service_name) if part)
    where = _where(session, workspace_id, row, language)
    link = appointment_url(row.id)
    description = [words(msg("Status: {status}", status=words(STATUS_LABELS.get(row.status, row.status))))]
    if row.location_kind == "online" and row.video_link:
        description.append(words(msg("Video link: {link}", link=row.video_link)))
    description.append(words(msg("Open in PazPaz: {link}", link=link)))

    event = Event()
    event.add("uid", f"{row.id}@pazpaz")
    # A published feed, not a scheduling message: DTSTAMP is the last change, like
    # LAST-MODIFIED (RFC 5545 3.8.7.2), so an unchanged event reads the same at every fetch.
    event.add("dtstamp", row.updated_at.astimezone(UTC))
    event.add("last-modified", row.updated_at.astimezone(UTC))
    event.add("dtstart", row.starts_at.astimezone(zone))
    event.add("dtend", row.ends_at.astimezone(zone))
    event.add("summary", title)
    if where:
        event.add("location", where)
    event.add("description", "\n".join(description))
    event.add("url", link)
    event.add("status", "CONFIRMED")
    return event


def _where(session: Session, workspace_id: uuid.UUID, row, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    kind = row.location_kind or ""
    if not kind:
        return ""
    if kind == "online":
        place = row.video_link or ""
    elif row.location_address:
        place = row.location_address
    elif kind == "home":  # a home visit without an address of its own is at the client's
        place = _open(session, workspace_id, "address_enc", row.client_id, row.address_enc)
    else:
        place = ""
    name = row.location_name or (i18n.translate(language, KIND_LABELS[kind]) if kind in KIND_LABELS else "")
    return ", ".join(part for part in (name, place) if part)
