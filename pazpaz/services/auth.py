"""Magic-link sign-in, sign-up and server-side sessions (DESIGN.md "Sign-in and sessions")."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote

from sqlalchemy import bindparam, func, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from pazpaz import i18n
from pazpaz.i18n import N_, _
from pazpaz.models.auth import AuthSession, MagicLinkToken
from pazpaz.models.base import utcnow
from pazpaz.models.user import User
from pazpaz.models.workspace import Workspace
from pazpaz.services import audit, crypto, devices, second_factor
from pazpaz.services.audit import RequestContext
from pazpaz.services.errors import RateLimited, ServiceError, ValidationFailed
from pazpaz.services.mail import send_after_commit
from pazpaz.services.ratelimit import get_limiter
from pazpaz.services.scope import system_read_row, system_session
from pazpaz.services.tokens import hash_token, new_token
from pazpaz.settings import get_settings, valid_time_zone

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Only same-site paths are ever redirected to after sign-in (no open redirects).
SAFE_NEXT_RE = re.compile(r"^/[A-Za-z0-9/_\-]{0,190}$")
TOKEN_RE = re.compile(r"[A-Za-z0-9_\-]{43}")  # tokens.new_token(): 32 bytes, url-safe base64
log = logging.getLogger("pazpaz.auth")
SIGNUP_CLOSED = N_("Sign-up is closed on this PazPaz instance. Ask the practice owner for an invitation.")


class LinkRefused(ServiceError):
    """A sign-in link could not be used; `reason` is expired | used | invalid | inactive."""

    MESSAGES = {
        "expired": N_("This sign-in link has expired. Links work for 10 minutes: ask for a new one."),
        "used": N_("This sign-in link has already been used. Ask for a new one."),
        "invalid": N_("This sign-in link is not valid. Ask for a new one."),
        "inactive": N_("This account is not active. Ask the practice owner."),
        "second_step_expired": N_("This sign-in took too long: the code must follow the link within 5 minutes. "
                                  "Ask for a new sign-in link."),
    }

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGES.get(reason, self.MESSAGES["invalid"]))
        self.reason = reason


@dataclass(frozen=True)
class SignedIn:
    session_id: uuid.UUID
    user_id: uuid.UUID
    workspace_id: uuid.UUID
    role: str = "owner"


@dataclass(frozen=True)
class Redeemed:
    """A used link: either a session (`session_token`, `identity`), or, when a second step
    must follow, only `pending_token` (no session exists until the second step passes)."""

    session_token: str
    next_path: str
    identity: SignedIn | None
    pending_token: str = ""


def safe_next(path: str | None) -> str:
    if path and SAFE_NEXT_RE.match(path) and not path.startswith("//"):
        # The static prod build serves pages as /clients/; keep URLs in one form.
        return path.rstrip("/") or "/"
    return "/"


def signin_redirect(next_path: str) -> str:
    """The sign-in page, coming back to `next_path` (a local path only) afterwards."""
    return f"/signin?next={quote(safe_next(next_path))}"


def valid_email(email: str) -> bool:
    return bool(EMAIL_RE.match(email.strip())) and len(email.strip()) <= 254


# ---- sign-up --------------------------------------------------------------------------

def signup_allowed() -> bool:
    with system_session() as session:
        return _signup_allowed(session)


def _signup_allowed(session: Session) -> bool:
    mode = get_settings().signup
    if mode == "open":
        return True
    if mode == "closed":
        return False
    return session.exec(select(func.count()).select_from(Workspace)).one() == 0


def validate_signup(practice_name: str, your_name: str, email: str, time_zone: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not practice_name.strip():
        errors["practice_name"] = N_("Enter the name of your practice.")
    elif len(practice_name.strip()) > 200:
        errors["practice_name"] = N_("Keep the practice name under 200 characters.")
    if not your_name.strip():
        errors["your_name"] = N_("Enter your name.")
    elif len(your_name.strip()) > 200:
        errors["your_name"] = N_("Keep your name under 200 characters.")
    if not valid_email(email):
        errors["email"] = N_("Enter an email address like name@example.com.")
    if not valid_time_zone(time_zone.strip()):
        errors["time_zone"] = N_("Choose a time zone from the list.")
    return errors


def create_user(
    session: Session, workspace_id: uuid.UUID, email: str, name: str, role: str
) -> User:
    user_id = uuid.uuid4()
    user = User(
        id=user_id,
        workspace_id=workspace_id,
        email_index=crypto.email_index(email),
        email_encrypted=crypto.encrypt_field(session, workspace_id, "users", "email_encrypted", user_id,
                                             crypto.normalise_email(email)),
        name_encrypted=crypto.encrypt_field(session, workspace_id, "users", "name_encrypted", user_id, name.strip()),
        role=role,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def signup(
    *,
    practice_name: str,
    your_name: str,
    email: str,
    time_zone: str,
    context: RequestContext,
    now: datetime | None = None,
    language: str | None = None,
) -> None:
    """Create a workspace and its owner and email a sign-in link (in `language`, the browser's).

    An address that already has an account gets an ordinary sign-in link instead, and
    the caller shows the same answer either way, so sign-up reveals nothing.
    """
    errors = validate_signup(practice_name, your_name, email, time_zone)
    if errors:
        raise ValidationFailed(errors)
    with system_session() as session:
        _signup(session, practice_name, your_name, email, time_zone, context, now or utcnow(), language)


# Advisory-lock key of practice creation (the launcher's migration lock is 727274000).
PRACTICE_CREATION_LOCK = 727274001


def _lock_practice_creation(session: Session) -> None:
    """Serialise sign-up and create-practice until the transaction ends, so two "first
    practice" requests can't both pass the auto check, nor two creations take one address."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PRACTICE_CREATION_LOCK})


