"""The one choke point for workspace scoping (DESIGN.md "Workspace scoping").

Every ORM statement that touches a WorkspaceScoped table gets
`WHERE workspace_id = <the session's workspace>` added here; a session without a
workspace context that touches one raises. Writes are checked at flush: a row of
another workspace can't be inserted, changed or deleted through a scoped session.

Only sign-in, session checks and maintenance commands open a `system_session`,
which is explicit and greppable.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Row, Select, bindparam, event
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlmodel import Session

import pazpaz.models  # noqa: F401  (every scoped table is registered before scoped_models() caches)
from pazpaz.db import get_read_engine, transaction
from pazpaz.i18n import N_
from pazpaz.models.audit import AuditEvent
from pazpaz.models.scoping import WorkspaceScoped
from pazpaz.services.audit import RequestContext
from pazpaz.services.errors import NotFound

WORKSPACE_KEY = "pazpaz_workspace_id"
SYSTEM_KEY = "pazpaz_system"
READ_KEY = "pazpaz_read_only"
# The bound parameter every SELECT's workspace criteria reads; _scope_statement sets it from
# the session on every execution, overriding anything a caller passed under this name.
SCOPE_PARAM = "pazpaz_scope_workspace_id"


class ScopeViolation(RuntimeError):
    """Code tried to reach practice data without (or outside) its workspace context."""


@dataclass(frozen=True)
class Actor:
    """Who is acting, derived server-side from the session cookie (never from the client)."""

    workspace_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    context: RequestContext = RequestContext()  # noqa: RUF009 (frozen, so one shared default is safe)
    # The session acting (None outside a browser session: the command line, jobs): "sign out
    # everywhere else" and second-factor changes keep this one.
    session_id: uuid.UUID | None = None

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    def require_owner(self) -> None:
        """Owner-only data (clinical content, team, catalog, audit): anyone else gets the
        same "not found" as for a missing record, so nothing is learned from the refusal."""
        if not self.is_owner:
            raise NotFound(N_("Not found."))


@contextmanager
def workspace_session(actor: Actor) -> Iterator[Session]:
    with transaction() as session:
        session.info[WORKSPACE_KEY] = actor.workspace_id
        yield session


@contextmanager
def read_session(actor: Actor) -> Iterator[Session]:
    """A workspace session for a read whose only write is its audit row. Each statement
    commits on its own (autocommit: no BEGIN/COMMIT round trips), with synchronous_commit=off
    unless PAZPAZ_DURABLE_READ_AUDIT=1 (docs/ARCHITECTURE.md "Read path"). The audit
    row is still written before the caller gets the data. Any other write through it raises,
    so a write can never lose its atomicity or durability by coming through here."""
    with transaction(get_read_engine()) as session:
        session.info[WORKSPACE_KEY] = actor.workspace_id
        session.info[READ_KEY] = True
        yield session


@contextmanager
def system_session() -> Iterator[Session]:
    """Cross-workspace access for sign-in, session checks and maintenance only."""
    with transaction() as session:
        session.info[SYSTEM_KEY] = True
        yield session


@contextmanager
def system_read_session() -> Iterator[Session]:
    """system_session for a lookup that writes nothing (an API token's check): autocommit, so a
    one-statement read is one round trip; a write through it raises (as in read_session)."""
    with transaction(get_read_engine()) as session:
        session.info[SYSTEM_KEY] = True
        session.info[READ_KEY] = True
        yield session


def system_read_row(statement: Select, params: dict) -> Row | None:
    """The first row of a system lookup by one Core SELECT, without an ORM session: the session
    check that runs before every websocket event (auth._validate_read_only), where creating and
    closing an ORM session cost three times the statement itself (docs/ARCHITECTURE.md "Read
    path"). Autocommit on the read pool; anything but a SELECT is refused (no ORM hook guards
    this path, and psycopg ignores a read-only flag in autocommit)."""
    if not getattr(statement, "is_select", False):
        raise ScopeViolation("system_read_row runs SELECT statements only.")
    with get_read_engine().connect() as connection:
        return connection.execute(statement, params).first()


@lru_cache(maxsize=1)
def scoped_models() -> tuple[type, ...]:
    return tuple(cls for cls in WorkspaceScoped.__subclasses__() if hasattr(cls, "__table__"))


def _check_insert(state: ORMExecuteState) -> None:
    """An ORM INSERT statement (insert-on-conflict: one note per appointment, one plan per
    client) skips the flush, so the before_flush check below never sees it: check it here."""
    session = state.session
    if session.info.get(SYSTEM_KEY):
        return
    if not any(issubclass(mapper.class_, WorkspaceScoped) for mapper in state.all_mappers):
        return
    workspace_id = session.info.get(WORKSPACE_KEY)
    if workspace_id is None:
        raise ScopeViolation("A workspace row was inserted without a workspace context.")
    rows = state.parameters if isinstance(state.parameters, list) else [state.parameters or {}]
    # `insert(Model).values(...)` keeps its values as bound parameters on the statement.
    values = {getattr(column, "key", column): getattr(bound, "value", bound)
              for column, bound in (getattr(state.statement, "_values", None) or {}).items()}
    if any({**values, **row}.get("workspace_id") != workspace_id for row in rows):
        raise ScopeViolation("A row of another workspace was inserted through a scoped session.")


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    if state.session.info.get(READ_KEY):
        _check_read_only(state)
    if state.is_insert:
        _check_insert(state)
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    session = state.session
    if session.info.get(SYSTEM_KEY):
        return
    workspace_id = session.info.get(WORKSPACE_KEY)
    if workspace_id is None:
        # Every ORM query needs a context: counting a scoped table through select_from()
        # names no mapper, so "does it touch a scoped table" can't be the test.
        raise ScopeViolation("A query ran without a workspace context (use workspace_session or system_session).")
    if not state.is_select:
        # UPDATE/DELETE keep literal criteria: the ORM evaluates them in Python to sync the
        # session's objects, and an unset bound parameter would evaluate as NULL there.
        state.statement = state.statement.options(*_workspace_criteria(workspace_id))
        return
    criteria = _select_criteria()
    if criteria[0] not in state.statement._with_options:  # already there: see scoped()
        state.statement = state.statement.options(*criteria)
    parameters = state.parameters
    if isinstance(parameters, list):  # executemany SELECT doesn't exist; refuse rather than guess
        raise ScopeViolation("A scoped SELECT ran with several parameter sets.")
    state.parameters = {**(parameters or {}), SCOPE_PARAM: workspace_id}


def scoped(statement):
    """statement with the workspace criteria already attached, for a statement built once
    and executed many times: SQLAlchemy then reuses its memoised cache key instead of
    re-deriving it for a fresh copy on every execution. The workspace is still the session's,
    bound at execution by _scope_statement."""
    return statement.options(*_select_criteria())


@lru_cache(maxsize=1)
def _select_criteria() -> tuple:
    """One criterion per scoped table, all reading the SCOPE_PARAM parameter: SQLAlchemy
    applies those whose table the statement reads (selected or joined) and ignores the rest.
    Built once for every workspace (building 17 for each new workspace cost about a
    millisecond, more than a short query takes)."""
    return tuple(
        with_loader_criteria(model, model.workspace_id == bindparam(SCOPE_PARAM, required=True),
                             include_aliases=True)
        for model in scoped_models()
    )


@lru_cache(maxsize=4096)
def _workspace_criteria(workspace_id: uuid.UUID) -> tuple:
    """The literal form of the criteria, for UPDATE and DELETE statements (rare)."""
    return tuple(
        # A plain expression (not a lambda): its bound value is extracted like any other
        # parameter, so SQLAlchemy's compiled-statement cache still hits.
        with_loader_criteria(model, model.workspace_id == workspace_id, include_aliases=True)
        for model in scoped_models()
    )


def _check_read_only(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or (
            state.is_insert and any(mapper.class_ is not AuditEvent for mapper in state.all_mappers)):
        raise ScopeViolation("A read session only writes audit rows; use workspace_session to write.")


@event.listens_for(Session, "before_flush")
def _check_writes(session: Session, flush_context, instances) -> None:
    if session.info.get(READ_KEY) and (session.dirty or session.deleted
                                       or any(not isinstance(obj, AuditEvent) for obj in session.new)):
        raise ScopeViolation("A read session only writes audit rows; use workspace_session to write.")
    if session.info.get(SYSTEM_KEY):
        return
    workspace_id = session.info.get(WORKSPACE_KEY)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, WorkspaceScoped):
            continue
        if workspace_id is None:
            raise ScopeViolation("A workspace row was written without a workspace context.")
        if getattr(obj, "workspace_id", None) != workspace_id:
            raise ScopeViolation("A row of another workspace was written through a scoped session.")
