"""The client page's plan of care and timeline blocks."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

import reflex as rx

from pazpaz.i18n import N_, Msg
from pazpaz.services import plans, timeline
from pazpaz.services.errors import NotFound
from pazpaz.services.scope import Actor
from pazpaz.state.clients import client_id_from_path
from pazpaz.state.handler import Failures, handler, page_id
from pazpaz.state.session import SessionState


class PlanState(SessionState):
    # Field errors sit under their inputs, so no summary line beside them.
    FAILURES: ClassVar[Failures] = Failures(fields="errors", invalid="")

    visible: bool = False
    error: str = ""
    summary: str = ""
    goals: list[dict] = []
    errors: dict[str, str] = {}
    form_key: str = "0"

    def _client_id(self) -> uuid.UUID:
        client_id = client_id_from_path(self.router.url.path)
        if client_id is None:
            raise NotFound(N_("Client not found."))
        return client_id

    async def _refresh(self, actor: Actor) -> None:
        client_id = client_id_from_path(self.router.url.path)
        if not actor.is_owner or client_id is None:
            self.visible, self.goals = False, []
            return
        try:
            plan = await self._call(plans.get_plan, actor, client_id)
        except NotFound:
            self.visible, self.goals = False, []
            return
        self.visible, self.summary = True, plan.summary
        self.goals = [
            {"id": str(g.id), "text": g.text, "target": self._date(g.target_date),
             "status": g.status,
             "progress": [{"when": self._date(p.when), "kind": p.kind,
                           # a session line is our words; a milestone is the therapist's own text
                           "text": self._t(p.text) if isinstance(p.text, Msg) else p.text}
                          for p in g.progress]}
            for g in plan.goals
        ]

    @rx.event
    @handler
    async def load(self):
        self.errors, self.error = {}, ""
        await self._refresh(await self._actor())

    async def _change(self, actor: Actor, call: Callable[..., Any], *args: Any) -> None:
        """Run one plan change, then show the plan as it now is (with fresh, empty forms)."""
        await self._call(call, actor, *args)
        self.errors, self.error, self.form_key = {}, "", str(uuid.uuid4())
        await self._refresh(actor)

    @rx.event
    @handler
    async def add_goal(self, form: dict):
        actor = await self._actor()
        await self._change(actor, plans.add_goal, self._client_id(), str(form.get("goal_text", "")),
                           str(form.get("target_date", "")))

    @rx.event
    @handler
    async def save_summary(self, form: dict):
        actor = await self._actor()
        await self._change(actor, plans.save_summary, self._client_id(), str(form.get("plan_summary", "")))
        self._notify(N_("Plan saved."))

    @rx.event
    @handler
    async def set_status(self, goal_id: str, status: str):
        actor = await self._actor()
        await self._change(actor, plans.set_goal_status, _goal_id(goal_id), status)

    @rx.event
    @handler
    async def add_milestone(self, form: dict):
        actor = await self._actor()
        try:
            goal_id = uuid.UUID(str(form.get("goal_id", "")))
        except ValueError:
            self.errors = {"milestone_text": self._t(N_("Choose a goal."))}
            return
        await self._change(actor, plans.add_milestone, goal_id, str(form.get("milestone_text", "")),
                           str(form.get("reached_on", "")), str(form.get("progress_note", "")))


_goal_id = functools.partial(page_id, missing=N_("Goal not found."))


class TimelineState(SessionState):
    FAILURES: ClassVar[Failures] = Failures(fields=None)

    items: list[dict[str, str]] = []
    error: str = ""
    page: int = 1
    pages: int = 1

    async def _refresh(self) -> None:
        actor = await self._actor()
        client_id = client_id_from_path(self.router.url.path)
        self.error = ""
        if client_id is None:
            self.items = []
            return
        try:
            result = await self._call(timeline.client_timeline, actor, client_id, self.page)
        except NotFound:
            self.items = []
            return
        self.items = [{"when": self._datetime(i.when), "kind": i.kind,
                       "title": self._t(i.title), "link": i.link}
                      for i in result.items]
        self.page, self.pages = result.page, result.pages

    @rx.event
    @handler
    async def load(self):
        self.page = 1
        await self._refresh()

    @rx.event
    @handler
    async def go_to_page(self, page: int):
        self.page = max(1, min(int(page), self.pages))
        await self._refresh()
