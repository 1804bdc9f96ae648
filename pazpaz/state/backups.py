"""Settings > Backups: the last successful backup and a warning when it is stale or failed."""

from __future__ import annotations

import reflex as rx

from pazpaz.i18n import N_, _, msg
from pazpaz.services import backup_schedule
from pazpaz.services import formatting as fmt
from pazpaz.services.errors import NotFound
from pazpaz.state.handler import handler
from pazpaz.state.session import SessionState


def _size(size: int | None, language: str) -> str:
    if size is None:
        return ""
    if size >= 100_000:
        return _(language, "{size} MB", size=fmt.format_number(round(size / 1_000_000, 1), language=language))
    return _(language, "{size} kB", size=fmt.format_number(round(size / 1000), language=language))


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
        self.last_backup = (f"{self._datetime(status.last_success)} ({_size(status.size_bytes, self.language)})"
                            if status.last_success else self._t(N_("none yet")))
        self.warning = self._t(status.warning)
        self.schedule = self._t(msg("Every day at {hour}:00 into {folder}.", hour=f"{status.hour:02d}",
                                    folder=status.folder))
