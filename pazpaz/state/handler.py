"""The one way a state handler reaches a service and shows what went wrong.

A handler is written straight through, with no error handling of its own:

    @rx.event
    @handler
    async def save(self, form_data: dict):
        actor = await self._actor()                  # no session: off to /signin?next=<this page>
        await self._call(clients.update_client, actor, ...)   # the service runs off the event loop
        self._notify("Saved.")  # shown by the shell (SessionState.notice)

`@handler` turns whatever the body raises into what the page shows, in the state vars named
by the state's `FAILURES` (a `Failures`, overridable per handler with `@handler(...)`):
- `SignInRequired` (from `_actor()`): a redirect to sign-in that comes back to this page;
- `ValidationFailed`: its field errors, plus a one-line summary;
- `NotFound`: the not-found flag, or the service's "... not found." message;
- any other `ServiceError`: its message (services write those for people);
- anything else: logged by exception type only (messages can carry PII), a generic message.
A handler still catches, itself, an error that means something particular to it
(a conflict to list, a stale note).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import reflex as rx
from reflex.istate.proxy import StateProxy

from pazpaz.i18n import N_, translate
from pazpaz.services.auth import signin_redirect
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed

log = logging.getLogger("pazpaz.state")

HANDLER_MARK = "_pazpaz_handler"
FAILED = N_("Something went wrong on our side. Please try again in a minute.")
INVALID = N_("Please correct the highlighted fields. Nothing was saved.")

F = TypeVar("F", bound=Callable[..., Any])


class SignInRequired(Exception):
    """The session behind this tab is gone (signed out, expired, revoked)."""


def page_id(value: object, missing: str) -> uuid.UUID:
    """An id sent by the page. A mangled one, or one of another type (a crafted websocket
    event), is simply a record that does not exist: `NotFound(missing)`."""
    if not isinstance(value, str):
        raise NotFound(missing)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(missing) from None


@dataclass(frozen=True)
class Failures:
    """Where a state shows a failed handler: the names of its vars, and its words."""

    message: str = "error"               # a str var for plain words
    fields: str | None = "field_errors"  # a dict var (field -> message); None: the summary only
    not_found: str | None = None         # a bool var set on NotFound; None: the message says it
    not_found_says: str | None = None    # words for NotFound instead of the service's own
    invalid: str | None = INVALID        # summary beside field errors; None: the errors joined
    failed: str = FAILED                 # for anything unexpected


def handler(fn: F | None = None, **overrides: Any) -> F | Callable[[F], F]:
    """Decorate an event handler (under `@rx.event`); see the module docstring."""
    if fn is None:
        return lambda f: _wrap(f, overrides)
    return _wrap(fn, overrides)


def _wrap(fn: F, overrides: dict[str, Any]) -> F:
    # Reflex treats coroutines, async generators and plain functions differently, so the
    # wrapper keeps the kind; functools.wraps keeps the signature Reflex checks calls against.
    if inspect.isasyncgenfunction(fn):
        @functools.wraps(fn)
        async def stream(self, *args, **kwargs):
            try:
                async for update in fn(self, *args, **kwargs):
                    yield update
            except SignInRequired:
                yield _to_signin(self)
            except Exception as error:
                await _show_async(self, fn, overrides, error)
        wrapped: Any = stream
    elif inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def call(self, *args, **kwargs):
            try:
                return await fn(self, *args, **kwargs)
            except SignInRequired:
                return _to_signin(self)
            except Exception as error:
                await _show_async(self, fn, overrides, error)
                return None
        wrapped = call
    else:
        @functools.wraps(fn)
        def plain(self, *args, **kwargs):
            try:
                return fn(self, *args, **kwargs)
            except Exception as error:
                show(self, fn.__name__, failures_of(self, overrides), error)
                return None
        wrapped = plain
    setattr(wrapped, HANDLER_MARK, True)
    return wrapped


def is_handler(fn: Any) -> bool:
    return bool(getattr(fn, HANDLER_MARK, False))


def failures_of(state: Any, overrides: dict[str, Any]) -> Failures:
    # state.__class__, not type(state): a background handler gets a proxy of the state.
    base = getattr(state.__class__, "FAILURES", None) or Failures()
    return dataclasses.replace(base, **overrides) if overrides else base


def _to_signin(state: Any):
    return rx.redirect(signin_redirect(state.router.url.path))


async def _show_async(state: Any, fn: Callable, overrides: dict[str, Any], error: Exception) -> None:
    # A background handler holds no lock between `async with self` blocks: take it to write.
    if isinstance(state, StateProxy) and not state._is_mutable():
        async with state:
            show(state, fn.__name__, failures_of(state, overrides), error)
        return
    show(state, fn.__name__, failures_of(state, overrides), error)


def show(state: Any, handler_name: str, failures: Failures, error: Exception) -> None:
    """Put one failure into the state's vars (the mapping in the module docstring), in the
    tab's language: services hand over msgids, translated here once."""
    if isinstance(error, ValidationFailed):
        if failures.fields:
            setattr(state, failures.fields, {field: _words(state, text) for field, text in error.errors.items()})
        summary = failures.invalid if failures.invalid is not None else "; ".join(
            _words(state, text) for text in error.errors.values())
        _say(state, failures, _words(state, summary))
    elif isinstance(error, NotFound):
        if failures.not_found:
            setattr(state, failures.not_found, True)
        else:
            _say(state, failures, _words(state, failures.not_found_says or error.message() or N_("Not found.")))
    elif isinstance(error, ServiceError):
        _say(state, failures, _words(state, error.message()))
    else:
        # The type only: driver, SMTP and decoding messages can carry names and addresses.
        log.error("%s.%s failed (%s)", state.__class__.__name__, handler_name, type(error).__name__)
        _say(state, failures, _words(state, failures.failed))


def _words(state: Any, text: str) -> str:
    return translate(getattr(state, "language", "en") or "en", text)


def _say(state: Any, failures: Failures, text: str) -> None:
    if failures.message:
        setattr(state, failures.message, text)


# Handlers run services in the event loop's default thread pool (`_call`). Python sizes it at
# cpus + 4 (6 on two cores): a few slow calls (an image waiting for a decode slot) would stall
# every practice's clicks, so the app gives it room; the database pool bounds real concurrency.
WORKER_THREADS = 32


async def use_worker_threads() -> None:
    """A Reflex lifespan task: the default executor every `_call` runs in."""
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="pazpaz-call"))
