"""Every table, imported here so SQLModel.metadata (and Alembic) sees them all."""

from pazpaz.models.audit import AuditEvent
from pazpaz.models.auth import AuthSession, MagicLinkToken
from pazpaz.models.user import USER_ROLES, User
from pazpaz.models.workspace import Workspace, WorkspaceKey

__all__ = ["AuditEvent", "AuthSession", "MagicLinkToken", "USER_ROLES", "User", "Workspace", "WorkspaceKey"]
