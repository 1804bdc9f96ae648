"""Language per user and per practice, against the real database, SMTP sink and HTTP routes:
the browser's Accept-Language on a first visit, the setting kept on the user row, Hebrew mails
and pages (docs/ARCHITECTURE.md, "Translation layer")."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import reflex as rx
from sqlmodel import select
from starlette.testclient import TestClient

from pazpaz.api.app import build_api
from pazpaz.models import AuditEvent, User, Workspace
from pazpaz.models.base import utcnow
from pazpaz.services import appointments, auth, catalog, clients, clock, languages, reminders
from pazpaz.services.appointments import AppointmentInput
from pazpaz.services.catalog import LocationInput, ServiceInput
from pazpaz.services.clients import ClientInput
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.services.reminders import DAY, ReminderSettings
from pazpaz.services.scope import Actor, system_session
from pazpaz.settings import get_settings
from pazpaz.state import binding
from pazpaz.state.session import SessionState
from tests.support.factories import CTX, make_assistant

HEBREW_BROWSER = "he-IL,he;q=0.9,en-US;q=0.8,en;q=0.7"


def owner_with(email_address: str, language: str | None, time_zone: str = "Asia/Jerusalem") -> Actor:
    with system_session() as session:
        workspace = Workspace(name="קליניקת השקד", time_zone=time_zone)
        session.add(workspace)
        session.flush()
        user = auth.create_user(session, workspace.id, email_address, "Dana", "owner")
        user.language = language
        return Actor(workspace_id=workspace.id, user_id=user.id, role="owner", context=CTX)


def stored_language(user_id: uuid.UUID) -> str | None:
    with system_session() as session:
        return session.get(User, user_id).language


def parsed(message) -> EmailMessage:
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def test_a_hebrew_reader_gets_the_sign_in_mail_and_the_continue_page_in_hebrew(app_env, smtp_sink):
    address = f"dana-{uuid.uuid4().hex[:8]}@example.com"
    owner_with(address, "he")
    auth.request_link(address, CTX)
    link = smtp_sink.wait_for_link(address)
    message = parsed(smtp_sink.messages_to(address)[0])
    assert message["Subject"] == "קישור הכניסה שלך ל-PazPaz"
    body = message.get_content()
    assert body.startswith("שלום,") and "10 דקות" in body and link in body

    token = parse_qs(urlsplit(link).query)["token"][0]
    with TestClient(build_api(), base_url="http://localhost:3100") as http:
        # The reader's own language wins over the browser's.
        page = http.get(f"/auth/continue?token={token}", headers={"accept-language": "en-US"}).text
    assert '<html lang="he" dir="rtl">' in page
    assert "<h1>כניסה ל-PazPaz</h1>" in page and "קליניקה: <strong>קליניקת השקד</strong>" in page
    assert ">המשך</button>" in page


def test_an_unknown_link_page_follows_the_browser(app_env):
    with TestClient(build_api(), base_url="http://localhost:3100") as http:
        hebrew = http.get("/auth/continue?token=nope", headers={"accept-language": HEBREW_BROWSER}).text
        english = http.get("/auth/continue?token=nope", headers={"accept-language": "en-GB,en"}).text
    assert '<html lang="he" dir="rtl">' in hebrew and "כניסה ל-PazPaz" in hebrew
    assert '<html lang="en" dir="ltr">' in english and "Sign in to PazPaz" in english


def test_an_english_reader_keeps_english_mail(app_env, smtp_sink):
    address = f"eve-{uuid.uuid4().hex[:8]}@example.com"
    owner_with(address, "en", "Europe/Berlin")
    auth.request_link(address, CTX)
    smtp_sink.wait_for_link(address)
    assert parsed(smtp_sink.messages_to(address)[0])["Subject"] == "Your PazPaz sign-in link"


def test_the_language_setting_is_kept_on_the_user_row_and_audited(app_env):
    owner = owner_with(f"o-{uuid.uuid4().hex[:8]}@example.com", None)
    assert languages.set_user_language(owner, "he") == "he"
    assert stored_language(owner.user_id) == "he"
    identity = auth.SignedIn(session_id=uuid.uuid4(), user_id=owner.user_id, workspace_id=owner.workspace_id)
    assert auth.profile(identity).language == "he"
    # A later first-visit default never overrides a choice.
    languages.default_user_language(identity, "en")
    assert stored_language(owner.user_id) == "he"
    with pytest.raises(ValidationFailed) as refused:
        languages.set_user_language(owner, "fr")
    assert refused.value.errors == {"language": "Choose a language from the list."}
    with system_session() as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "user.language_set",
                                                     AuditEvent.user_id == owner.user_id)).all()
    assert [row.details for row in rows] == [{"language": "he", "source": "setting"}]


def test_practice_language_and_currency_are_the_owners_to_set(app_env):
    owner = owner_with(f"o-{uuid.uuid4().hex[:8]}@example.com", "he")
    assistant = make_assistant(owner)
    saved = languages.set_practice_locale(owner, "he", "ils")
    assert (saved.language, saved.currency) == ("he", "ILS")
    assert languages.practice_locale(assistant).currency == "ILS"  # everyone sees prices in it
    with pytest.raises(NotFound):
        languages.set_practice_locale(assistant, "en", "EUR")
    with pytest.raises(ValidationFailed) as refused:
        languages.set_practice_locale(owner, "xx", "ZZZ")
    assert set(refused.value.errors) == {"language", "currency"}
    # Prices are read and listed in the practice's currency.
    catalog.save_service(owner, ServiceInput("טיפול", "50", "280 ₪"))
    [service] = catalog.list_services(owner)
    assert (service.price_cents, service.currency, service.price) == (28000, "ILS", "280.00")
    with pytest.raises(ValidationFailed) as foreign:
        catalog.save_service(owner, ServiceInput("Massage", "50", "€80"))
    assert foreign.value.errors["price"] == "This practice's prices are in ILS."


def test_sign_up_from_a_hebrew_browser_makes_a_hebrew_shekel_practice(app_env, smtp_sink):
    address = f"new-{uuid.uuid4().hex[:8]}@example.com"
    auth.signup(practice_name="מרפאת הגפן", your_name="נועה", email=address, time_zone="Asia/Jerusalem",
                context=CTX, language="he")
    smtp_sink.wait_for_link(address)
    assert parsed(smtp_sink.messages_to(address)[0])["Subject"] == "קישור הכניסה שלך ל-PazPaz"
    with system_session() as session:
        workspace = session.exec(select(Workspace).where(Workspace.name == "מרפאת הגפן")).one()
        owner = session.exec(select(User).where(User.workspace_id == workspace.id)).one()
        assert (workspace.language, workspace.currency, owner.language) == ("he", "ILS", "he")


# ---- the tab: first visit from the browser's Accept-Language ------------------------------



async def tab_state(app, tab: str, cookie: str, accept_language: str) -> SessionState:
    async with app.state_manager.modify_state(rx.BaseStateToken(ident=tab, cls=rx.State)) as root:
        # What Reflex does with a connection's data before an event (its router vars included).
        data = {"token": tab, "ip": "192.0.2.1", "pathname": "/", "headers": {
            "user-agent": "pytest", "accept-language": accept_language,
            "cookie": f"{get_settings().session_cookie_name}={cookie}"}}
        root.router_data = root._update_router_vars(data, root.router_data)
        await binding.enforce(root)
        state = await root.get_state(SessionState)
        assert await state._identity() is not None
        return state


@pytest.mark.asyncio
async def test_the_first_visit_takes_the_browsers_language_and_keeps_it(app):
    owner = owner_with(f"o-{uuid.uuid4().hex[:8]}@example.com", None)
    with system_session() as session:
        cookie, _ = auth.open_session(session, session.get(User, owner.user_id), CTX, utcnow())

    state = await tab_state(app, "tab-he", cookie, HEBREW_BROWSER)
    assert (state.language, state.direction) == ("he", "rtl")
    assert state._t("Sign out") == "יציאה" and state.language_cookie == "he"
    assert stored_language(owner.user_id) == "he"  # kept for mails too

    # Another browser of the same person: the stored language wins.
    state = await tab_state(app, "tab-en", cookie, "en-US,en;q=0.9")
    assert state.language == "he"


@pytest.mark.asyncio
async def test_an_english_browser_keeps_english(app):
    owner = owner_with(f"o-{uuid.uuid4().hex[:8]}@example.com", None, "Europe/Berlin")
    with system_session() as session:
        cookie, _ = auth.open_session(session, session.get(User, owner.user_id), CTX, utcnow())
    state = await tab_state(app, "tab-1", cookie, "en-GB,en;q=0.9,he;q=0.5")
    assert (state.language, state.direction, state._t("Sign out")) == ("en", "ltr", "Sign out")
    assert stored_language(owner.user_id) == "en"


# ---- mails to clients go out in the practice's language -----------------------------------

def test_a_hebrew_practice_reminds_its_clients_in_hebrew(app_env, smtp_sink):
    now = datetime(2026, 6, 10, 10, 0, tzinfo=ZoneInfo("Asia/Jerusalem"))
    with clock.frozen(now):
        owner = owner_with(f"o-{uuid.uuid4().hex[:8]}@example.com", "he")
        languages.set_practice_locale(owner, "he", "ILS")
        address = f"client-{uuid.uuid4().hex[:8]}@example.com"
        client_id = clients.create_client(owner, ClientInput(first_name="מאיה", last_name="כהן", email=address))
        service_id = catalog.save_service(owner, ServiceInput("עיסוי", "60", "₪280"))
        clinic_id = catalog.save_location(owner, LocationInput("קליניקה", "clinic", address="הרצל 1"))
        reminders.save_settings(owner, ReminderSettings(enabled=True, offsets_minutes=(DAY,)))
        appointments.create_appointment(owner, AppointmentInput(
            client_id=str(client_id), start="2026-06-11T09:30", service_id=str(service_id),
            location_id=str(clinic_id)), override=True)
        assert [reminders.deliver(i) for i in reminders.claim_due()] == ["sent"]
    [message] = [parsed(m) for m in smtp_sink.messages_to(address)]
    assert " ".join(str(message["Subject"]).split()) == "תזכורת: עיסוי ביום ה׳ 11 יוני בשעה 09:30"
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("שלום מאיה,")
    assert "מתי: יום חמישי, 11 ביוני 2026, 09:30-10:30 (Asia/Jerusalem)" in text
    html = message.get_body(("html",)).get_content()
    assert '<div dir="rtl" lang="he">' in html
    # The Confirm link's page speaks the reminder's language too, whatever the browser says.
    confirm = text.split("אישור: ")[1].split()[0]
    with clock.frozen(now), TestClient(build_api(), base_url="http://localhost:3100") as http:
        page = http.get(urlsplit(confirm).path + "?" + urlsplit(confirm).query,
                        headers={"accept-language": "en-US"}).text
    assert '<html lang="he" dir="rtl">' in page and "<h1>אישור התור שלך</h1>" in page
    assert "יום חמישי, 11 ביוני 2026, 09:30-10:30" in page


def test_an_invitation_page_follows_the_invitees_browser(app_env, smtp_sink):
    from pazpaz.services import team

    owner = owner_with(f"o-{uuid.uuid4().hex[:8]}@example.com", "he")
    invitee = f"noa-{uuid.uuid4().hex[:8]}@example.com"
    team.invite_assistant(owner, invitee, "נועה")
    link = smtp_sink.wait_for_invitation(invitee)
    mail = parsed(smtp_sink.messages_to(invitee)[0])
    assert mail["Subject"] == "ההזמנה שלך ל-PazPaz"  # in the inviting owner's language
    assert mail.get_content().startswith("שלום נועה,")
    with TestClient(build_api(), base_url="http://localhost:3100") as http:
        hebrew = http.get(urlsplit(link).path + "?" + urlsplit(link).query,
                          headers={"accept-language": HEBREW_BROWSER}).text
        english = http.get(urlsplit(link).path + "?" + urlsplit(link).query,
                           headers={"accept-language": "en"}).text
    assert '<html lang="he" dir="rtl">' in hebrew and "<h1>הצטרפות אל קליניקת השקד</h1>" in hebrew
    assert '<html lang="en" dir="ltr">' in english and "<h1>Join קליניקת השקד</h1>" in english
