"""Sign-in HTTP routes: the only place the HttpOnly session cookie is set or cleared.

Sign-in and sign-out are full page navigations because Reflex reads the cookie once,
when the websocket connects.
"""

from __future__ import annotations

import html

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from pazpaz import i18n
from pazpaz.api import pages, second_step
from pazpaz.api.http import SECURITY_HEADERS, request_context, same_origin
from pazpaz.services import auth
from pazpaz.services.auth import signin_redirect  # noqa: F401  (moved below the states; kept for old importers)
from pazpaz.services.tokens import hash_token
from pazpaz.settings import get_settings
from pazpaz.state import binding

CONTINUE_BODY = """<h1>{heading}</h1>
{practice}<p>{explain}</p>
<form method="post" action="/auth/redeem" id="continue">
<input type="hidden" name="token" value="{token}">
<button type="submit">{button}</button>
</form>"""

# A file, not an inline handler: the app's CSP allows scripts from our origin only.
# Clearing sessionStorage gives the signed-in page a fresh Reflex tab token.
CONTINUE_SCRIPT = """document.getElementById("continue").addEventListener("submit", function () {
  try { sessionStorage.clear(); } catch (e) { /* storage disabled: nothing to clear */ }
});
"""


async def continue_page(request: Request) -> Response:
    # GET never consumes the token: mail scanners open every link they see.
    token = request.query_params.get("token", "")
    # Name the practice this link signs into (read only; an unusable link names none).
    view = await run_in_threadpool(auth.link_view, token)
    practice, known = view if view else ("", None)
    lang = pages.reader_language(request, known)
    named = ('<p id="practice">' + pages.words(lang, "Practice: {practice}",
                                                practice=f"<strong>{html.escape(practice)}</strong>") + "</p>\n"
             if practice else "")
    body = CONTINUE_BODY.format(
        token=html.escape(token, quote=True), practice=named, heading=pages.words(lang, "Sign in to PazPaz"),
        explain=pages.words(lang, "Press Continue to finish signing in on this device."),
        button=pages.words(lang, "Continue"))
    return pages.page(i18n.gettext(lang, "Sign in"), body, script="/auth/continue.js", language=lang)


def continue_script(request: Request) -> Response:
    return Response(CONTINUE_SCRIPT, media_type="text/javascript", headers=SECURITY_HEADERS)


async def redeem(request: Request) -> Response:
    settings = get_settings()
    if not same_origin(request, settings.public_url):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    form = await request.form()
    token = str(form.get("token", ""))
    try:
        redeemed = await run_in_threadpool(auth.redeem_link, token, request_context(request))
    except auth.LinkRefused as refused:
        return pages.redirect(f"/signin?error={refused.reason}")
    return second_step.after_first_factor(redeemed)


async def sign_out(request: Request) -> Response:
    settings = get_settings()
    if not same_origin(request, settings.public_url):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    token = request.cookies.get(settings.session_cookie_name)
    await run_in_threadpool(auth.sign_out, token, request_context(request))
    if token:
        # Every tab of this session loses its state now, not at its next event.
        await binding.drop_session(hash_token(token))  # an HTTP cookie: the token itself
    response = pages.redirect("/signin?signed_out=1")
    response.delete_cookie(settings.session_cookie_name, path="/", secure=settings.secure_cookies,
                           httponly=True, samesite="lax")
    return response