def _signup(session: Session, practice_name: str, your_name: str, email: str, time_zone: str,
            context: RequestContext, now: datetime, language: str | None = None) -> None:
    if not _signup_allowed(session):
        raise ServiceError(SIGNUP_CLOSED)
    _lock_practice_creation(session)
    if not _signup_allowed(session):
        raise ServiceError(SIGNUP_CLOSED)
    existing = _user_by_email(session, email)
    _limit_ip(session, existing, "signup", context, now)
    if existing is not None:
        issue_link(session, existing, "signin", "/", context, now)
        return
    owner = create_practice_in(session, practice_name, your_name, email, time_zone, context, now, language)
    issue_link(session, owner, "signup", "/", context, now)


@dataclass(frozen=True)
class Practice:
    workspace_id: uuid.UUID
    owner_id: uuid.UUID


class EmailTaken(ServiceError):
    def __init__(self) -> None:
        super().__init__(N_("That email address already has a PazPaz account."))


def create_practice(*, practice_name: str, owner_name: str, email: str, time_zone: str,
                    context: RequestContext, now: datetime | None = None) -> Practice:
    """A workspace and its owner, without mail and whatever PAZPAZ_SIGNUP says: for the
    self-hoster's command line, which has no one to hide an existing address from."""
    errors = validate_signup(practice_name, owner_name, email, time_zone)
    if errors:
        raise ValidationFailed(errors)
    try:
        with system_session() as session:
            _lock_practice_creation(session)
            if _user_by_email(session, email) is not None:
                raise EmailTaken()
            owner = create_practice_in(session, practice_name, owner_name, email, time_zone, context,
                                       now or utcnow())
            return Practice(workspace_id=owner.workspace_id, owner_id=owner.id)
    except IntegrityError:  # invited elsewhere at the same moment: the unique index decides
        raise EmailTaken() from None


def create_practice_in(session: Session, practice_name: str, owner_name: str, email: str, time_zone: str,
                       context: RequestContext, now: datetime, language: str | None = None) -> User:
    """The one way a practice comes to be (sign-up and the command line): workspace, owner, audit row.
    `language` (the browser's at sign-up) is the owner's and the practice's; it picks the currency."""
    chosen = i18n.supported(language)
    currency = "ILS" if chosen == "he" or time_zone.strip() == "Asia/Jerusalem" else "EUR"
    workspace = Workspace(name=practice_name.strip(), time_zone=time_zone.strip(), language=chosen,
                          currency=currency)
    session.add(workspace)
    session.flush()
    owner = create_user(session, workspace.id, email, owner_name, "owner")
    owner.language = language and chosen
    audit.record(session, "workspace.created", workspace_id=workspace.id, user_id=owner.id,
                 entity_type="workspace", entity_id=workspace.id, context=context, now=now)
    return owner


