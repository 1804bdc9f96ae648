"""The erasure list: ids of erased clients, kept next to the secrets (data/erasures.json).

A backup taken before an erasure still holds the client. Restore re-applies this list (and
the `client.erased` audit rows the restored database holds, and the list inside the backup's
manifest), so an old backup never brings an erased client back. The file holds ids only
(workspace, client, when): nothing personal. Keep it with data/secrets.json, apart from the
backups (README "Backups").
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

FILE_NAME = "erasures.json"


@dataclass(frozen=True)
class Erasure:
    workspace_id: uuid.UUID
    client_id: uuid.UUID
    erased_at: str

    def as_json(self) -> dict[str, str]:
        return {"workspace_id": str(self.workspace_id), "client_id": str(self.client_id),
                "erased_at": self.erased_at}


def path_in(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def read(data_dir: Path) -> list[Erasure]:
    path = path_in(data_dir)
    if not path.exists():
        return []
    return parse(json.loads(path.read_text() or "[]"))


def parse(items: list[dict[str, str]]) -> list[Erasure]:
    return [Erasure(uuid.UUID(item["workspace_id"]), uuid.UUID(item["client_id"]), item.get("erased_at", ""))
            for item in items]


def add(data_dir: Path, workspace_id: uuid.UUID, client_id: uuid.UUID, when: datetime) -> None:
    """Append one erasure (idempotent), atomically: a lock against a concurrent writer, a temp
    file and a rename, so the list is never left half written."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = path_in(data_dir)
    with open(data_dir / (FILE_NAME + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = read(data_dir)
        if any(item.client_id == client_id for item in current):
            return
        current.append(Erasure(workspace_id, client_id, when.isoformat()))
        tmp = path.with_suffix(".tmp")
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump([item.as_json() for item in current], handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
