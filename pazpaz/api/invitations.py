"""The invitation link: a plain server-rendered page (like /auth/continue) that names the
practice and the inviter and asks for the invitee's name. GET only reads (mail scanners
open links); the POST accepts and sets the session cookie on its redirect."""

from __future__ import annotations

import html

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from pazpaz.api import pages, second_step
from pazpaz.api.http import request_context, same_origin
from pazpaz.services import invitations
from pazpaz.services.errors import ValidationFailed
from pazpaz.settings import get_settings

# The form's id is "continue": /auth/continue.js clears sessionStorage on submit, so the
# signed-in page starts with a fresh Reflex tab token (as after any sign-in).
FORM = """<h1>Join {practice}</h1>
<p>{inviter} invited you to join <strong>{practice}</strong> on PazPaz as an assistant.</p>
<p>You will see the practice's schedule and its clients' contact details, never clinical notes.</p>
<form method="post" action="/auth/invitation" id="continue">
<input type="hidden" name="token" value="{token}">
<label for="name">Your name</label>
<input type="text" id="name" name="name" value="{name}" maxlength="200" autocomplete="name" required{invalid}>
{error}<button type="submit">Join {practice}</button>
</form>"""

REFUSED = """<h1>Invitation</h1>
<p id="refused">{message}</p>
<p><a href="/signin">Go to sign-in</a></p>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return pages.page(title, body, status, script="/auth/continue.js")


def _form(token: str, preview: invitations.Preview, name: str, error: str = "") -> HTMLResponse:
    practice = html.escape(preview.practice_name)
    body = FORM.format(
        practice=practice, inviter=html.escape(preview.inviter_name or "The practice owner"),
        token=html.escape(token, quote=True), name=html.escape(name, quote=True),
        invalid=' aria-invalid="true" aria-describedby="name-error"' if error else "",
        error=f'<p class="error" id="name-error" role="alert">{html.escape(error)}</p>\n' if error else "",
    )
    return _page(f"Join {preview.practice_name}", body, 400 if error else 200)


def _refused(refused: invitations.InvitationRefused) -> HTMLResponse:
    return _page("Invitation", REFUSED.format(message=html.escape(str(refused))), 400)


async def invitation_page(request: Request) -> Response:
    token = request.query_params.get("token", "")
    try:
        preview = await run_in_threadpool(invitations.preview, token)
    except invitations.InvitationRefused as refused:
        return _refused(refused)
    return _form(token, preview, preview.invitee_name)


async def accept_invitation(request: Request) -> Response:
    settings = get_settings()
    if not same_origin(request, settings.public_url):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    form = await request.form()
    token, name = str(form.get("token", "")), str(form.get("name", ""))
    try:
        redeemed = await run_in_threadpool(invitations.accept, token, name, request_context(request))
    except ValidationFailed as invalid:
        try:
            preview = await run_in_threadpool(invitations.preview, token)
        except invitations.InvitationRefused as refused:
            return _refused(refused)
        return _form(token, preview, name, invalid.errors.get("name", str(invalid)))
    except invitations.InvitationRefused as refused:
        return _refused(refused)
    return second_step.after_first_factor(redeemed)
