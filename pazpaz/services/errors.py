"""Errors a service raises for the UI / API to show in plain words."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal with a message safe to show to the user (no PII, no internals)."""


class ValidationFailed(ServiceError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class NotFound(ServiceError):
    pass


class RateLimited(ServiceError):
    def __init__(self, retry_after_seconds: int) -> None:
        minutes = max(1, -(-retry_after_seconds // 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Too many attempts. Please try again in {minutes} {unit}.")
        self.retry_after_seconds = retry_after_seconds
