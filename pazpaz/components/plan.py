"""Plan of care and timeline blocks for the client page."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import CONTROL_STYLE, LABEL_STYLE, banner, field
from pazpaz.components.i18n import t
from pazpaz.components.words import PROGRESS_KIND_WORDS, word_for
from pazpaz.state.plan import PlanState, TimelineState


def _input(label: rx.Var, name: str, input_type: str = "text", suffix: rx.Var | str = "") -> rx.Component:
    # Per-goal forms repeat, so element ids carry the goal id to keep labels unique.
    element_id = name + "-" + suffix if isinstance(suffix, rx.Var) else name
    return field(label, element_id, rx.el.input, error=PlanState.errors.get(name, ""), name=name, type=input_type,
                 box_props={"flex": "1 1 150px"})


def _goal(goal: rx.Var) -> rx.Component:
    goal_id = goal["id"].to(str)
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.text(goal["text"], weight="bold", overflow_wrap="anywhere"),
                rx.cond(goal["target"] != "", rx.text(t("by {date}", date=goal["target"].to(str)), size="1")),
                rx.spacer(),
                rx.el.select(
                    rx.el.option(t("Active"), value="active"), rx.el.option(t("Achieved"), value="achieved"),
                    rx.el.option(t("Dropped"), value="dropped"),
                    value=goal["status"].to(str), on_change=lambda v: PlanState.set_status(goal_id, v),
                    aria_label=t("Goal status"), style={**CONTROL_STYLE, "width": "auto"},
                ),
                spacing="2", align="center", wrap="wrap", width="100%",
            ),
            rx.foreach(goal["progress"].to(list[dict[str, str]]), lambda p: rx.flex(
                rx.text(p["when"], size="1", color="var(--gray-11)", min_width="80px"),
                rx.badge(word_for(p["kind"], PROGRESS_KIND_WORDS), size="1"),
                rx.text(p["text"], size="2", overflow_wrap="anywhere"),
                spacing="2", align="center", wrap="wrap")),
            rx.form(
                # The goal id travels in the form: Reflex compiles form handlers outside foreach.
                rx.el.input(type="hidden", name="goal_id", value=goal_id),
                rx.flex(
                    _input(t("Milestone"), "milestone_text", suffix=goal_id),
                    _input(t("Reached on"), "reached_on", "date", suffix=goal_id),
                    _input(t("Progress note"), "progress_note", suffix=goal_id),
                    rx.button(t("Add milestone"), type="submit", size="2", variant="soft"),
                    spacing="2", wrap="wrap", align="end", width="100%",
                ),
                on_submit=PlanState.add_milestone, key=PlanState.form_key,
                width="100%",
            ),
            spacing="2", width="100%",
        ),
        width="100%",
    )


def plan_block() -> rx.Component:
    return rx.cond(
        PlanState.visible,
        rx.card(
            rx.vstack(
                rx.heading(t("Plan of care"), size="4", as_="h2"),
                banner(PlanState.error),
                rx.form(
                    rx.vstack(
                        rx.el.label(t("Summary"), html_for="plan_summary", style=LABEL_STYLE),
                        rx.el.textarea(PlanState.summary, id="plan_summary", name="plan_summary", rows=2, dir="auto",
                                       style=CONTROL_STYLE),
                        rx.button(t("Save plan"), type="submit", size="2", variant="soft"),
                        spacing="1", width="100%",
                    ),
                    on_submit=PlanState.save_summary, key=PlanState.form_key, width="100%",
                ),
                rx.foreach(PlanState.goals, _goal),
                rx.form(
                    rx.flex(
                        _input(t("New goal"), "goal_text"), _input(t("Target date"), "target_date", "date"),
                        rx.button(t("Add goal"), type="submit", size="2"),
                        spacing="2", wrap="wrap", align="end", width="100%",
                    ),
                    on_submit=PlanState.add_goal, key=PlanState.form_key, width="100%",
                ),
                spacing="3", width="100%",
            ),
            width="100%",
        ),
    )


def timeline_block() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("Timeline"), size="4", as_="h2"),
            banner(TimelineState.error),
            rx.foreach(TimelineState.items, lambda i: rx.flex(
                rx.text(i["when"], size="1", color="var(--gray-11)", min_width="120px"),
                rx.cond(i["link"] != "", rx.link(i["title"], href=i["link"], size="2"),
                        rx.text(i["title"], size="2", overflow_wrap="anywhere")),
                spacing="2", wrap="wrap", width="100%")),
            rx.cond(TimelineState.pages > 1, rx.flex(
                rx.button(t("Newer"), size="1", variant="soft", disabled=TimelineState.page <= 1,
                          on_click=TimelineState.go_to_page(TimelineState.page - 1)),
                rx.text(t("Page {page} of {pages}", page=TimelineState.page, pages=TimelineState.pages), size="1"),
                rx.button(t("Older"), size="1", variant="soft", disabled=TimelineState.page >= TimelineState.pages,
                          on_click=TimelineState.go_to_page(TimelineState.page + 1)),
                spacing="2", align="center")),
            spacing="2", width="100%", id="timeline",
        ),
        width="100%",
    )
