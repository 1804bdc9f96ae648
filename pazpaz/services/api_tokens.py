"""Personal access tokens for /api/v1: create (the token is shown once), list, revoke, and
authenticate a bearer token into the same Actor the UI builds from a session cookie.

Only the SHA-256 of a token is stored (services/tokens.py). A token acts as its user with
that user's role, so an assistant's token gets what an assistant gets in the UI. Revoked,
expired and deactivated users' tokens answer nothing (the API says 401).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, any_, bindparam, event, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, select

from pazpaz.i18n import N_, msg
from pazpaz.infra import shared
from pazpaz.models import API_TOKEN_SCOPES, ApiToken, User
from pazpaz.models.base import utcnow
from pazpaz.services import audit, crypto
from pazpaz.services.audit import RequestContext
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.services.scope import Actor, system_read_session, system_session, workspace_session
from pazpaz.services.tokens import hash_token, new_token

log = logging.getLogger("pazpaz.api_tokens")

EXPIRY_CHOICES = (30, 90, 365)  # days offered in Settings; None is "never expires"
MAX_DAYS = 365
NAME_LIMIT = 100
# last_used_at is written at most this often: a busy script doesn't turn every read into a write.
LAST_USED_PRECISION = timedelta(seconds=60)
PREFIX = "pzp_"  # lets secret scanners and people recognise a PazPaz token
# A verified token is trusted for this long without asking the database again (each lookup is
# a transaction of its own, a third of an API read's round trips). Revoking or deactivating
# in this process drops the entry at once; another worker process notices within this time.
AUTH_CACHE_SECONDS = 2.0
# While tokens are in use, one background statement re-checks every token used in the last
# AUTH_ACTIVE_SECONDS, started by a request at most every AUTH_REFRESH_SECONDS: a busy token's
# entry stays fresh and its requests never wait for a check. The bound above is unchanged
# (docs/ARCHITECTURE.md "API tokens").
AUTH_REFRESH_SECONDS = 0.5
AUTH_ACTIVE_SECONDS = 60.0


@dataclass(frozen=True)
class CreatedToken:
    id: uuid.UUID
    token: str  # shown once, never stored
    expires_at: datetime | None


@dataclass(frozen=True)
class TokenView:
    id: uuid.UUID
    name: str
    scope: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    user_id: uuid.UUID

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class TokenIdentity:
    actor: Actor
    token_id: uuid.UUID
    scope: str

    @property
    def can_write(self) -> bool:
        return self.scope == "read-write"


def _validate(name: str, scope: str, days: int | None) -> str:
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = N_("Give the token a name, like the program that will use it.")
    elif len(name) > NAME_LIMIT:
        errors["name"] = msg("Keep the name under {limit} characters.", limit=NAME_LIMIT)
    if scope not in API_TOKEN_SCOPES:
        errors["scope"] = N_("Choose read or read-write.")
    if days is not None and not 1 <= days <= MAX_DAYS:
        errors["days"] = msg("Choose an expiry between 1 and {days} days, or none.", days=MAX_DAYS)
    if errors:
        raise ValidationFailed(errors)
    return name


def _insert(session: Session, actor: Actor, name: str, scope: str, days: int | None, now: datetime,
            via: str) -> CreatedToken:
    token = PREFIX + new_token()
    row = ApiToken(id=uuid.uuid4(), workspace_id=actor.workspace_id, user_id=actor.user_id, name=name,
                   token_hash=hash_token(token), scope=scope, created_at=now,
                   expires_at=now + timedelta(days=days) if days else None)
    session.add(row)
    audit.record(session, "api_token.created", workspace_id=actor.workspace_id, user_id=actor.user_id,
                 entity_type="api_token", entity_id=row.id, context=actor.context, now=now,
                 details={"scope": scope, "days": days, "via": via})
    return CreatedToken(id=row.id, token=token, expires_at=row.expires_at)


def create(actor: Actor, name: str, scope: str = "read", days: int | None = 90,
           now: datetime | None = None) -> CreatedToken:
    """A new token for the actor's own user; the returned value is the only copy."""
    name = _validate(name, scope, days)
    with workspace_session(actor) as session:
        return _insert(session, actor, name, scope, days, now or utcnow(), "settings")


def create_for_email(email: str, name: str, read_only: bool, days: int | None,
                     context: RequestContext) -> CreatedToken:
    """The command line's way in: a token for the (active) user with this address."""
    scope = "read" if read_only else "read-write"
    name = _validate(name, scope, days)
    with system_session() as session:
        user = session.exec(select(User).where(User.email_index == crypto.email_index(email))).first()
        if user is None or not user.active:
            raise NotFound(N_("No active user has this address."))
        actor = Actor(workspace_id=user.workspace_id, user_id=user.id, role=user.role, context=context)
        return _insert(session, actor, name, scope, days, utcnow(), "cli")


def _view(row: ApiToken) -> TokenView:
    return TokenView(id=row.id, name=row.name, scope=row.scope, created_at=row.created_at,
                     expires_at=row.expires_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at,
                     user_id=row.user_id)


