"""Every table, imported here so SQLModel.metadata (and Alembic) sees them all."""

from pazpaz.models.api_token import API_TOKEN_SCOPES, ApiToken
from pazpaz.models.appointment import ACTIVE_STATUSES, APPOINTMENT_STATUSES, Appointment
from pazpaz.models.attachment import Attachment
from pazpaz.models.audit import AuditEvent
from pazpaz.models.auth import AuthSession, MagicLinkToken
from pazpaz.models.calendar_feed import CalendarFeedToken
from pazpaz.models.catalog import LOCATION_KINDS, Location, Service
from pazpaz.models.client import Client
from pazpaz.models.exports import DataExport
from pazpaz.models.invitation import Invitation
from pazpaz.models.jobs import AgendaDelivery, ClientResponse, JobRun, ReminderDelivery
from pazpaz.models.plan_of_care import Goal, Milestone, PlanOfCare, SoapNoteGoal
from pazpaz.models.scoping import WorkspaceScoped
from pazpaz.models.soap_note import SoapNote, SoapNoteVersion
from pazpaz.models.two_factor import BackupCode, PendingSignIn
from pazpaz.models.user import USER_ROLES, User
from pazpaz.models.workspace import Workspace, WorkspaceKey

__all__ = [
    "ACTIVE_STATUSES",
    "API_TOKEN_SCOPES",
    "APPOINTMENT_STATUSES",
    "LOCATION_KINDS",
    "USER_ROLES",
    "AgendaDelivery",
    "ApiToken",
    "Appointment",
    "Attachment",
    "AuditEvent",
    "AuthSession",
    "BackupCode",
    "CalendarFeedToken",
    "Client",
    "ClientResponse",
    "DataExport",
    "Goal",
    "Invitation",
    "JobRun",
    "Location",
    "MagicLinkToken",
    "Milestone",
    "PendingSignIn",
    "PlanOfCare",
    "ReminderDelivery",
    "Service",
    "SoapNote",
    "SoapNoteGoal",
    "SoapNoteVersion",
    "User",
    "Workspace",
    "WorkspaceKey",
    "WorkspaceScoped",
]
