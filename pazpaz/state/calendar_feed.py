"""Settings > Calendar feed: create, regenerate or turn off the user's secret feed link."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from pazpaz.i18n import N_
from pazpaz.services import calendar_feed
from pazpaz.services.calendar_feed import FeedStatus
from pazpaz.state.handler import Failures, handler
from pazpaz.state.session import SessionState


class FeedState(SessionState):
    FAILURES: ClassVar[Failures] = Failures(message="feed_error", fields=None, invalid=None)

    feed_active: bool = False
    feed_created: str = ""
    full_names: bool = False
    # The link itself, only right after it was made: the server keeps its hash only.
    feed_url: str = ""
    feed_error: str = ""
    feed_loaded: bool = False

    def _show(self, status: FeedStatus | None) -> None:
        self.feed_active = status is not None
        self.full_names = bool(status and status.include_full_names)
        self.feed_created = self._datetime(status.created_at) if status else ""
        self.feed_loaded = True

    @rx.event
    @handler
    async def load_feed(self):
        actor = await self._actor()
        self.feed_url, self.feed_error = "", ""
        self._show(await self._call(calendar_feed.status, actor))

    @rx.event
    @handler
    async def issue_feed(self):
        actor = await self._actor()
        replacing = self.feed_active
        issued = await self._call(calendar_feed.issue, actor)
        self.feed_url, self.feed_error = issued.url, ""
        self._show(issued.status)
        self._notify(N_("New feed link made; the old one no longer works.") if replacing else N_("Feed link made."))

    @rx.event
    @handler
    async def turn_off_feed(self):
        actor = await self._actor()
        await self._call(calendar_feed.turn_off, actor)
        self.feed_url, self.feed_error = "", ""
        self._show(None)
        self._notify(N_("Calendar feed turned off."))

    @rx.event
    @handler
    async def set_full_names(self, include: bool):
        actor = await self._actor()
        self.feed_error = ""
        self._show(await self._call(calendar_feed.set_full_names, actor, bool(include)))