def list_tokens(actor: Actor) -> list[TokenView]:
    """The actor's own tokens, newest first (revoked ones too, so the list explains itself)."""
    with workspace_session(actor) as session:
        rows = session.exec(select(ApiToken).where(ApiToken.user_id == actor.user_id)
                            .order_by(ApiToken.created_at.desc())).all()
        audit.record(session, "api_token.listed", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="api_token", context=actor.context, details={"count": len(rows)})
        return [_view(row) for row in rows]


def revoke(actor: Actor, token_id: uuid.UUID, now: datetime | None = None) -> None:
    """Revoke one of the actor's own tokens; the owner may revoke any token of the practice."""
    with workspace_session(actor) as session:
        statement = select(ApiToken).where(ApiToken.id == token_id)
        if not actor.is_owner:
            statement = statement.where(ApiToken.user_id == actor.user_id)
        row = session.exec(statement).first()
        if row is None:
            raise NotFound(N_("Token not found."))
        if row.revoked_at is None:
            row.revoked_at = now or utcnow()
        _forget_now_and_after_commit(session, lambda entry: entry.identity.token_id == token_id)
        shared.publish_after_commit(session, "api-token-revoked", str(token_id))
        audit.record(session, "api_token.revoked", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="api_token", entity_id=row.id, context=actor.context)


