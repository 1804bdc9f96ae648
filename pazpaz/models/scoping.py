"""Marker for tables that hold practice data: each row belongs to exactly one workspace."""

from __future__ import annotations


class WorkspaceScoped:
    """Tables inheriting this are filtered to the session's workspace by the choke point
    in pazpaz/services/scope.py; querying them without a workspace context raises."""
