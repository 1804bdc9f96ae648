"""The second step of a sign-in (docs/ARCHITECTURE.md "Two-step sign-in"): plain server pages.

After the link, /auth/redeem sets only a short-lived HttpOnly cookie naming the pending
sign-in (path /auth, 5 minutes). These pages ask for the code, or walk a user whose practice
requires two-step sign-in through enrolment, and set the session cookie only when both
factors have passed. Server-rendered like the Continue page: the session cookie is set by an
HTTP response, and nothing here needs the Reflex app.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from pazpaz import i18n
from pazpaz.api import pages
from pazpaz.api.http import SECURITY_HEADERS, request_context, same_origin
from pazpaz.services import auth, two_factor
from pazpaz.services.errors import ValidationFailed
from pazpaz.services.second_factor import PENDING_TTL, SecondStepRefused
from pazpaz.settings import get_settings

PENDING_COOKIE = "pazpaz_second_step"
# "Copy" for the backup codes; a file, because the CSP allows scripts from our origin only.
SCRIPT = """(function () {
  var button = document.getElementById("copy-codes");
  if (!button || !navigator.clipboard) { if (button) { button.hidden = true; } return; }
  button.addEventListener("click", function () {
    var text = document.getElementById("backup-codes").innerText;
    navigator.clipboard.writeText(text).then(function () { button.textContent = button.dataset.copied; });
  });
})();
"""


def _page(title: str, body: str, language: str) -> HTMLResponse:
    return pages.page(title, body, script="/auth/second-step.js", language=language)


def _code_field(lang: str, label: str, error: str, enrol: bool) -> str:
    invalid = "true" if error else "false"
    error_html = f'<p class="error" id="code-error" role="alert">{html.escape(error)}</p>' if error else ""
    help_text = (pages.words(lang, "The app shows a new 6-digit code every 30 seconds.") if enrol
                 else pages.words(lang, "Lost your phone? Type one of your backup codes instead."))
    described = "code-help code-error" if error else "code-help"
    return (f'<label for="code">{label}</label>'
            f'<input id="code" name="code" autocomplete="one-time-code" inputmode="{"numeric" if enrol else "text"}"'
            f' dir="ltr" maxlength="20" required autofocus aria-invalid="{invalid}" aria-describedby="{described}">'
            f'<p class="help" id="code-help">{help_text}</p>{error_html}')


def after_first_factor(redeemed: auth.Redeemed) -> Response:
    """Where a used link (sign-in or invitation) leads: the second step, or signed in."""
    if redeemed.pending_token:  # no session until the code (or enrolment) passes
        response = pages.redirect("/auth/second-step")
        pending_cookie(response, redeemed.pending_token)
        return response
    response = pages.redirect(redeemed.next_path)
    pages.set_session_cookie(response, redeemed.session_token)
    return response


def pending_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(PENDING_COOKIE, token, max_age=int(PENDING_TTL.total_seconds()), path="/auth",
                        httponly=True, secure=settings.secure_cookies, samesite="lax")


def _clear_pending(response: Response) -> None:
    response.delete_cookie(PENDING_COOKIE, path="/auth", secure=get_settings().secure_cookies, httponly=True,
                           samesite="lax")


async def second_step_page(request: Request) -> Response:
    token = request.cookies.get(PENDING_COOKIE, "")
    view = await run_in_threadpool(two_factor.pending_view, token) if token else None
    if view is None:
        return pages.redirect("/signin?error=second_step_expired")
    lang = pages.reader_language(request, view.language)
    reason = request.query_params.get("error", "")
    error = SecondStepRefused.MESSAGES.get(reason, "") if reason != "empty" else two_factor.NEEDS_CODE
    error = i18n.translate(lang, error)
    practice = f"<strong>{html.escape(view.practice_name)}</strong>"
    form_start = '<form method="post" action="/auth/second-step">'
    if view.stage == "enrol":
        title = i18n.gettext(lang, "Set up two-step sign-in")
        body = (
            f"<h1>{html.escape(title)}</h1>"
            "<p>" + pages.words(lang, "{practice} asks everyone to sign in with a code from their phone as well as "
                                      "the emailed link. It takes a minute:", practice=practice) + "</p>"
            "<ol><li>" + pages.words(lang, "Open an authenticator app on your phone (for example Google "
                                           "Authenticator, Microsoft Authenticator, 1Password or Aegis) and add an "
                                           "account by scanning this QR code.") + "</li>"
            "<li>" + pages.words(lang, "Type the 6-digit code the app shows.") + "</li></ol>"
            f'<img class="qr" src="{html.escape(view.qr, quote=True)}" alt="'
            + pages.words(lang, "QR code to scan with your authenticator app") + '">'
            "<p>" + pages.words(lang, "Can't scan it? Enter this key in the app instead:") + " "
            f'<code id="totp-key">{html.escape(view.key)}</code></p>'
            f"{form_start}{_code_field(lang, pages.words(lang, 'Code from the app'), error, enrol=True)}"
            '<button type="submit">' + pages.words(lang, "Turn on and sign in") + "</button></form>"
        )
        return _page(title, body, lang)
    title = i18n.gettext(lang, "Enter your code")
    body = (
        f"<h1>{html.escape(title)}</h1>"
        "<p>" + pages.words(lang, "Signing in to {practice}. Open your authenticator app for the 6-digit code.",
                            practice=practice) + "</p>"
        f"{form_start}{_code_field(lang, pages.words(lang, '6-digit code'), error, enrol=False)}"
        '<button type="submit">' + pages.words(lang, "Sign in") + "</button></form>"
    )
    return _page(title, body, lang)


def second_step_script(request: Request) -> Response:
    return Response(SCRIPT, media_type="text/javascript", headers=SECURITY_HEADERS)


async def second_step_submit(request: Request) -> Response:
    settings = get_settings()
    if not same_origin(request, settings.public_url):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    token = request.cookies.get(PENDING_COOKIE, "")
    form = await request.form()
    code = str(form.get("code", ""))[:64]
    try:
        completed = await run_in_threadpool(two_factor.complete_sign_in, token, code, request_context(request))
    except SecondStepRefused as refused:
        if refused.reason == "expired":
            return pages.redirect("/signin?error=second_step_expired")
        return pages.redirect(f"/auth/second-step?error={refused.reason}")
    except ValidationFailed:
        return pages.redirect("/auth/second-step?error=empty")
    except auth.LinkRefused as refused:
        return pages.redirect(f"/signin?error={refused.reason}")
    response = _after_sign_in(completed, pages.reader_language(request, completed.language))
    _clear_pending(response)
    pages.set_session_cookie(response, completed.session_token)
    return response


def _after_sign_in(completed: two_factor.Completed, lang: str) -> Response:
    next_href = html.escape(completed.next_path, quote=True)
    if completed.backup_codes:
        return _page(i18n.gettext(lang, "Save your backup codes"),
                     _backup_codes_body(lang, completed.backup_codes, next_href), lang)
    if completed.backup_codes_left is not None:
        left = completed.backup_codes_left
        said = i18n.ngettext(lang, "That code is now used up. You have {count} backup code left.",
                             "That code is now used up. You have {count} backup codes left.", left)
        advice = (" " + pages.words(lang, "Make new ones soon in Settings \u2192 Security.") if left <= 3 else "")
        body = ("<h1>" + pages.words(lang, "Signed in with a backup code") + "</h1>"
                f'<p id="codes-left">{html.escape(said.format(count=left))}{advice}</p>'
                f'<a class="button" href="{next_href}">' + pages.words(lang, "Continue to PazPaz") + "</a>")
        return _page(i18n.gettext(lang, "Signed in"), body, lang)
    return pages.redirect(completed.next_path)


def _backup_codes_body(lang: str, codes: list[str], next_href: str) -> str:
    items = "".join(f"<li><code>{html.escape(code)}</code></li>" for code in codes)
    text = i18n.gettext(lang, "PazPaz backup codes (each works once)") + "\n\n" + "\n".join(codes) + "\n"
    copied = html.escape(i18n.gettext(lang, "Copied"), quote=True)  # the copy script's answer
    return ("<h1>" + pages.words(lang, "Save your backup codes") + "</h1>"
            "<p>" + pages.words(lang, "Two-step sign-in is on. If you lose your phone, each of these codes signs "
                                      "you in once. Keep them somewhere safe, apart from your phone: this is the "
                                      "only time they are shown.") + "</p>"
            f'<ul class="codes" id="backup-codes">{items}</ul>'
            f'<a class="button secondary" download="pazpaz-backup-codes.txt" '
            f'href="data:text/plain;charset=utf-8,{quote(text)}">'
            + pages.words(lang, "Download as a .txt file") + "</a>"
            f'<button type="button" class="secondary" id="copy-codes" data-copied="{copied}">'
            + pages.words(lang, "Copy the codes")
            + "</button>"
            f'<a class="button" href="{next_href}">' + pages.words(lang, "I saved them: continue to PazPaz") + "</a>")
