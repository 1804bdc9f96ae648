"""The Confirm / Cancel links of a client reminder (services/reminders.py).

GET shows a small page with one button and changes nothing (mail scanners open every
link); only the POST, from our own origin, acts. No script, no external resource: the page
works under the app's CSP, and the token never leaves the origin (Referrer-Policy).
"""

from __future__ import annotations

import html

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pazpaz import i18n
from pazpaz.api import pages
from pazpaz.api.http import SECURITY_HEADERS, request_context, same_origin
from pazpaz.i18n import N_
from pazpaz.services import reminders
from pazpaz.settings import get_settings

PAGE = """<!doctype html>
<html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;background:#f6f7f9;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}}
main{{background:#fff;border-radius:12px;padding:32px;max-width:400px;width:calc(100% - 48px);
box-shadow:0 1px 3px rgba(0,0,0,.1)}}
h1{{font-size:1.4rem;margin:0 0 8px}} p{{color:#444}}
button{{width:100%;padding:12px;font-size:1rem;border:0;border-radius:8px;background:{colour};color:#fff;cursor:pointer}}
</style></head>
<body><main>
<h1>{title}</h1>
{body}
</main></body></html>"""

WORDS = {
    "confirm": (N_("Confirm your appointment"), N_("Confirm appointment"), "#2563eb"),
    "cancel": (N_("Cancel your appointment"), N_("Cancel appointment"), "#b91c1c"),
}


def _page(purpose: str, title: str, body: str, lang: str, status: int = 200) -> Response:
    colour = WORDS[purpose][2]
    return HTMLResponse(PAGE.format(title=html.escape(title), body=body, colour=colour, lang=lang,
                                    dir=i18n.direction(lang)), status_code=status, headers=SECURITY_HEADERS)


def _message(purpose: str, title: str, text: str, lang: str, status: int = 200) -> Response:
    """`title` and `text` are msgids (or an i18n.Msg), said in `lang`."""
    return _page(purpose, i18n.translate(lang, title),
                 f'<p role="status">{html.escape(i18n.translate(lang, text))}</p>', lang, status)


def _form(purpose: str, token: str, view: reminders.LinkView) -> Response:
    lang = view.language
    title, button = (i18n.gettext(lang, words) for words in WORDS[purpose][:2])
    facts = (f"<p>{html.escape(view.practice)}<br><strong>{html.escape(view.when)}</strong></p>")
    if view.status == "cancelled":
        return _page(purpose, title, facts + "<p>" + pages.words(lang, "This appointment is cancelled.") + "</p>",
                     lang)
    if purpose == "cancel" and not view.can_cancel:
        return _page(purpose, title, facts + "<p>" + pages.words(
            lang, "It is too late to cancel online. Please call the practice.") + "</p>", lang)
    form = (f'<form method="post" action="/appointment/{purpose}">'
            f'<input type="hidden" name="t" value="{html.escape(token, quote=True)}">'
            f'<button type="submit">{html.escape(button)}</button></form>')
    return _page(purpose, title, facts + form, lang)


async def _language(request: Request, token: str, purpose: str) -> str:
    """The practice's language (the reminder's); the browser's for a link that is not ours."""
    known = await run_in_threadpool(reminders.link_language, token, purpose)
    return pages.reader_language(request, known)


def _purpose(request: Request) -> str:
    return request.path_params["purpose"]


async def show(request: Request) -> Response:
    purpose = _purpose(request)
    if purpose not in WORDS:
        return pages.plain(request, pages.NOT_FOUND, 404)
    token = request.query_params.get("t", "")[:200]
    try:
        view = await run_in_threadpool(reminders.view_link, token, purpose, request_context(request))
    except reminders.LinkRefused as refused:
        return _message(purpose, N_("This link does not work"), refused.message(),
                        await _language(request, token, purpose), status=400)
    return _form(purpose, token, view)


async def act(request: Request) -> Response:
    purpose = _purpose(request)
    if purpose not in WORDS:
        return pages.plain(request, pages.NOT_FOUND, 404)
    if not same_origin(request, get_settings().public_url):
        return pages.plain(request, N_("Cross-site request refused."), 403)
    form = await request.form()
    token = str(form.get("t", ""))[:200]
    try:
        outcome = await run_in_threadpool(reminders.respond, token, purpose, request_context(request))
    except reminders.LinkRefused as refused:
        return _message(purpose, N_("This link does not work"), refused.message(),
                        await _language(request, token, purpose), status=400)
    title = N_("Appointment cancelled") if purpose == "cancel" and "cancelled" in outcome else N_("Thank you")
    return _message(purpose, title, outcome, await _language(request, token, purpose))