# ---- sign-in links --------------------------------------------------------------------

def _user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email_index == crypto.email_index(email))).first()


def _limit_ip(session: Session, user: User | None, purpose: str, context: RequestContext, now: datetime) -> None:
    """Count a request against its client address; a refusal is audited (ids only) before it is raised."""
    try:
        get_limiter().hit_ip(context.ip or "")
    except RateLimited:
        _rate_limited(session, user, "ip", purpose, context, now)
        session.commit()  # the refusal stays on record although the caller sees an exception
        raise


def _rate_limited(session: Session, user: User | None, limit: str, purpose: str, context: RequestContext,
                  now: datetime) -> None:
    audit.record(session, "auth.link_rate_limited",
                 workspace_id=user.workspace_id if user else None, user_id=user.id if user else None,
                 entity_type="user" if user else None, entity_id=user.id if user else None,
                 context=context, details={"limit": limit, "purpose": purpose}, now=now)
    log.warning("sign-in link refused by the %s rate limit (purpose %s)", limit, purpose)


def issue_link(
    session: Session, user: User, purpose: str, next_path: str, context: RequestContext, now: datetime
) -> None:
    """Mail `user` a sign-in link, at their stored address and never a typed one (a look-alike
    such as a Kelvin-sign K finds the same account, docs/ARCHITECTURE.md "Email addresses").

    Past the per-email limit no token is made and no mail leaves; the caller answers as usual
    and links already mailed keep working.
    """
    if not get_limiter().mail_allowed(user.email_index):
        _rate_limited(session, user, "email", purpose, context, now)
        return
    settings = get_settings()
    address = crypto.decrypt_field(session, user.workspace_id, "users", "email_encrypted", user.id,
                                   user.email_encrypted)
    token = new_token()
    session.add(MagicLinkToken(
        token_hash=hash_token(token),
        workspace_id=user.workspace_id,
        user_id=user.id,
        purpose=purpose,
        next_path=safe_next(next_path),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.link_ttl_minutes),
    ))
    audit.record(session, "auth.link_requested", workspace_id=user.workspace_id, user_id=user.id,
                 entity_type="user", entity_id=user.id, context=context, details={"purpose": purpose}, now=now)
    link = f"{settings.public_url}/auth/continue?token={token}"
    language = i18n.supported(user.language)  # the recipient's own language (docs/ARCHITECTURE.md, "Translation layer")
    body = _(language, "Hello,\n\nUse this link to sign in to PazPaz. It works once and expires in {minutes} "
                       "minutes:\n\n{link}\n\nIf you did not ask for it, ignore this email: nobody can sign in "
                       "without it.\n", minutes=settings.link_ttl_minutes, link=link)
    send_after_commit(session, address, _(language, "Your PazPaz sign-in link"), body)


def request_link(email: str, context: RequestContext, next_path: str = "/", now: datetime | None = None) -> None:
    """Email a sign-in link if the address belongs to an active user; silent otherwise."""
    if not valid_email(email):
        raise ValidationFailed({"email": N_("Enter an email address like name@example.com.")})
    now = now or utcnow()
    with system_session() as session:
        user = _user_by_email(session, email)
        _limit_ip(session, user, "signin", context, now)
        if user is None or not user.active:
            audit.record(session, "auth.link_requested", context=context, details={"known": False}, now=now)
            return
        issue_link(session, user, "signin", next_path, context, now)


def redeem_link(token: str, context: RequestContext, now: datetime | None = None) -> Redeemed:
    """Consume a link exactly once (atomic UPDATE ... RETURNING) and open a session."""
    with system_session() as session:
        return _redeem(session, token, context, now or utcnow())


def _redeem(session: Session, token: str, context: RequestContext, now: datetime) -> Redeemed:
    token_hash = hash_token(token or "")
    row = session.execute(
        update(MagicLinkToken)
        .where(MagicLinkToken.token_hash == token_hash, MagicLinkToken.used_at.is_(None),
               MagicLinkToken.expires_at > now)
        .values(used_at=now)
        .returning(MagicLinkToken.user_id, MagicLinkToken.workspace_id, MagicLinkToken.next_path)
    ).first()
    if row is None:
        _refuse_link(session, token_hash, context, now)
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        audit.record(session, "auth.signin_failed", workspace_id=row.workspace_id, user_id=row.user_id,
                     context=context, details={"reason": "inactive"}, now=now)
        session.commit()
        raise LinkRefused("inactive")
    return finish_first_factor(session, user, safe_next(row.next_path), context, now)


