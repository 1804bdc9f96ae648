"""What every audit action code means, in words an owner reads (services/audit_log.py).

One table for the whole code base: tests/unit/test_audit_actions.py fails when code records
an action that has no text here. A code missing here (an older row) still reads, from its name.
"""

from __future__ import annotations

ACTIONS: dict[str, str] = {
    # Sign-in, sessions, two-step sign-in
    "auth.link_requested": "Asked for a sign-in link",
    "auth.link_rate_limited": "Was refused a sign-in link (too many requests)",
    "auth.signin_succeeded": "Signed in",
    "auth.signin_failed": "Failed to sign in",
    "auth.signed_out": "Signed out",
    "auth.session_expired": "Was signed out (session expired)",
    "auth.second_step_started": "Passed the sign-in link, two-step code next",
    "auth.second_step_refused": "Entered a wrong two-step code",
    "auth.second_step_locked": "Was locked out after wrong two-step codes",
    "auth.two_step_enabled": "Turned on two-step sign-in",
    "auth.two_step_disabled": "Turned off two-step sign-in",
    "auth.two_step_reset": "Reset someone's two-step sign-in",
    "auth.backup_codes_regenerated": "Made new backup codes",
    "session.listed": "Looked at their signed-in devices",
    "session.revoked": "Signed out a device",
    "session.revoked_others": "Signed out every other device",
    # Practice and team
    "workspace.created": "Created the practice",
    "workspace.reminder_settings_updated": "Changed the reminder settings",
    "workspace.two_step_required": "Required two-step sign-in for everyone",
    "workspace.two_step_optional": "Made two-step sign-in optional",
    "workspace.locale_changed": "Changed the practice's mail language or currency",
    "user.invited": "Invited an assistant",
    "user.listed": "Looked at the team",
    "user.deactivated": "Deactivated a user",
    "user.reactivated": "Reactivated a user",
    "user.agenda_settings_updated": "Changed their daily agenda mail",
    "user.language_set": "Set their language",
    "invitation.listed": "Looked at pending invitations",
    "invitation.resent": "Resent an invitation",
    "invitation.revoked": "Revoked an invitation",
    "invitation.accepted": "Accepted an invitation",
    "invitation.accept_refused": "Was refused joining (address already has an account)",
    "invitation.rate_limited": "Was refused an invitation (too many sent)",
    # Clients
    "client.created": "Added a client",
    "client.imported": "Imported clients",
    "client.read": "Opened a client",
    "client.listed": "Looked at the client list",
    "client.updated": "Edited a client",
    "client.archived": "Archived a client",
    "client.restored": "Restored a client",
    "client.timeline_read": "Opened a client's timeline",
    "client.reminders_opt_out": "Changed a client's reminder choice",
    "client.legal_hold_set": "Set a legal hold on a client",
    "client.legal_hold_lifted": "Lifted a client's legal hold",
    "client.erased": "Erased a client",
    "client.erased_again": "Erased a client again after a restore",
    "client_response.seen": "Saw clients' cancellations",
    # Schedule
    "appointment.created": "Booked an appointment",
    "appointment.read": "Opened an appointment",
    "appointment.listed": "Looked at the schedule",
    "appointment.updated": "Changed an appointment",
    "appointment.status_changed": "Changed an appointment's status",
    "appointment.conflict_override": "Booked over a conflict",
    "today.read": "Opened Today",
    "reminder.sent": "Sent a reminder mail",
    "reminder_link.viewed": "Opened a reminder link",
    "agenda.sent": "Sent the daily agenda mail",
    "calendar_feed.created": "Turned on their calendar feed",
    "calendar_feed.regenerated": "Made a new calendar feed link",
    "calendar_feed.revoked": "Turned off their calendar feed",
    "calendar_feed.updated": "Changed their calendar feed",
    "calendar_feed.read": "Calendar app read the feed",
    "calendar_feed.refused": "Calendar feed read refused",
    # Clinical records
    "soap_note.created": "Started a session note",
    "soap_note.read": "Opened a session note",
    "soap_note.listed": "Looked at a client's notes",
    "soap_note.draft_saved": "Saved a note draft",
    "soap_note.finalized": "Finalized a session note",
    "soap_note.amended": "Amended a session note",
    "soap_note.file_removed": "Removed a file from a finalized note",
    "soap_note.goals_tagged": "Tagged goals on a note",
    "plan_of_care.created": "Started a plan of care",
    "plan_of_care.read": "Opened a plan of care",
    "plan_of_care.updated": "Changed a plan of care",
    "goal.created": "Added a goal",
    "goal.updated": "Changed a goal",
    "milestone.created": "Added a milestone",
    "attachment.created": "Attached a file",
    "attachment.listed": "Looked at files",
    "attachment.read": "Opened a file",
    "attachment.deleted": "Removed a file",
    # Catalog
    "service.created": "Added a service",
    "service.updated": "Changed a service",
    "service.activated": "Turned a service back on",
    "service.deactivated": "Turned a service off",
    "location.created": "Added a location",
    "location.updated": "Changed a location",
    "location.activated": "Turned a location back on",
    "location.deactivated": "Turned a location off",
    # Data safety and tools
    "audit.listed": "Looked at the audit log",
    "audit.exported": "Exported the audit log",
    "export.requested": "Asked for an export",
    "export.created": "Export was built",
    "export.link_issued": "Got an export download link",
    "export.downloaded": "Downloaded an export",
    "backup.created": "Backup was made",
    "backup.failed": "Backup failed",
    "keys.rotation_started": "Started a key rotation",
    "keys.rotation_finished": "Finished a key rotation",
    "api_token.created": "Made an API token",
    "api_token.listed": "Looked at API tokens",
    "api_token.revoked": "Revoked an API token",
}


def readable(action: str) -> str:
    """The owner's words for an action code; an unknown (older) code reads from its name."""
    known = ACTIONS.get(action)
    if known:
        return known
    return action.replace(".", ": ", 1).replace("_", " ").capitalize()
