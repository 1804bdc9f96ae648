"""The one template of PazPaz's server-rendered pages (the sign-in link's Continue page, the
second sign-in step, an invitation, a reminder's answer), and the one way they set the
session cookie. They are plain HTML because the session cookie is set by an HTTP response
and they must work before the Reflex app has loaded anything."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from pazpaz import i18n
from pazpaz.api.http import SECURITY_HEADERS
from pazpaz.settings import get_settings

PAGE = """<!doctype html>
<html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{title} · PazPaz</title>
<style>
body{{font-family:system-ui,sans-serif;background:#f6f7f9;color:#1c2024;margin:0;display:flex;min-height:100vh;
align-items:center;justify-content:center}}
main{{background:#fff;border-radius:12px;padding:32px;max-width:420px;width:calc(100% - 48px);margin:24px 0;
box-shadow:0 1px 3px rgba(0,0,0,.1)}}
h1{{font-size:1.4rem;margin:0 0 12px;overflow-wrap:anywhere}}
p,li{{color:#3a3f45;line-height:1.5;overflow-wrap:anywhere}}
label{{display:block;font-weight:600;margin:16px 0 6px}}
input[type=text],input:not([type]){{box-sizing:border-box;width:100%;min-height:44px;padding:10px 12px;
font-size:1.1rem;border:1px solid #8b8d98;border-radius:8px}}
input[aria-invalid=true]{{border-color:#b42318;outline-color:#b42318}}
.help{{font-size:.9rem;color:#555a61;margin:6px 0 0}}
.error{{color:#b42318;font-weight:600;margin:8px 0 0}}
.button,button{{display:block;box-sizing:border-box;width:100%;min-height:44px;margin-top:16px;padding:12px;font-size:1rem;
border:0;border-radius:8px;background:#3e63dd;color:#fff;cursor:pointer;text-align:center;text-decoration:none}}
.secondary{{background:#edf2fe;color:#3a5bc7}}
code{{font-size:1rem;background:#f1f3f5;padding:2px 6px;border-radius:4px;word-break:break-all}}
ul.codes{{columns:2;padding-inline-start:1.2em}} .qr{{display:block;margin:12px auto;width:220px;height:220px}}
</style></head>
<body><main>
{body}
</main>{script}
</body></html>"""


def page(title: str, body: str, status: int = 200, script: str = "", language: str = "en") -> HTMLResponse:
    """`body` is HTML the caller escaped; `script` a same-origin script path (the CSP allows no
    inline script); `language` sets `<html lang dir>` (the title is already in it)."""
    language = i18n.supported(language)
    tag = f'\n<script src="{html.escape(script, quote=True)}"></script>' if script else ""
    return HTMLResponse(PAGE.format(title=html.escape(title), body=body, script=tag, lang=language,
                                    dir=i18n.direction(language)), status_code=status, headers=SECURITY_HEADERS)


def reader_language(request: Request, known: str | None = None) -> str:
    """The user's own language when known, else the browser's (its last PazPaz language, Accept-Language)."""
    return i18n.supported(known) if known else i18n.reader(request.headers.get("cookie"),
                                                           request.headers.get("accept-language"))


NOT_FOUND = i18n.N_("Not found.")


def plain(request: Request, text: str, status: int, headers: dict[str, str] | None = None) -> PlainTextResponse:
    """A short plain-text answer (a file, export or reminder link that doesn't open) in the
    browser's language; `text` is a msgid or a service's message."""
    # The words depend on the request's cookie and Accept-Language: never cached for another reader.
    headers = {"Cache-Control": "no-store", "Vary": "Accept-Language, Cookie", **(headers or {})}
    return PlainTextResponse(i18n.translate(reader_language(request), text), status_code=status, headers=headers)


def words(language: str, msgid: str, **html_values: str) -> str:
    """A msgid translated and escaped for HTML; `html_values` are HTML the caller escaped."""
    return html.escape(i18n.gettext(language, msgid), quote=False).format(**html_values)


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS)


def set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(settings.session_cookie_name, token, max_age=settings.session_absolute_hours * 3600,
                        path="/", httponly=True, secure=settings.secure_cookies, samesite="lax")
