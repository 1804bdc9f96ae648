"""Export buttons: a client's record (client page) and the whole practice (Settings), with the
build's progress while the job runner works and a short-lived download link at the end."""

from __future__ import annotations

import asyncio
import uuid

import reflex as rx

from pazpaz.i18n import N_
from pazpaz.services import exports
from pazpaz.state.clients import client_id_from_path
from pazpaz.state.handler import handler
from pazpaz.state.session import SessionState

POLL_SECONDS = 1.0
MAX_POLLS = 3600  # an hour: past that the export would have expired anyway


class ExportState(SessionState):
    export_id: str = ""
    status: str = ""  # "", queued, running, done, failed
    progress: int = 0
    error: str = ""

    @rx.event
    @handler
    async def export_client(self):
        actor = await self._actor()
        client_id = client_id_from_path(self.router.url.path)
        if client_id is None:
            self.error = self._t(N_("Client not found."))
            return None
        return await self._start(actor, client_id)

    @rx.event
    @handler
    async def export_practice(self):
        return await self._start(await self._actor(), None)

    async def _start(self, actor, client_id: uuid.UUID | None):
        self.error, self.progress = "", 0
        self.export_id = str(await self._call(exports.request_export, actor, client_id))
        self.status = "queued"
        return ExportState.watch

    @rx.event(background=True)
    @handler
    async def watch(self):
        """Poll the export's row until it is done or failed (the job runner builds it)."""
        for _ in range(MAX_POLLS):
            await asyncio.sleep(POLL_SECONDS)
            async with self:
                actor = await self._actor()
                export_id = self.export_id
            if not export_id:
                return
            view = await self._call(exports.export_status, actor, uuid.UUID(export_id))
            async with self:
                if self.export_id != export_id:
                    return  # another export started meanwhile: its own watch follows it
                self.status, self.progress = view.status, view.progress
                if view.status == "failed":
                    self.error = self._t(
                        N_("The export failed. Please try again; if it fails again, check the server log."))
                if view.status in ("done", "failed", "expired"):
                    return

    @rx.event
    @handler
    async def download(self):
        actor = await self._actor()
        url = await self._call(exports.download_url, actor, uuid.UUID(self.export_id))
        return rx.redirect(url, is_external=True)
