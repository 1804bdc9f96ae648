"""All configuration, read once from the environment (and an optional .env file).

Every value is validated here so a bad deployment fails at start-up with a message
that names the variable, instead of failing later in a request.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from pazpaz.services.client_ip import Network, parse_networks

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE_NAME = "secrets.json"
SECRET_NAMES = ("PAZPAZ_SECRET_KEY", "PAZPAZ_KEK", "PAZPAZ_BLIND_INDEX_KEY")


class SettingsError(ValueError):
    """A configuration value is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    sender: str
    tls: str  # "starttls" | "ssl" | "none"


@dataclass(frozen=True)
class S3Settings:
    endpoint_url: str | None  # None: the launcher starts the embedded SeaweedFS
    bucket: str
    access_key_id: str
    secret_access_key: str
    region: str
    public_endpoint: str | None


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    public_url: str
    bind_host: str
    port: int
    database_url: str | None
    s3: S3Settings
    smtp: SmtpSettings | None
    signup: str  # "auto" | "open" | "closed"
    session_idle_minutes: int
    session_absolute_hours: int
    link_ttl_minutes: int
    rate_limit_email: str
    rate_limit_ip: str
    log_level: str
    embedded_s3_port: int
    max_upload_mb: int
    # Reverse proxies whose X-Forwarded-For is believed (see services/client_ip.py).
    trusted_proxies: tuple[Network, ...]
    secret_key: bytes = field(repr=False)
    kek: bytes = field(repr=False)
    blind_index_key: bytes = field(repr=False)
    # The owner role's URL, for migrations only (external PostgreSQL); DATABASE_URL is then
    # the app's own role. None: migrations use DATABASE_URL (see docs/ARCHITECTURE.md, roles).
    database_migration_url: str | None = field(default=None, repr=False)
    # Invitations: how long a mailed invitation works, and how many invitation mails one
    # owner may send (docs/ARCHITECTURE.md "Invitations").
    invite_ttl_days: int = 7
    rate_limit_invite: str = "20/hour"
    # Per personal access token on /api/v1 (limits syntax, e.g. "600/minute").
    api_rate_read: str = "600/minute"
    api_rate_write: str = "120/minute"
    # Scheduled backups (docs/ARCHITECTURE.md "Backups, restore, erasure, exports"): folder
    # (None: data/backups), local hour, how many daily and weekly files to keep.
    backup_dir: Path | None = None
    backup_hour: int = 2
    backup_keep_daily: int = 7
    backup_keep_weekly: int = 4
    backup_s3_bucket: str | None = None  # also copy each scheduled backup here (same S3 endpoint)
    backup_s3_prefix: str = "pazpaz-backups/"
    # True: the audit row of a read commits with a WAL flush like every write. False (the
    # default): read-only transactions commit with synchronous_commit=off (see db.py).
    durable_read_audit: bool = False
    # Several processes (docs/ARCHITECTURE.md "Several processes (Redis)"): Reflex's tab state and
    # the rate limits live in this Redis when set (None: in process memory, one worker); app
    # workers on this machine.
    redis_url: str | None = field(default=None, repr=False)
    workers: int = 1

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def session_cookie_name(self) -> str:
        # The __Host- prefix makes the browser refuse the cookie unless it is Secure,
        # host-only and path=/; it only works over HTTPS.
        return "__Host-pazpaz_session" if self.secure_cookies else "pazpaz_session"


def _env(source: dict[str, str], name: str, default: str | None = None) -> str | None:
    value = source.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _int(source: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = _env(source, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number (got {raw!r}).") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high} (got {value}).")
    return value


def _choice(source: dict[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (_env(source, name, default) or default).lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)} (got {value!r}).")
    return value


def _url(source: dict[str, str], name: str, default: str | None) -> str | None:
    value = _env(source, name, default)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an http:// or https:// URL (got {value!r}).")
    return value.rstrip("/")


def _rate(source: dict[str, str], name: str, default: str) -> str:
    from limits import parse

    value = _env(source, name, default) or default
    try:
        parse(value)
    except ValueError:
        raise SettingsError(
            f"{name} must look like '5/15minutes' or '20/hour' (got {value!r})."
        ) from None
    return value


def _networks(source: dict[str, str], name: str) -> tuple[Network, ...]:
    try:
        return parse_networks(_env(source, name, "") or "")
    except ValueError as error:
        raise SettingsError(
            f"{name} must be comma-separated IP addresses or CIDR ranges, like '127.0.0.1, 10.0.0.0/8' ({error})."
        ) from None


def _email_rate(source: dict[str, str], link_ttl_minutes: int) -> str:
    """The per-email mail limit. Its window may not outlast a link: then, whenever the limit
    holds a mail back, a link mailed inside the window still works, so a stranger's flood
    never leaves the owner without one (docs/ARCHITECTURE.md "Sign-in rate limits")."""
    from limits import parse

    name = "PAZPAZ_RATE_LIMIT_EMAIL"
    value = _rate(source, name, f"5/{link_ttl_minutes}minutes")
    if parse(value).get_expiry() > link_ttl_minutes * 60:
        raise SettingsError(
            f"{name} must not span more than PAZPAZ_LINK_TTL_MINUTES ({link_ttl_minutes} minutes) "
            f"(got {value!r}); for example '5/{link_ttl_minutes}minutes'."
        )
    return value


def _key(source: dict[str, str], name: str) -> bytes:
    raw = source.get(name, "")
    try:
        key = base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4))
    except (ValueError, TypeError):
        raise SettingsError(f"{name} must be base64 (url-safe) text.") from None
    if len(key) != 32:
        raise SettingsError(f"{name} must decode to 32 bytes (got {len(key)}).")
    return key