def finish_first_factor(session: Session, user: User, next_path: str, context: RequestContext, now: datetime,
                        details: dict[str, str] | None = None) -> Redeemed:
    """A link (sign-in or invitation) has passed. Factors are ANDed: with two-step sign-in on,
    or required by the practice, no session opens yet, only a pending sign-in for the second step."""
    stage = second_factor.pending_stage(session, user)
    if stage is not None:
        pending = second_factor.start_pending(session, user, stage, next_path, context, now)
        return Redeemed(session_token="", next_path=next_path, identity=None, pending_token=pending)
    session_token, identity = open_session(session, user, context, now, details=details)
    return Redeemed(session_token=session_token, next_path=next_path, identity=identity)


def link_practice(token: str, now: datetime | None = None) -> str | None:
    """The name of the practice a still-usable link signs into, without using the link: the
    Continue page names it, so nobody signs into a practice they did not expect."""
    view = link_view(token, now)
    return view[0] if view else None


def link_view(token: str, now: datetime | None = None) -> tuple[str, str | None] | None:
    """(practice name, the user's language) for a still-usable link, read only; None otherwise."""
    if not TOKEN_RE.fullmatch(token or ""):
        return None  # not one of ours: no database round trip for junk
    now = now or utcnow()
    with system_session() as session:
        row = session.exec(
            select(Workspace.name, User.language)
            .join(MagicLinkToken, MagicLinkToken.workspace_id == Workspace.id)
            .join(User, User.id == MagicLinkToken.user_id)
            .where(MagicLinkToken.token_hash == hash_token(token or ""), MagicLinkToken.used_at.is_(None),
                   MagicLinkToken.expires_at > now)
        ).first()
        return (row[0], row[1]) if row else None


def _refuse_link(session: Session, token_hash: str, context: RequestContext, now: datetime) -> None:
    existing = session.exec(select(MagicLinkToken).where(MagicLinkToken.token_hash == token_hash)).first()
    if existing is None:
        reason = "invalid"
    elif existing.used_at is not None:
        reason = "used"
    else:
        reason = "expired"
    audit.record(
        session, "auth.signin_failed",
        workspace_id=existing.workspace_id if existing else None,
        user_id=existing.user_id if existing else None,
        context=context, details={"reason": reason}, now=now,
    )
    # The refusal is audited even though the caller sees an exception.
    session.commit()
    raise LinkRefused(reason)


# ---- sessions -------------------------------------------------------------------------

def open_session(session: Session, user: User, context: RequestContext, now: datetime,
                 details: dict[str, str] | None = None) -> tuple[str, SignedIn]:
    """The one place a session starts (after every factor has passed); audited."""
    settings = get_settings()
    token = new_token()
    context = context or RequestContext()
    row = AuthSession(
        id=uuid.uuid4(),
        token_hash=hash_token(token),
        workspace_id=user.workspace_id,
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_absolute_hours),
        # Only the label and the network are kept (docs/ARCHITECTURE.md "Sessions list").
        device_label=devices.device_label(context.user_agent),
    )
    crypto.seal(session, row, "ip_encrypted", devices.approximate_ip(context.ip))
    session.add(row)
    session.flush()
    audit.record(session, "auth.signin_succeeded", workspace_id=user.workspace_id, user_id=user.id,
                 entity_type="session", entity_id=row.id, context=context, details=details, now=now)
    return token, SignedIn(session_id=row.id, user_id=user.id, workspace_id=user.workspace_id, role=user.role)


def revoke_user_sessions(session: Session, user_id: uuid.UUID, reason: str, now: datetime,
                         keep_session_id: uuid.UUID | None = None) -> int:
    """End every session of a user except `keep_session_id`, in the caller's transaction;
    returns how many of them were still working. Open tabs of those sessions are emptied on
    their next event (docs/ARCHITECTURE.md "Tab state bound to the session")."""
    statement = (update(AuthSession)
                 .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                 .values(revoked_at=now, revoke_reason=reason[:32])
                 .returning(AuthSession.expires_at, AuthSession.last_seen_at))
    if keep_session_id is not None:
        statement = statement.where(AuthSession.id != keep_session_id)
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    return sum(1 for row in session.execute(statement).all()
               if row.expires_at > now and row.last_seen_at > now - idle)


