"""Who reads which language, and the practice's currency (docs/ARCHITECTURE.md, "Translation layer").

A user's language is on their row (NULL until the first visit sets it from the browser's
Accept-Language); the practice's language is the one of mails to clients (reminders); the
practice's currency (ISO 4217) goes with every price.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.numbers import get_currency_name, list_currencies
from sqlalchemy import update
from sqlmodel import Session

from pazpaz import i18n
from pazpaz.i18n import N_
from pazpaz.models.user import User
from pazpaz.models.workspace import Workspace
from pazpaz.services import audit
from pazpaz.services.audit import RequestContext
from pazpaz.services.auth import SignedIn
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.services.formatting import babel_locale
from pazpaz.services.scope import Actor, system_session, workspace_session

# Offered first in the currency list; any ISO 4217 code Babel knows is accepted.
COMMON_CURRENCIES = ("ILS", "EUR", "USD", "GBP")


@dataclass(frozen=True)
class PracticeLocale:
    language: str
    currency: str


def currencies() -> list[str]:
    rest = sorted(code for code in list_currencies() if code not in COMMON_CURRENCIES and len(code) == 3)
    return [*COMMON_CURRENCIES, *rest]


def currency_choices(language: str) -> list[tuple[str, str]]:
    """(code, "ILS · Israeli New Shekel") in `language`, in the order of currencies(); the code
    alone where the locale has no name for it (old or technical codes)."""
    locale = babel_locale(language)
    named = ((code, get_currency_name(code, locale=locale)) for code in currencies())
    return [(code, code if name == code else f"{code} \u00b7 {name}") for code, name in named]


def _check_language(language: str) -> str:
    if language not in i18n.LANGUAGES:
        raise ValidationFailed({"language": N_("Choose a language from the list.")})
    return language


def _check_currency(currency: str) -> str:
    code = (currency or "").strip().upper()
    if len(code) != 3 or code not in list_currencies():
        raise ValidationFailed({"currency": N_("Choose a currency from the list.")})
    return code


def user_language(user: User) -> str:
    """The language of everything PazPaz writes to this user (pages and mails)."""
    return i18n.supported(user.language)


def default_user_language(identity: SignedIn, language: str, context: RequestContext | None = None) -> None:
    """The first visit: keep the browser's language unless the user already chose one (atomic)."""
    language = i18n.supported(language)
    with system_session() as session:
        changed = session.execute(
            update(User).where(User.id == identity.user_id, User.language.is_(None)).values(language=language)
        ).rowcount
        if changed:
            audit.record(session, "user.language_set", workspace_id=identity.workspace_id,
                         user_id=identity.user_id, entity_type="user", entity_id=identity.user_id,
                         context=context, details={"language": language, "source": "browser"})


def set_user_language(actor: Actor, language: str) -> str:
    language = _check_language(language)
    with workspace_session(actor) as session:
        user = session.get(User, actor.user_id)
        if user is None:
            raise NotFound(N_("Not found."))
        user.language = language
        audit.record(session, "user.language_set", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="user", entity_id=actor.user_id, context=actor.context,
                     details={"language": language, "source": "setting"})
    return language


def practice_locale(actor: Actor) -> PracticeLocale:
    with workspace_session(actor) as session:
        return _practice_locale(session, actor)


def _practice_locale(session: Session, actor: Actor) -> PracticeLocale:
    workspace = session.get(Workspace, actor.workspace_id)
    if workspace is None:
        raise NotFound(N_("Not found."))
    return PracticeLocale(language=workspace.language, currency=workspace.currency)


def set_practice_locale(actor: Actor, language: str, currency: str) -> PracticeLocale:
    """The practice's language for mails to clients and its currency (owner only)."""
    actor.require_owner()
    errors: dict[str, str] = {}
    for field, check, value in (("language", _check_language, language), ("currency", _check_currency, currency)):
        try:
            check(value)
        except ValidationFailed as failed:
            errors[field] = failed.errors[field]
    if errors:
        raise ValidationFailed(errors)
    with workspace_session(actor) as session:
        workspace = session.get(Workspace, actor.workspace_id)
        if workspace is None:
            raise NotFound(N_("Not found."))
        workspace.language = language
        workspace.currency = _check_currency(currency)
        audit.record(session, "workspace.locale_changed", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="workspace", entity_id=actor.workspace_id, context=actor.context,
                     details={"language": language, "currency": workspace.currency})
        return PracticeLocale(language=workspace.language, currency=workspace.currency)