def _database_url(source: dict[str, str], name: str = "DATABASE_URL") -> str | None:
    value = _env(source, name)
    if value is None:
        return None
    if not value.startswith(("postgresql://", "postgresql+psycopg2://", "postgresql+psycopg://")):
        raise SettingsError(f"{name} must be a postgresql:// URL.")
    # One driver for the app's engines: psycopg 3 prepares a statement on the server after a
    # few uses on a connection, which skips re-planning the hot reads (docs/ARCHITECTURE.md
    # "Read path"). A +psycopg2 URL from an older deployment names the same database.
    return "postgresql+psycopg://" + value.split("://", 1)[1]


def _migration_url(source: dict[str, str]) -> str | None:
    value = _database_url(source, "DATABASE_MIGRATION_URL")
    if value is not None and _env(source, "DATABASE_URL") is None:
        raise SettingsError("DATABASE_MIGRATION_URL needs DATABASE_URL (the app's role) as well.")
    return value


def _smtp(source: dict[str, str]) -> SmtpSettings | None:
    host = _env(source, "SMTP_HOST")
    if host is None:
        return None
    tls = _choice(source, "SMTP_TLS", "starttls", ("starttls", "ssl", "none"))
    default_port = {"starttls": 587, "ssl": 465, "none": 25}[tls]
    sender = _env(source, "SMTP_FROM")
    if sender is None or "@" not in sender:
        raise SettingsError("SMTP_FROM must be an email address when SMTP_HOST is set.")
    return SmtpSettings(
        host=host,
        port=_int(source, "SMTP_PORT", default_port, 1, 65535),
        user=_env(source, "SMTP_USER", "") or "",
        password=source.get("SMTP_PASSWORD", ""),
        sender=sender,
        tls=tls,
    )


def _s3(source: dict[str, str]) -> S3Settings:
    endpoint = _url(source, "S3_ENDPOINT_URL", None)
    key_id = _env(source, "S3_ACCESS_KEY_ID")
    secret = _env(source, "S3_SECRET_ACCESS_KEY")
    if endpoint and not (key_id and secret):
        raise SettingsError(
            "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required when S3_ENDPOINT_URL is set."
        )
    return S3Settings(
        endpoint_url=endpoint,
        bucket=_env(source, "S3_BUCKET", "pazpaz") or "pazpaz",
        access_key_id=key_id or "",
        secret_access_key=secret or "",
        region=_env(source, "S3_REGION", "us-east-1") or "us-east-1",
        public_endpoint=_url(source, "S3_PUBLIC_ENDPOINT", None),
    )


def load_or_create_secrets(data_dir: Path) -> dict[str, str]:
    """Read generated secrets from data/secrets.json, creating it (0600) on first start."""
    path = data_dir / SECRETS_FILE_NAME
    if path.exists():
        try:
            stored = json.loads(path.read_text())
        except json.JSONDecodeError:
            raise SettingsError(f"{path} is not valid JSON; restore it from a backup.") from None
    else:
        stored = {}
    missing = [name for name in SECRET_NAMES if name not in stored]
    if not missing:
        return stored
    for name in missing:
        stored[name] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(stored, handle)
    os.replace(tmp, path)
    return stored