def session_expired(row: AuthSession, now: datetime) -> bool:
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    return now >= row.expires_at or now - row.last_seen_at >= idle


def validate_session(
    token: str | None, context: RequestContext | None = None, now: datetime | None = None, hashed: bool = False
) -> SignedIn | None:
    """The signed-in identity for a cookie token, or None; touching it resets the idle timer.
    `hashed`: `token` is already its SHA-256 (the websocket's form, see `websocket_cookie`); only
    the Reflex state code passes it, never an HTTP route (a hash is not a credential there)."""
    if not token:
        return None
    token_hash, now = token if hashed else hash_token(token), now or utcnow()
    known, identity = _validate_read_only(token_hash, now)
    if known:
        return identity
    with system_session() as session:
        return _validate(session, token_hash, context, now)


# How often a session's idle timestamp is written (see _validate).
LAST_SEEN_PRECISION = timedelta(seconds=30)


# Built once: its compiled form is cached by SQLAlchemy, and psycopg prepares it on the server.
_SESSION_CHECK = (select(AuthSession.id, AuthSession.user_id, AuthSession.workspace_id, AuthSession.revoked_at,
                         AuthSession.expires_at, AuthSession.last_seen_at, User.active, User.role)
                  .join(User, User.id == AuthSession.user_id)
                  .where(AuthSession.token_hash == bindparam("token_hash")))


def _validate_read_only(token_hash: str, now: datetime) -> tuple[bool, SignedIn | None]:
    """(True, answer) when one autocommit read settles the check; (False, None) when the full
    check must run in a write transaction (to record an expiry or stamp the idle timer).

    Every websocket event checks its session; almost always the answer needs no write, and
    one statement without BEGIN/COMMIT is a quarter of the full check's round trips."""
    found = system_read_row(_SESSION_CHECK, {"token_hash": token_hash})
    if found is None or found.revoked_at is not None:
        return True, None
    if session_expired(found, now) or now - found.last_seen_at > LAST_SEEN_PRECISION:  # type: ignore[arg-type]
        return False, None
    if not found.active:
        return True, None
    return True, SignedIn(session_id=found.id, user_id=found.user_id, workspace_id=found.workspace_id,
                          role=found.role)


def check_session(
    token: str | None, context: RequestContext, known_user_id: str = "", now: datetime | None = None,
    hashed: bool = False,
) -> tuple[SignedIn, Profile | None] | None:
    """The identity for a cookie token and, unless `known_user_id` is already that user, the
    profile (names, time zone) in the same transaction: a tab loads its profile once."""
    if not token:
        return None
    with system_session() as session:
        identity = _validate(session, token if hashed else hash_token(token), context, now or utcnow())
        if identity is None:
            return None
        if known_user_id == str(identity.user_id):
            return identity, None
        return identity, _profile(session, identity)


def _validate(session: Session, token_hash: str, context: RequestContext | None, now: datetime) -> SignedIn | None:
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == token_hash)).first()
    if row is None or row.revoked_at is not None:
        return None
    if session_expired(row, now):
        row.revoked_at = now
        row.revoke_reason = "expired"
        audit.record(session, "auth.session_expired", workspace_id=row.workspace_id, user_id=row.user_id,
                     entity_type="session", entity_id=row.id, context=context, now=now)
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    # Write the idle timestamp at most every 30 s: reads stay cheap, the timeout stays exact enough.
    if now - row.last_seen_at > LAST_SEEN_PRECISION:
        row.last_seen_at = now
    return SignedIn(session_id=row.id, user_id=row.user_id, workspace_id=row.workspace_id, role=user.role)