def revoke_all_of_user(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    """Deactivating a user kills their tokens (called inside team.deactivate's transaction)."""
    session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    _forget_now_and_after_commit(session, lambda entry: entry.identity.actor.user_id == user_id)
    shared.publish_after_commit(session, "api-tokens-of-user-revoked", str(user_id))


@dataclass(frozen=True)
class _Verified:
    identity: TokenIdentity
    expires_at: datetime | None
    checked_at: float  # time.monotonic()


_verified: dict[str, _Verified] = {}
_verified_lock = threading.Lock()
# Bumped by every _forget (at a revocation and again when it commits): a check that began
# before the bump must not put the token back when it finishes after it.
_generation = 0
# When each cached token was last used (time.monotonic()), for the background re-check,
# whether one is under way (at most one at a time) and when the last one began.
_seen: dict[str, float] = {}
_rechecking = False
_last_recheck = float("-inf")


def _forget(matches) -> None:
    global _generation
    with _verified_lock:
        _generation += 1
        for key in [key for key, entry in _verified.items() if matches(entry)]:
            del _verified[key]


def _forget_now_and_after_commit(session: Session, matches) -> None:
    """_forget at once and again once the revocation commits: a check that read the token as
    valid before the commit (and began after the first _forget) must not keep it cached."""
    _forget(matches)
    event.listen(session, "after_commit", lambda _session: _forget(matches), once=True)


def _drop(token_hash: str, entry: _Verified | None = None) -> None:
    """Remove one lapsed or refused entry (entry: only if it is still that one)."""
    with _verified_lock:
        if entry is None or _verified.get(token_hash) is entry:
            _verified.pop(token_hash, None)


def _remember(token_hash: str, identity: TokenIdentity, expires_at: datetime | None, checked_at: float,
              generation: int) -> None:
    with _verified_lock:
        if generation != _generation:
            return
        if len(_verified) > 10_000:
            _verified.clear()
        _verified[token_hash] = _Verified(identity, expires_at, checked_at)


# With several processes (REDIS_URL) each keeps its own cache: a revocation anywhere empties
# them all (pazpaz/infra/shared.py), so none serves a revoked token from memory.
shared.on("api-token-revoked", lambda token_id: _forget(lambda entry: str(entry.identity.token_id) == token_id))
shared.on("api-tokens-of-user-revoked",
          lambda user_id: _forget(lambda entry: str(entry.identity.actor.user_id) == user_id))


def clear_cache() -> None:
    """Forget every verified token and pending re-check (tests: one database per test)."""
    global _rechecking, _last_recheck
    _forget(lambda entry: True)
    with _verified_lock:
        _seen.clear()
        _rechecking, _last_recheck = False, float("-inf")


def recently_verified(token: str, context: RequestContext) -> TokenIdentity | None:
    """The identity of a token verified less than AUTH_CACHE_SECONDS ago (no database), else None."""
    return cached(token, context, mark_due=False)[0]


def cached(token: str, context: RequestContext, mark_due: bool = True) -> tuple[TokenIdentity | None, bool]:
    """(identity, start_recheck): the identity as recently_verified gives it, and whether this
    caller should run recheck_due() in the background (none is under way and the last one
    began AUTH_REFRESH_SECONDS ago or more)."""
    global _rechecking, _last_recheck
    token_hash = hash_token(token)
    entry = _verified.get(token_hash)
    if entry is None:
        return None, False
    now = time.monotonic()
    if now - entry.checked_at > AUTH_CACHE_SECONDS or (entry.expires_at is not None and entry.expires_at <= utcnow()):
        _drop(token_hash, entry)
        return None, False
    start = False
    if mark_due:
        _seen[token_hash] = now
        if not _rechecking and now - _last_recheck >= AUTH_REFRESH_SECONDS:
            with _verified_lock:
                start = not _rechecking
                _rechecking = _rechecking or start
                if start:
                    _last_recheck = now
    return _with_context(entry.identity, context), start


def recheck_due(now: datetime | None = None) -> None:
    """The background re-check cached() asked for: every cached token used in the last
    AUTH_ACTIVE_SECONDS, in one statement, each refreshed or dropped (revoked, expired, user
    off). Never raises: nobody awaits it."""
    global _rechecking
    try:
        active_since = time.monotonic() - AUTH_ACTIVE_SECONDS
        with _verified_lock:
            seen = list(_seen.items())  # one C-level copy: the event loop keeps writing _seen
            for token_hash, used in seen:
                if used < active_since or token_hash not in _verified:
                    _seen.pop(token_hash, None)
            due = {token_hash: _verified[token_hash] for token_hash, used in seen
                   if used >= active_since and token_hash in _verified}
        # Last use is stamped only for tokens used since their entry's check (not every active one).
        used_since = {token_hash for token_hash, used in seen
                      if token_hash in due and used >= due[token_hash].checked_at}
        if due:
            _recheck(due, used_since, now or utcnow())
    except Exception as error:  # the entries lapse as usual; a request then checks in its own time
        log.warning("Background token re-check failed: %s", type(error).__name__)
    finally:
        _rechecking = False


def recheck_not_started() -> None:
    """The caller could not start the re-check cached() asked it to (executor gone)."""
    global _rechecking
    _rechecking = False


def _recheck(due: dict[str, _Verified], used_since: set[str], now: datetime) -> None:
    checked_at, generation = time.monotonic(), _generation
    rows = _lookup(list(due), used_since, now)
    for token_hash, entry in due.items():
        found = rows.get(token_hash)
        if found is None:
            _drop(token_hash, entry)
            continue
        _remember(token_hash, _identity(found, entry.identity.actor.context), found.expires_at, checked_at,
                  generation)


def _lookup(token_hashes: list[str], used: set[str], now: datetime) -> dict[str, Any]:
    """The valid tokens among these hashes (not revoked or expired, user active in the token's
    workspace), by hash: one autocommit SELECT; the last-use stamps of `used` ones that are
    due, in one UPDATE."""
    with system_read_session() as session:
        rows = session.exec(select(ApiToken.id, ApiToken.token_hash, ApiToken.workspace_id, ApiToken.user_id,
                                   ApiToken.scope, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at,
                                   User.role, User.active, User.workspace_id.label("user_workspace_id"))
                            .join(User, User.id == ApiToken.user_id)
                            # = ANY(array): one statement text whatever the count, so psycopg 3
                            # prepares it once (an IN list is a new statement per length).
                            .where(ApiToken.token_hash == any_(bindparam("token_hashes", token_hashes,
                                                                         type_=ARRAY(String))))).all()
    valid = {row.token_hash: row for row in rows
             if row.revoked_at is None and (row.expires_at is None or row.expires_at > now)
             and row.active and row.user_workspace_id == row.workspace_id}
    stale = [row.id for token_hash, row in valid.items() if token_hash in used
             and (row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION)]
    if stale:
        with system_session() as session:
            session.execute(update(ApiToken).where(ApiToken.id.in_(stale))  # type: ignore[attr-defined]
                            .values(last_used_at=now))
    return valid


def _identity(found: Any, context: RequestContext | None) -> TokenIdentity:
    return _with_context(TokenIdentity(actor=Actor(workspace_id=found.workspace_id, user_id=found.user_id,
                                                   role=found.role), token_id=found.id, scope=found.scope),
                         context or RequestContext())


def _with_context(identity: TokenIdentity, context: RequestContext) -> TokenIdentity:
    actor = identity.actor
    api_context = RequestContext(ip=context.ip, user_agent=context.user_agent, source="api",
                                 token_id=identity.token_id)
    return TokenIdentity(actor=Actor(workspace_id=actor.workspace_id, user_id=actor.user_id, role=actor.role,
                                     context=api_context), token_id=identity.token_id, scope=identity.scope)


def authenticate(token: str, context: RequestContext, now: datetime | None = None) -> TokenIdentity | None:
    """The identity behind a bearer token, or None (unknown, revoked, expired, user off).

    One autocommit statement (system_read_session): with the 2 s cache every token is checked
    again this often, and a BEGIN/SELECT/COMMIT transaction was three round trips of it. The
    rare last-use stamp is its own small write."""
    if not token or len(token) > 200:
        return None
    now, token_hash = now or utcnow(), hash_token(token)
    # The entry's age counts from before the read: a revocation committed while it runs is
    # then at most AUTH_CACHE_SECONDS old when the entry lapses.
    checked_at, generation = time.monotonic(), _generation
    found = _lookup([token_hash], {token_hash}, now).get(token_hash)
    if found is None:
        return None
    identity = _identity(found, context)
    _remember(token_hash, identity, found.expires_at, checked_at, generation)
    return identity
