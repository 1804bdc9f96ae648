"""Sign-in HTTP routes: the only place the HttpOnly session cookie is set or cleared.

Sign-in and sign-out are full page navigations because Reflex reads the cookie once,
when the websocket connects.
"""

from __future__ import annotations

import html

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from pazpaz.api.http import SECURITY_HEADERS, request_context, same_origin
from pazpaz.services import auth
from pazpaz.services.auth import signin_redirect  # noqa: F401  (moved below the states; kept for old importers)
from pazpaz.settings import get_settings
from pazpaz.state import binding

CONTINUE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>Sign in to PazPaz</title>
<style>
body{{font-family:system-ui,sans-serif;background:#f6f7f9;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}}
main{{background:#fff;border-radius:12px;padding:32px;max-width:360px;width:calc(100% - 48px);
box-shadow:0 1px 3px rgba(0,0,0,.1)}}
h1{{font-size:1.4rem;margin:0 0 8px}} p{{color:#444}}
button{{width:100%;padding:12px;font-size:1rem;border:0;border-radius:8px;background:#2563eb;color:#fff;cursor:pointer}}
</style></head>
<body><main>
<h1>Sign in to PazPaz</h1>
{practice}<p>Press Continue to finish signing in on this device.</p>
<form method="post" action="/auth/redeem" id="continue">
<input type="hidden" name="token" value="{token}">
<button type="submit">Continue</button>
</form>
<script src="/auth/continue.js"></script>
</main></body></html>"""

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
    practice = await run_in_threadpool(auth.link_practice, token)
    named = f'<p id="practice">Practice: <strong>{html.escape(practice)}</strong></p>\n' if practice else ""
    return HTMLResponse(CONTINUE_PAGE.format(token=html.escape(token, quote=True), practice=named),
                        headers=SECURITY_HEADERS)


def continue_script(request: Request) -> Response:
    return Response(CONTINUE_SCRIPT, media_type="text/javascript", headers=SECURITY_HEADERS)


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS)


async def redeem(request: Request) -> Response:
    settings = get_settings()
    if not same_origin(request, settings.public_url):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    form = await request.form()
    token = str(form.get("token", ""))
    try:
        redeemed = await run_in_threadpool(auth.redeem_link, token, request_context(request))
    except auth.LinkRefused as refused:
        return _redirect(f"/signin?error={refused.reason}")
    response = _redirect(redeemed.next_path)
    response.set_cookie(
        settings.session_cookie_name,
        redeemed.session_token,
        max_age=settings.session_absolute_hours * 3600,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )
    return response


async def sign_out(request: Request) -> Response:
    settings = get_settings()
    if not same_origin(request, settings.public_url):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    token = request.cookies.get(settings.session_cookie_name)
    await run_in_threadpool(auth.sign_out, token, request_context(request))
    if token:
        # Every tab of this session loses its state now, not at its next event.
        await binding.drop_session(binding.session_key(token))
    response = _redirect("/signin?signed_out=1")
    response.delete_cookie(settings.session_cookie_name, path="/", secure=settings.secure_cookies,
                           httponly=True, samesite="lax")
    return response

