"""Settings > Security: the user's own two-step sign-in, and the owner's practice-wide rule."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from pazpaz.i18n import N_, nmsg
from pazpaz.services import two_factor
from pazpaz.services.scope import Actor
from pazpaz.services.second_factor import SecondStepRefused
from pazpaz.state.handler import handler
from pazpaz.state.session import SessionState


class SecurityState(SessionState):
    two_step_on: bool = False
    enabled_on: str = ""
    codes_left: int = 0
    codes_left_text: str = ""  # "10 unused backup codes."
    required: bool = False
    # Enrolment in progress: the QR code (an SVG data URI drawn on the server) and the key.
    qr: str = ""
    key: str = ""
    # Shown once after enrolment or regeneration; emptied by "I saved them" and on sign-out.
    backup_codes: list[str] = []
    # Which code form is open while two-step sign-in is on: "" | "regenerate" | "turn_off".
    confirming: str = ""
    field_errors: dict[str, str] = {}
    error: str = ""
    form_key: int = 0

    async def _refresh(self, actor: Actor) -> None:
        status = await self._call(two_factor.status, actor)
        self.two_step_on = status.enabled
        self.enabled_on = self._date(status.enabled_at)
        self.codes_left = status.backup_codes_left
        self.codes_left_text = self._t(nmsg("{count} unused backup code.", "{count} unused backup codes.",
                                            status.backup_codes_left))
        self.required = status.required

    def _code_refused(self, refused: SecondStepRefused) -> None:
        self.field_errors = {"code": self._t(refused.message())}
        self.form_key += 1  # a fresh, empty code field

    # Recomputed when the codes change, not with every var it reads: its title's language is
    # SessionState's, and a dependency on it made Reflex load this state with every event of
    # every page (docs/ARCHITECTURE.md "Several processes (Redis)").
    @rx.var(deps=["backup_codes"], auto_deps=False)
    def codes_download(self) -> str:
        text = self._t(N_("PazPaz backup codes (each works once)")) + "\n\n" + "\n".join(self.backup_codes) + "\n"
        return "data:text/plain;charset=utf-8," + quote(text)

    @rx.event
    @handler
    async def load(self):
        self.field_errors, self.error, self.qr, self.key, self.backup_codes = {}, "", "", "", []
        self.confirming = ""
        await self._refresh(await self._actor())

    @rx.event
    @handler
    async def start_enrolment(self):
        actor = await self._actor()
        self.field_errors, self.error = {}, ""
        enrolment = await self._call(two_factor.begin_enrolment, actor)
        self.qr, self.key = enrolment.qr, enrolment.key

    @rx.event
    @handler
    async def cancel_enrolment(self):
        self.qr, self.key, self.field_errors = "", "", {}

    @rx.event
    @handler
    async def confirm_enrolment(self, form_data: dict):
        actor = await self._actor()
        self.field_errors, self.error = {}, ""
        try:
            codes = await self._call(two_factor.confirm_enrolment, actor, str(form_data.get("code", ""))[:64])
        except SecondStepRefused as refused:
            self._code_refused(refused)
            return
        self.qr, self.key, self.backup_codes = "", "", codes
        await self._refresh(actor)
        self._notify(N_("Two-step sign-in is on. Your other sessions were signed out."))

    @rx.event
    @handler
    async def confirm_with_code(self, action: str):
        self.field_errors, self.error = {}, ""
        self.confirming = action if action in ("regenerate", "turn_off") else ""

    @rx.event
    @handler
    async def submit_code(self, form_data: dict):
        if self.confirming == "regenerate":
            await self._regenerate(form_data)
        elif self.confirming == "turn_off":
            await self._turn_off(form_data)

    async def _regenerate(self, form_data: dict) -> None:
        actor = await self._actor()
        self.field_errors, self.error = {}, ""
        try:
            codes = await self._call(two_factor.regenerate_backup_codes, actor,
                                     str(form_data.get("code", ""))[:64])
        except SecondStepRefused as refused:
            self._code_refused(refused)
            return
        self.backup_codes, self.confirming = codes, ""
        self.form_key += 1
        await self._refresh(actor)
        self._notify(N_("New backup codes made; the old ones no longer work."))

    async def _turn_off(self, form_data: dict) -> None:
        actor = await self._actor()
        self.field_errors, self.error = {}, ""
        try:
            await self._call(two_factor.turn_off, actor, str(form_data.get("code", ""))[:64])
        except SecondStepRefused as refused:
            self._code_refused(refused)
            return
        self.backup_codes, self.confirming = [], ""
        self.form_key += 1
        await self._refresh(actor)
        self._notify(N_("Two-step sign-in is off. Your other sessions were signed out."))

    @rx.event
    @handler
    async def codes_saved(self):
        self.backup_codes = []

    @rx.event
    @handler
    async def set_required(self, required: bool):
        actor = await self._actor()
        self.error = ""
        ended = await self._call(two_factor.set_required, actor, required is True)
        await self._refresh(actor)
        if self.required:
            self._notify(nmsg("Two-step sign-in is now required. {count} session without it was signed out.",
                              "Two-step sign-in is now required. {count} sessions without it were signed out.", ended))
        else:
            self._notify(N_("Two-step sign-in is now optional."))
