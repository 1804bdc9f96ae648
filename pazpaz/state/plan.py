"""The client page's plan of care and timeline blocks."""

from __future__ import annotations

import asyncio
import uuid

import reflex as rx

from pazpaz.services import plans, timeline
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.state.clients import client_id_from_path
from pazpaz.state.session import SessionState


class PlanState(SessionState):
    visible: bool = False
    summary: str = ""
    goals: list[dict] = []
    errors: dict[str, str] = {}
    form_key: str = "0"

    async def _refresh(self) -> None:
        actor = await self.actor()
        client_id = client_id_from_path(self.router.url.path)
        if actor is None or not actor.is_owner or client_id is None:
            self.visible, self.goals = False, []
            return
        try:
            plan = await asyncio.to_thread(plans.get_plan, actor, client_id)
        except NotFound:
            self.visible = False
            return
        self.visible, self.summary = True, plan.summary
        self.goals = [
            {"id": str(g.id), "text": g.text, "target": g.target_date.isoformat() if g.target_date else "",
             "status": g.status,
             "progress": [{"when": p.when.isoformat() if p.when else "", "kind": p.kind, "text": p.text}
                          for p in g.progress]}
            for g in plan.goals
        ]

    @rx.event
    async def load(self):
        self.errors = {}
        await self._refresh()

    async def _run(self, call, *args):
        actor = await self.actor()
        client_id = client_id_from_path(self.router.url.path)
        if actor is None or client_id is None:
            return False
        try:
            await asyncio.to_thread(call, actor, *args)
        except ValidationFailed as invalid:
            self.errors = invalid.errors
            return False
        except NotFound:
            self.errors = {"plan": "Not found."}
            return False
        self.errors, self.form_key = {}, str(uuid.uuid4())
        await self._refresh()
        return True

    @rx.event
    async def add_goal(self, form: dict):
        client_id = client_id_from_path(self.router.url.path)
        await self._run(plans.add_goal, client_id, str(form.get("goal_text", "")), str(form.get("target_date", "")))

    @rx.event
    async def save_summary(self, form: dict):
        client_id = client_id_from_path(self.router.url.path)
        if await self._run(plans.save_summary, client_id, str(form.get("plan_summary", ""))):
            return rx.toast.success("Plan saved.")
        return None

    @rx.event
    async def set_status(self, goal_id: str, status: str):
        await self._run(plans.set_goal_status, uuid.UUID(goal_id), status)

    @rx.event
    async def add_milestone(self, form: dict):
        try:
            goal_id = uuid.UUID(str(form.get("goal_id", "")))
        except ValueError:
            self.errors = {"milestone_text": "Choose a goal."}
            return
        await self._run(plans.add_milestone, goal_id, str(form.get("milestone_text", "")),
                        str(form.get("reached_on", "")), str(form.get("progress_note", "")))


class TimelineState(SessionState):
    items: list[dict[str, str]] = []
    page: int = 1
    pages: int = 1

    async def _refresh(self) -> None:
        actor = await self.actor()
        client_id = client_id_from_path(self.router.url.path)
        if actor is None or client_id is None:
            self.items = []
            return
        try:
            result = await asyncio.to_thread(timeline.client_timeline, actor, client_id, self.page)
        except NotFound:
            self.items = []
            return
        self.items = [{"when": i.when.strftime("%Y-%m-%d %H:%M"), "kind": i.kind, "title": i.title, "link": i.link}
                      for i in result.items]
        self.page, self.pages = result.page, result.pages

    @rx.event
    async def load(self):
        self.page = 1
        await self._refresh()

    @rx.event
    async def go_to_page(self, page: int):
        self.page = max(1, min(int(page), self.pages))
        await self._refresh()
