"""Errors a service raises for the UI / API to show in plain words."""

from __future__ import annotations

from pazpaz.i18n import nmsg


class ServiceError(Exception):
    """A refusal with a message safe to show to the user (no PII, no internals).

    The message is an English msgid (or an i18n.Msg): the boundary that knows the reader
    translates it once (`message()`), services never do."""

    def message(self) -> str:
        """The msgid or Msg given to the constructor (str(error) is the English text)."""
        return self.args[0] if self.args and isinstance(self.args[0], str) else str(self)


class ValidationFailed(ServiceError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class NotFound(ServiceError):
    pass


class RateLimited(ServiceError):
    def __init__(self, retry_after_seconds: int) -> None:
        minutes = max(1, -(-retry_after_seconds // 60))
        super().__init__(nmsg("Too many attempts. Please try again in {count} minute.",
                              "Too many attempts. Please try again in {count} minutes.", minutes))
        self.retry_after_seconds = retry_after_seconds
