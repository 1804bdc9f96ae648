"""Liveness of the parts PazPaz needs: PostgreSQL and object storage."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text

from pazpaz import __version__
from pazpaz.services.storage import bucket_reachable
from pazpaz.settings import S3Settings


@dataclass(frozen=True)
class Health:
    database: str
    storage: str

    @property
    def ok(self) -> bool:
        return self.database == "ok" and self.storage == "ok"

    def as_dict(self) -> dict[str, str]:
        return {
            "status": "ok" if self.ok else "degraded",
            "database": self.database,
            "storage": self.storage,
            "version": __version__,
        }


def database_ok(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def check(engine: Engine, s3: S3Settings) -> Health:
    return Health(
        database="ok" if database_ok(engine) else "down",
        storage="ok" if bucket_reachable(s3) else "down",
    )