def build_settings(environ: dict[str, str]) -> Settings:
    """Validate a mapping of variables into Settings (pure apart from the secrets file)."""
    data_dir = Path(_env(environ, "PAZPAZ_DATA_DIR", str(PROJECT_ROOT / "data")) or "data")
    if not data_dir.is_absolute():
        data_dir = (PROJECT_ROOT / data_dir).resolve()
    public_url = _url(environ, "PAZPAZ_PUBLIC_URL", "http://localhost:3000")
    assert public_url is not None
    if urlsplit(public_url).path not in ("", "/"):
        raise SettingsError("PAZPAZ_PUBLIC_URL must be an origin without a path.")
    secrets_source = dict(environ)
    if any(not _env(environ, name) for name in SECRET_NAMES):
        generated = load_or_create_secrets(data_dir)
        for name in SECRET_NAMES:
            secrets_source.setdefault(name, generated[name])
            if not _env(environ, name):
                secrets_source[name] = generated[name]
    link_ttl = _int(environ, "PAZPAZ_LINK_TTL_MINUTES", 10, 1, 60)
    log_level = _choice(environ, "PAZPAZ_LOG_LEVEL", "info", ("debug", "info", "warning", "error"))
    return Settings(
        data_dir=data_dir,
        public_url=public_url,
        bind_host=_env(environ, "PAZPAZ_BIND", "127.0.0.1") or "127.0.0.1",
        port=_int(environ, "PAZPAZ_PORT", 3000, 1, 65535),
        database_url=_database_url(environ),
        s3=_s3(environ),
        smtp=_smtp(environ),
        signup=_choice(environ, "PAZPAZ_SIGNUP", "auto", ("auto", "open", "closed")),
        session_idle_minutes=_int(environ, "PAZPAZ_SESSION_IDLE_MINUTES", 30, 1, 24 * 60),
        session_absolute_hours=_int(environ, "PAZPAZ_SESSION_ABSOLUTE_HOURS", 12, 1, 24 * 30),
        link_ttl_minutes=link_ttl,
        rate_limit_email=_email_rate(environ, link_ttl),
        rate_limit_ip=_rate(environ, "PAZPAZ_RATE_LIMIT_IP", "30/15minutes"),
        log_level=log_level,
        embedded_s3_port=_int(environ, "PAZPAZ_EMBEDDED_S3_PORT", 8333, 1024, 65000),
        max_upload_mb=_int(environ, "PAZPAZ_MAX_UPLOAD_MB", 10, 1, 100),
        trusted_proxies=_networks(environ, "PAZPAZ_TRUSTED_PROXIES"),
        secret_key=_key(secrets_source, "PAZPAZ_SECRET_KEY"),
        kek=_key(secrets_source, "PAZPAZ_KEK"),
        blind_index_key=_key(secrets_source, "PAZPAZ_BLIND_INDEX_KEY"),
        database_migration_url=_migration_url(environ),
        invite_ttl_days=_int(environ, "PAZPAZ_INVITE_TTL_DAYS", 7, 1, 30),
        rate_limit_invite=_rate(environ, "PAZPAZ_RATE_LIMIT_INVITE", "20/hour"),
        api_rate_read=_rate(environ, "PAZPAZ_API_RATE_READ", "600/minute"),
        api_rate_write=_rate(environ, "PAZPAZ_API_RATE_WRITE", "120/minute"),
        backup_dir=_path(environ, "PAZPAZ_BACKUP_DIR"),
        backup_hour=_int(environ, "PAZPAZ_BACKUP_HOUR", 2, 0, 23),
        backup_keep_daily=_int(environ, "PAZPAZ_BACKUP_KEEP_DAILY", 7, 1, 365),
        backup_keep_weekly=_int(environ, "PAZPAZ_BACKUP_KEEP_WEEKLY", 4, 0, 520),
        backup_s3_bucket=_env(environ, "PAZPAZ_BACKUP_S3_BUCKET"),
        backup_s3_prefix=_env(environ, "PAZPAZ_BACKUP_S3_PREFIX", "pazpaz-backups/") or "pazpaz-backups/",
        durable_read_audit=_int(environ, "PAZPAZ_DURABLE_READ_AUDIT", 0, 0, 1) == 1,
        redis_url=_redis_url(environ),
        workers=_int(environ, "PAZPAZ_WORKERS", 1, 1, 64),
    )


def _redis_url(source: dict[str, str]) -> str | None:
    value = _env(source, "REDIS_URL")
    if value is None:
        return None
    # The same schemes Reflex's state manager and `limits`' storage both accept.
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("REDIS_URL must start with redis://, rediss:// (TLS) or unix://.")
    return value


def _path(source: dict[str, str], name: str) -> Path | None:
    value = _env(source, name)
    if value is None:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else (PROJECT_ROOT / path).resolve()


def read_environment() -> dict[str, str]:
    """The process environment over the project's .env file (env wins)."""
    merged: dict[str, str] = {}
    env_file = PROJECT_ROOT / ".env"
    if env_file.exists():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ)
    return merged


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return build_settings(read_environment())


def valid_time_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
