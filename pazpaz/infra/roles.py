"""Database roles: the app runs as a role that owns nothing and is no superuser.

Migrations run as the owner role (embedded: `postgres`; external: DATABASE_MIGRATION_URL).
After every migration run the launcher re-applies the app role's grants (apply_grants), so
tables added by later migrations are covered without ALTER DEFAULT PRIVILEGES. The audit
table grants INSERT and SELECT only: with no UPDATE / DELETE / TRUNCATE privilege and no
superuser power (`SET session_replication_role` needs it), nothing the app's connection
can do gets around the append-only trigger.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

APP_ROLE = "pazpaz_app"
APPEND_ONLY_TABLES = ("audit_events",)
READ_ONLY_TABLES = ("alembic_version",)


def role_of(database_url: str) -> str | None:
    """The user name a database URL connects as."""
    return make_url(database_url).username


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def ensure_app_role(connection: Connection, role: str = APP_ROLE) -> None:
    """Create the app role if missing and (re)assert that it has no special powers.

    Needs a role allowed to CREATE ROLE (the embedded server's superuser). No password:
    the embedded server only listens on a unix socket inside its own 0700 directory."""
    exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    verb = "ALTER" if exists else "CREATE"
    connection.execute(text(f"{verb} ROLE {_quote(connection, role)} LOGIN NOSUPERUSER NOBYPASSRLS "
                            "NOCREATEDB NOCREATEROLE NOREPLICATION"))


def apply_grants(connection: Connection, role: str, schema: str = "public") -> None:
    """Grant the app role what it needs on every table and sequence, and nothing more."""
    r, s = _quote(connection, role), _quote(connection, schema)
    statements = [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        # The job runner's (procrastinate) functions; PUBLIC has EXECUTE by default, but a
        # hardened server may have revoked it.
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {s} TO {r}",
    ]
    existing = set(connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}).scalars())
    for table in APPEND_ONLY_TABLES:
        if table in existing:
            statements.append(f"REVOKE UPDATE, DELETE ON {s}.{_quote(connection, table)} FROM {r}")
    for table in READ_ONLY_TABLES:
        if table in existing:
            statements.append(f"REVOKE INSERT, UPDATE, DELETE ON {s}.{_quote(connection, table)} FROM {r}")
    for statement in statements:
        connection.execute(text(statement))


@dataclass(frozen=True)
class RoleCheck:
    role: str
    superuser: bool
    bypass_rls: bool
    owned_tables: int
    # Before PostgreSQL 15 every role (PUBLIC) may create objects in schema public, which
    # a REVOKE from our role alone does not take away.
    can_create_in_public: bool = False

    @property
    def problems(self) -> list[str]:
        found = []
        if self.superuser:
            found.append("is a superuser")
        if self.bypass_rls:
            found.append("can bypass row-level security")
        if self.owned_tables:
            found.append(f"owns {self.owned_tables} table(s)")
        if self.can_create_in_public:
            found.append("can create objects in schema public (REVOKE CREATE ON SCHEMA public FROM PUBLIC)")
        return found


def check_app_role(connection: Connection) -> RoleCheck:
    """What the connection's own role is allowed to do (run on the app's connection)."""
    row = connection.execute(text(
        "SELECT current_user, r.rolsuper, r.rolbypassrls, "
        "(SELECT count(*) FROM pg_tables t WHERE t.tableowner = current_user AND t.schemaname = 'public'), "
        "has_schema_privilege(current_user, 'public', 'CREATE') "
        "FROM pg_roles r WHERE r.rolname = current_user")).one()
    return RoleCheck(role=row[0], superuser=row[1], bypass_rls=row[2], owned_tables=int(row[3]),
                     can_create_in_public=bool(row[4]))
