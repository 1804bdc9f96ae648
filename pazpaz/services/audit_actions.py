"""What every audit action code means, in words an owner reads (services/audit_log.py).

One table for the whole code base: tests/unit/test_audit_actions.py fails when code records
an action that has no text here. A code missing here (an older row) still reads, from its name.
"""

from __future__ import annotations

from pazpaz import i18n
from pazpaz.i18n import N_

ACTIONS: dict[str, str] = {
    # Sign-in, sessions, two-step sign-in
    "auth.link_requested": N_("Asked for a sign-in link"),
    "auth.link_rate_limited": N_("Was refused a sign-in link (too many requests)"),
    "auth.signin_succeeded": N_("Signed in successfully"),
    "auth.signin_failed": N_("Failed to sign in"),
    "auth.signed_out": N_("Signed out"),
    "auth.session_expired": N_("Was signed out (session expired)"),
    "auth.second_step_started": N_("Passed the sign-in link, two-step code next"),
    "auth.second_step_refused": N_("Entered a wrong two-step code"),
    "auth.second_step_locked": N_("Was locked out after wrong two-step codes"),
    "auth.two_step_enabled": N_("Turned on two-step sign-in"),
    "auth.two_step_disabled": N_("Turned off two-step sign-in"),
    "auth.two_step_reset": N_("Reset someone's two-step sign-in"),
    "auth.backup_codes_regenerated": N_("Made new backup codes"),
    "session.listed": N_("Looked at their signed-in devices"),
    "session.revoked": N_("Signed out a device"),
    "session.revoked_others": N_("Signed out every other device"),
    # Practice and team
    "workspace.created": N_("Created the practice"),
    "workspace.reminder_settings_updated": N_("Changed the reminder settings"),
    "workspace.two_step_required": N_("Required two-step sign-in for everyone"),
    "workspace.two_step_optional": N_("Made two-step sign-in optional"),
    "workspace.locale_changed": N_("Changed the practice's mail language or currency"),
    "user.invited": N_("Invited an assistant"),
    "user.listed": N_("Looked at the team"),
    "user.deactivated": N_("Deactivated a user"),
    "user.reactivated": N_("Reactivated a user"),
    "user.agenda_settings_updated": N_("Changed their daily agenda mail"),
    "user.language_set": N_("Set their language"),
    "invitation.listed": N_("Looked at pending invitations"),
    "invitation.resent": N_("Resent an invitation"),
    "invitation.revoked": N_("Revoked an invitation"),
    "invitation.accepted": N_("Accepted an invitation"),
    "invitation.accept_refused": N_("Was refused joining (address already has an account)"),
    "invitation.rate_limited": N_("Was refused an invitation (too many sent)"),
    # Clients
    "client.created": N_("Added a client"),
    "client.imported": N_("Imported clients"),
    "client.read": N_("Opened a client"),
    "client.listed": N_("Looked at the client list"),
    "client.updated": N_("Edited a client"),
    "client.archived": N_("Archived a client"),
    "client.restored": N_("Restored a client"),
    "client.timeline_read": N_("Opened a client's timeline"),
    "client.reminders_opt_out": N_("Changed a client's reminder choice"),
    "client.legal_hold_set": N_("Set a legal hold on a client"),
    "client.legal_hold_lifted": N_("Lifted a client's legal hold"),
    "client.erased": N_("Erased a client"),
    "client.erased_again": N_("Erased a client again after a restore"),
    "client_response.seen": N_("Saw clients' cancellations"),
    # Schedule
    "appointment.created": N_("Booked an appointment"),
    "appointment.read": N_("Opened an appointment"),
    "appointment.listed": N_("Looked at the schedule"),
    "appointment.updated": N_("Changed an appointment"),
    "appointment.status_changed": N_("Changed an appointment's status"),
    "appointment.conflict_override": N_("Booked over a conflict"),
    "today.read": N_("Opened Today"),
    "reminder.sent": N_("Sent a reminder mail"),
    "reminder_link.viewed": N_("Opened a reminder link"),
    "agenda.sent": N_("Sent the daily agenda mail"),
    "calendar_feed.created": N_("Turned on their calendar feed"),
    "calendar_feed.regenerated": N_("Made a new calendar feed link"),
    "calendar_feed.revoked": N_("Turned off their calendar feed"),
    "calendar_feed.updated": N_("Changed their calendar feed"),
    "calendar_feed.read": N_("Calendar app read the feed"),
    "calendar_feed.refused": N_("Calendar feed read refused"),
    # Clinical records
    "soap_note.created": N_("Started a session note"),
    "soap_note.read": N_("Opened a session note"),
    "soap_note.listed": N_("Looked at a client's notes"),
    "soap_note.draft_saved": N_("Saved a note draft"),
    "soap_note.finalized": N_("Finalized a session note"),
    "soap_note.amended": N_("Amended a session note"),
    "soap_note.file_removed": N_("Removed a file from a finalized note"),
    "soap_note.goals_tagged": N_("Tagged goals on a note"),
    "plan_of_care.created": N_("Started a plan of care"),
    "plan_of_care.read": N_("Opened a plan of care"),
    "plan_of_care.updated": N_("Changed a plan of care"),
    "goal.created": N_("Added a goal"),
    "goal.updated": N_("Changed a goal"),
    "milestone.created": N_("Added a milestone"),
    "attachment.created": N_("Attached a file"),
    "attachment.listed": N_("Looked at files"),
    "attachment.read": N_("Opened a file"),
    "attachment.deleted": N_("Removed a file"),
    # Catalog
    "service.created": N_("Added a service"),
    "service.updated": N_("Changed a service"),
    "service.activated": N_("Turned a service back on"),
    "service.deactivated": N_("Turned a service off"),
    "location.created": N_("Added a location"),
    "location.updated": N_("Changed a location"),
    "location.activated": N_("Turned a location back on"),
    "location.deactivated": N_("Turned a location off"),
    # Data safety and tools
    "audit.listed": N_("Looked at the audit log"),
    "audit.exported": N_("Exported the audit log"),
    "export.requested": N_("Asked for an export"),
    "export.created": N_("Export was built"),
    "export.link_issued": N_("Got an export download link"),
    "export.downloaded": N_("Downloaded an export"),
    "backup.created": N_("Backup was made"),
    "backup.failed": N_("Backup failed"),
    "keys.rotation_started": N_("Started a key rotation"),
    "keys.rotation_finished": N_("Finished a key rotation"),
    "api_token.created": N_("Made an API token"),
    "api_token.listed": N_("Looked at API tokens"),
    "api_token.revoked": N_("Revoked an API token"),
}


def readable(action: str, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    """The owner's words for an action code in their language; an unknown (older) code reads from its name."""
    known = ACTIONS.get(action)
    if known:
        return i18n.translate(language, known)
    return action.replace(".", ": ", 1).replace("_", " ").capitalize()
