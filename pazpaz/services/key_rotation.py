"""Data-key rotation: every workspace gets a new data key and every ciphertext is
re-encrypted under it, batch by batch, each batch its own short transaction.

Resumable: a workspace whose rotation was interrupted keeps its new active key, and the
next run only re-encrypts values still under an older key. Online: the app encrypts
with the active key and can still read old values until their key is retired, which
happens only once no value uses it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, update
from sqlmodel import select

from pazpaz.models import Workspace, WorkspaceKey
from pazpaz.models.base import utcnow
from pazpaz.services import attachments, audit, crypto
from pazpaz.services.encrypted_columns import ENCRYPTED_COLUMNS
from pazpaz.services.scope import system_session

ROTATION_MARK = "key_rotation_in_progress"
RETIRE_GRACE = timedelta(minutes=10)


@dataclass
class RotationReport:
    workspaces: int = 0
    values: int = 0
    keys_retired: int = 0


def _start(workspace_id: uuid.UUID) -> uuid.UUID:
    """Make a fresh active key unless an interrupted rotation already made one."""
    with system_session() as session:
        workspace = session.exec(select(Workspace).where(Workspace.id == workspace_id).with_for_update()).one()
        active = session.exec(
            select(WorkspaceKey).where(WorkspaceKey.workspace_id == workspace_id, WorkspaceKey.active)
        ).first()
        if workspace.settings.get(ROTATION_MARK) and active is not None:
            return active.id
        session.execute(update(WorkspaceKey).where(WorkspaceKey.workspace_id == workspace_id).values(active=False))
        key = crypto.create_workspace_key(session, workspace_id)
        workspace.settings = {**workspace.settings, ROTATION_MARK: str(key.id)}
        audit.record(session, "keys.rotation_started", workspace_id=workspace_id, entity_type="workspace_key",
                     entity_id=key.id)
        return key.id


def _stale(model: type, columns: tuple[str, ...], key_id: uuid.UUID):
    """Rows with any ciphertext whose key-id bytes (2..17) are not the active key."""
    conditions = [
        (getattr(model, c).is_not(None)) & (func.substring(getattr(model, c), 2, 16) != key_id.bytes)
        for c in columns
    ]
    return or_(*conditions)


def _reencrypt_batch(workspace_id: uuid.UUID, model: type, columns: tuple[str, ...], key_id: uuid.UUID,
                     batch_size: int) -> int:
    with system_session() as session:
        rows = session.exec(
            select(model).where(model.workspace_id == workspace_id, _stale(model, columns, key_id))
            .limit(batch_size).with_for_update(skip_locked=True)
        ).all()
        count = 0
        for row in rows:
            for column in columns:
                blob = getattr(row, column)
                if blob is None or crypto.key_id_of(blob) == key_id:
                    continue
                plain = crypto.unseal(session, row, column)
                setattr(row, column, crypto.encrypt_field(session, workspace_id, model.__tablename__, column,
                                                          row.id, plain or ""))
                count += 1
        return count


def _retire(workspace_id: uuid.UUID, key_id: uuid.UUID, grace: timedelta) -> int:
    """Delete old keys once no value uses them AND the new key has been active longer than
    `grace`: a transaction that picked up the old key just before the switch has committed
    by then, so its value is found (and re-encrypted by the next run) instead of orphaned."""
    with system_session() as session:
        new_key = session.get(WorkspaceKey, key_id)
        if new_key is None or new_key.created_at > utcnow() - grace:
            return 0
        for model, columns in ENCRYPTED_COLUMNS.items():
            remaining = session.exec(
                select(func.count()).select_from(model)
                .where(model.workspace_id == workspace_id, _stale(model, columns, key_id))
            ).one()
            if remaining:
                return 0  # a value written meanwhile still uses an old key: the next run finishes it
        old = session.exec(
            select(WorkspaceKey).where(WorkspaceKey.workspace_id == workspace_id, WorkspaceKey.id != key_id)
        ).all()
        for key in old:
            session.delete(key)
        workspace = session.get(Workspace, workspace_id)
        workspace.settings = {k: v for k, v in workspace.settings.items() if k != ROTATION_MARK}
        audit.record(session, "keys.rotation_finished", workspace_id=workspace_id, entity_type="workspace_key",
                     entity_id=key_id, details={"retired": len(old)})
        return len(old)


def rotate_workspace(workspace_id: uuid.UUID, batch_size: int = 500,
                     progress: Callable[[str], None] | None = None,
                     grace: timedelta = RETIRE_GRACE) -> RotationReport:
    report = RotationReport(workspaces=1)
    key_id = _start(workspace_id)
    for model, columns in ENCRYPTED_COLUMNS.items():
        while True:
            done = _reencrypt_batch(workspace_id, model, columns, key_id, batch_size)
            report.values += done
            if progress and done:
                progress(f"{model.__tablename__}: re-encrypted {done} values")
            if done == 0:
                break
    # File bodies in S3 are sealed with the data key too: they move to the new key before
    # an old key can be retired (a workspace without files never touches S3 here).
    report.values += attachments.seal_stored_objects(workspace_id, rekey=True, batch_size=batch_size,
                                                     progress=progress).changed
    report.keys_retired = _retire(workspace_id, key_id, grace)
    return report


def rotate_all(batch_size: int = 500, progress: Callable[[str], None] | None = None,
               grace: timedelta = RETIRE_GRACE) -> RotationReport:
    with system_session() as session:
        workspace_ids = list(session.exec(select(Workspace.id)).all())
    total = RotationReport()
    for workspace_id in workspace_ids:
        report = rotate_workspace(workspace_id, batch_size, progress, grace)
        total.workspaces += 1
        total.values += report.values
        total.keys_retired += report.keys_retired
    return total
