"""The invitation link: a plain server-rendered page (like /auth/continue) that names the
practice and the inviter and asks for the invitee's name. GET only reads (mail scanners
open links); the POST accepts and sets the session cookie on its redirect."""

from __future__ import annotations

import html

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from pazpaz import i18n
from pazpaz.api import pages, second_step
from pazpaz.api.http import request_context, same_origin
from pazpaz.services import invitations
from pazpaz.services.errors import ValidationFailed
from pazpaz.settings import get_settings

# The form's id is "continue": /auth/continue.js clears sessionStorage on submit, so the
# signed-in page starts with a fresh Reflex tab token (as after any sign-in).
FORM = """<h1>{join}</h1>
<p>{invited}</p>
<p>{explain}</p>
<form method="post" action="/auth/invitation" id="continue">
<input type="hidden" name="token" value="{token}">
<label for="name">{your_name}</label>
<input type="text" id="name" name="name" dir="auto" value="{name}" maxlength="200" autocomplete="name"
 required{invalid}>
{error}<button type="submit">{join}</button>
</form>"""

REFUSED = """<h1>{title}</h1>
<p id="refused">{message}</p>
<p><a href="/signin">{go}</a></p>"""


def _page(title: str, body: str, language: str, status: int = 200) -> HTMLResponse:
    return pages.page(title, body, status, script="/auth/continue.js", language=language)


def _form(request: Request, token: str, preview: invitations.Preview, name: str, error: str = "") -> HTMLResponse:
    # The invitee has no account yet: the browser's language.
    lang = pages.reader_language(request)
    practice = html.escape(preview.practice_name)
    inviter = html.escape(preview.inviter_name or i18n.gettext(lang, "The practice owner"))
    join = pages.words(lang, "Join {practice}", practice=practice)
    body = FORM.format(
        join=join, token=html.escape(token, quote=True), name=html.escape(name, quote=True),
        invited=pages.words(lang, "{inviter} invited you to join {practice} on PazPaz as an assistant.",
                            inviter=inviter, practice=f"<strong>{practice}</strong>"),
        explain=pages.words(lang, "You will see the practice's schedule and its clients' contact details, "
                                  "never clinical notes."),
        your_name=pages.words(lang, "Your name"),
        invalid=' aria-invalid="true" aria-describedby="name-error"' if error else "",
        error=(f'<p class="error" id="name-error" role="alert">{html.escape(i18n.translate(lang, error))}</p>\n'
               if error else ""),
    )
    return _page(i18n.gettext(lang, "Join {practice}").format(practice=preview.practice_name), body, lang,
                 400 if error else 200)


def _refused(request: Request, refused: invitations.InvitationRefused) -> HTMLResponse:
    lang = pages.reader_language(request)
    body = REFUSED.format(title=pages.words(lang, "Invitation"), go=pages.words(lang, "Go to sign-in"),
                          message=html.escape(i18n.translate(lang, refused.message())))
    return _page(i18n.gettext(lang, "Invitation"), body, lang, 400)


async def invitation_page(request: Request) -> Response:
    token = request.query_params.get("token", "")
    try:
        preview = await run_in_threadpool(invitations.preview, token)
    except invitations.InvitationRefused as refused:
        return _refused(request, refused)
    return _form(request, token, preview, preview.invitee_name)


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
            return _refused(request, refused)
        return _form(request, token, preview, name, invalid.errors.get("name", str(invalid)))
    except invitations.InvitationRefused as refused:
        return _refused(request, refused)
    return second_step.after_first_factor(redeemed)
