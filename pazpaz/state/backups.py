"""Settings > Backups: the last successful backup and a warning when it is stale or failed."""

from __future__ import annotations

import reflex as rx

from pazpaz.services import backup_schedule
from pazpaz.services.errors import NotFound
from pazpaz.state.handler import handler
from pazpaz.state.session import SessionState


def _size(size: int | None) -> str:
    if size is None:
        return ""
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"


class BackupStatusState(SessionState):
    visible: bool = False
    last_backup: str = ""
    warning: str = ""
    schedule: str = ""
    error: str = ""

    @rx.event
    @handler
    async def load(self):
        actor = await self._actor()
        self.error = ""
        try:
            status = await self._call(backup_schedule.status, actor)
        except NotFound:  # not the owner: the section stays hidden
            self.visible = False
            return
        self.visible = True
        self.last_backup = (f"{self._datetime(status.last_success)} ({_size(status.size_bytes)})"
                            if status.last_success else "none yet")
        self.warning = status.warning
        self.schedule = f"Every day at {status.hour:02d}:00 into {status.folder}."