def ended_sessions(token_hashes: Collection[str], now: datetime | None = None) -> set[str]:
    """Of these session hashes, the ones no longer valid (unknown, revoked, expired, user
    deactivated). Read only: it lets open tabs be emptied when their session ends while
    nobody clicks (docs/ARCHITECTURE.md "Tab state bound to the session")."""
    if not token_hashes:
        return set()
    now = now or utcnow()
    with system_session() as session:
        rows = session.exec(
            select(AuthSession, User.active).join(User, User.id == AuthSession.user_id)
            .where(AuthSession.token_hash.in_(list(token_hashes)))
        ).all()
        live = {row.token_hash for row, active in rows
                if active and row.revoked_at is None and not session_expired(row, now)}
    return set(token_hashes) - live


def sign_out(token: str | None, context: RequestContext, now: datetime | None = None) -> None:
    if not token:
        return
    now = now or utcnow()
    with system_session() as session:
        row = session.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).first()
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at = now
        row.revoke_reason = "signed_out"
        audit.record(session, "auth.signed_out", workspace_id=row.workspace_id, user_id=row.user_id,
                     entity_type="session", entity_id=row.id, context=context, now=now)


@dataclass(frozen=True)
class Profile:
    user_name: str
    role: str
    workspace_name: str
    time_zone: str
    language: str | None = None  # None until the first visit picks one (services/languages.py)


def profile(identity: SignedIn) -> Profile:
    with system_session() as session:
        return _profile(session, identity)


def _profile(session: Session, identity: SignedIn) -> Profile:
    user = session.get(User, identity.user_id)
    workspace = session.get(Workspace, identity.workspace_id)
    if user is None or workspace is None or user.workspace_id != workspace.id:
        raise ServiceError(N_("Your account could not be loaded."))
    name = crypto.decrypt_field(session, workspace.id, "users", "name_encrypted", user.id, user.name_encrypted)
    return Profile(user_name=name, role=user.role, workspace_name=workspace.name, time_zone=workspace.time_zone,
                   language=user.language)


def cookie_token(cookie_header: str | None) -> str | None:
    """The session token from a raw Cookie header (the websocket handshake's), or None."""
    jar = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return None
    morsel = jar.get(get_settings().session_cookie_name)
    return morsel.value if morsel else None


# The websocket handshake's cookie is rewritten before Reflex sees it (pazpaz/api/
# websocket_cookie.py): the session token becomes "h." + its SHA-256, so the token itself is
# never kept in a tab's state (pickled into Redis with REDIS_URL). "." is outside the token
# alphabet (URL-safe base64), so no real token has this form.
WEBSOCKET_HASH_PREFIX = "h."
_HASHED = re.compile(r"h\.[0-9a-f]{64}")


def websocket_cookie_value(token: str) -> str:
    return WEBSOCKET_HASH_PREFIX + hash_token(token)


def session_hash(state_token: str) -> str:
    """The sessions-table key for the cookie value a tab's state holds: the hash the websocket
    carries, or (a connection that was not rewritten, as in tests) the token's hash."""
    if _HASHED.fullmatch(state_token):
        return state_token[len(WEBSOCKET_HASH_PREFIX):]
    return hash_token(state_token)


# ---- maintenance ----------------------------------------------------------------------

@dataclass(frozen=True)
class Reindexed:
    users: int
    changed: int
    conflicts: int


def reindex_emails() -> Reindexed:
    """Bring every account's address and blind index to the current normalise_email().

    Plain ASCII addresses never change (docs/ARCHITECTURE.md "Email addresses"); an address
    with other characters stored before NFKC folding gets its new form. Two accounts whose
    addresses now fold together are left alone and counted as conflicts for the owner to settle.
    Safe to run again.
    """
    users = changed = conflicts = 0
    with system_session() as session:
        taken = set(session.exec(select(User.email_index)).all())
        for user in session.exec(select(User).order_by(User.id)).all():
            users += 1
            stored = crypto.decrypt_field(session, user.workspace_id, "users", "email_encrypted", user.id,
                                          user.email_encrypted)
            canonical = crypto.normalise_email(stored)
            index = crypto.email_index(canonical)
            if canonical == stored and index == user.email_index:
                continue
            if index != user.email_index and index in taken:
                conflicts += 1
                continue
            taken.discard(user.email_index)
            taken.add(index)
            user.email_index = index
            user.email_encrypted = crypto.encrypt_field(session, user.workspace_id, "users", "email_encrypted",
                                                        user.id, canonical)
            changed += 1
    return Reindexed(users=users, changed=changed, conflicts=conflicts)
