"""Erasing a client (GDPR art. 17), and keeping them erased across restores.

Owner only, with the client's full name typed as confirmation and a reason from a fixed
list (free text could hold personal data; the audit row keeps ids and the reason's code).
Refused while a legal hold is set. Removes the client's row, appointments (and their reminder
and answer rows), notes with every version, goal tags, plan of care with goals and
milestones, attachment rows and their S3 objects. Audit rows stay: they hold ids only.

The client's id is then appended to the erasure list kept next to the secrets
(services/erasure_list.py); restore erases every listed client again (erase_again).
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import delete, or_
from sqlmodel import Session, select

from pazpaz.i18n import N_
from pazpaz.models import (
    Appointment,
    Attachment,
    Client,
    ClientResponse,
    Goal,
    Milestone,
    PlanOfCare,
    ReminderDelivery,
    SoapNote,
    SoapNoteGoal,
    SoapNoteVersion,
)
from pazpaz.models.base import utcnow
from pazpaz.services import audit, crypto, erasure_list
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.scope import Actor, workspace_session
from pazpaz.settings import get_settings

log = logging.getLogger("pazpaz.erasure")

REASONS: dict[str, str] = {
    "client_request": N_("The client asked for erasure (GDPR article 17)"),
    "created_by_mistake": N_("Created by mistake / duplicate"),
    "retention_ended": N_("The legal retention period has ended"),
    "other": N_("Other"),
}
RETENTION_NOTICE = N_("Clinical records may have a legal retention period (often several years after the last "
                      "treatment). Erase only when no law requires you to keep them; erasure can't be undone, "
                      "and restoring an older backup will not bring the client back.")


def _client(session: Session, client_id: uuid.UUID) -> Client:
    row = session.exec(select(Client).where(Client.id == client_id)).first()
    if row is None:
        raise NotFound(N_("Client not found."))
    return row


def set_legal_hold(actor: Actor, client_id: uuid.UUID, reason: str | None) -> None:
    """A reason sets the hold (kept encrypted: it may name a court case); None lifts it."""
    actor.require_owner()
    reason = (reason or "").strip() or None
    with workspace_session(actor) as session:
        row = _client(session, client_id)
        row.legal_hold = reason is not None
        crypto.seal(session, row, "legal_hold_reason_enc", reason)
        audit.record(session, "client.legal_hold_set" if reason else "client.legal_hold_lifted",
                     workspace_id=actor.workspace_id, user_id=actor.user_id, entity_type="client",
                     entity_id=client_id, context=actor.context)


def legal_hold(actor: Actor, client_id: uuid.UUID) -> str | None:
    actor.require_owner()
    with workspace_session(actor) as session:
        row = _client(session, client_id)
        return (crypto.unseal(session, row, "legal_hold_reason_enc") or "") if row.legal_hold else None


def _delete_rows(session: Session, client_id: uuid.UUID) -> tuple[list[str], dict[str, int]]:
    """Delete every row of one client (the session's scope adds the workspace); returns the S3
    keys to remove after commit and counts per table (ids and numbers only)."""
    attachments = session.exec(select(Attachment.s3_key, Attachment.content_type)
                               .where(Attachment.client_id == client_id)).all()
    keys = [key for key, _ in attachments] + [key + ".thumb" for key, kind in attachments if kind.startswith("image/")]
    notes = select(SoapNote.id).where(SoapNote.client_id == client_id)
    appointments = select(Appointment.id).where(Appointment.client_id == client_id)
    plans = select(PlanOfCare.id).where(PlanOfCare.client_id == client_id)
    goals = select(Goal.id).where(Goal.plan_id.in_(plans))
    counts: dict[str, int] = {}
    for name, statement in (
        ("attachments", delete(Attachment).where(Attachment.client_id == client_id)),
        ("soap_note_goals", delete(SoapNoteGoal).where(or_(SoapNoteGoal.note_id.in_(notes),
                                                           SoapNoteGoal.goal_id.in_(goals)))),
        ("soap_note_versions", delete(SoapNoteVersion).where(SoapNoteVersion.note_id.in_(notes))),
        ("soap_notes", delete(SoapNote).where(SoapNote.client_id == client_id)),
        ("milestones", delete(Milestone).where(Milestone.goal_id.in_(goals))),
        ("goals", delete(Goal).where(Goal.plan_id.in_(plans))),
        ("plans_of_care", delete(PlanOfCare).where(PlanOfCare.client_id == client_id)),
        ("reminder_deliveries", delete(ReminderDelivery).where(ReminderDelivery.appointment_id.in_(appointments))),
        ("client_responses", delete(ClientResponse).where(ClientResponse.appointment_id.in_(appointments))),
        ("appointments", delete(Appointment).where(Appointment.client_id == client_id)),
    ):
        counts[name] = session.exec(statement).rowcount or 0  # type: ignore[call-overload]
    from pazpaz.services.exports import remove_for_client

    counts["data_exports"] = remove_for_client(session, client_id)
    counts["clients"] = session.exec(delete(Client).where(Client.id == client_id)).rowcount or 0  # type: ignore[call-overload]
    return keys, counts


def _remove_objects(keys: list[str]) -> None:
    from pazpaz.services.attachments import _remove_objects as remove

    if keys:
        remove(keys)


def erase_client(actor: Actor, client_id: uuid.UUID, typed_name: str, reason: str) -> dict[str, int]:
    """Erase one client for good. Returns counts of removed rows per table."""
    actor.require_owner()
    if reason not in REASONS:
        raise ValidationFailed({"reason": N_("Choose a reason for the erasure.")})
    with workspace_session(actor) as session:
        row = session.exec(select(Client).where(Client.id == client_id).with_for_update()).first()
        if row is None:
            raise NotFound(N_("Client not found."))
        if row.legal_hold:
            raise ServiceError(N_("This client is under a legal hold: lift the hold before erasing."))
        name = f"{crypto.unseal(session, row, 'first_name_enc')} {crypto.unseal(session, row, 'last_name_enc')}"
        if " ".join(typed_name.split()).casefold() != " ".join(name.split()).casefold():
            raise ValidationFailed({"confirm": N_("Type the client's full name exactly to confirm.")})
        keys, counts = _delete_rows(session, client_id)
        audit.record(session, "client.erased", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="client", entity_id=client_id, context=actor.context,
                     details={"reason": reason, "rows": counts, "objects": len(keys)})
    # After commit: the list first (a crash between the two leaves an orphan object, which the
    # sweeper removes; never a listed client whose rows came back).
    erasure_list.add(get_settings().data_dir, actor.workspace_id, client_id, utcnow())
    _remove_objects(keys)
    log.info("client erased (workspace %s, client %s, %d objects)", actor.workspace_id, client_id, len(keys))
    return counts


def erase_again(erasures: list[erasure_list.Erasure]) -> int:
    """After a restore: erase every listed client the restored data still holds (an older
    backup). Returns how many were found and erased."""
    from pazpaz.db import transaction
    from pazpaz.services.scope import WORKSPACE_KEY

    done = 0
    for item in erasures:
        with transaction() as session:
            session.info[WORKSPACE_KEY] = item.workspace_id  # scoped to the listed workspace
            if session.exec(select(Client.id).where(Client.id == item.client_id)).first() is None:
                continue
            keys, counts = _delete_rows(session, item.client_id)
            audit.record(session, "client.erased_again", workspace_id=item.workspace_id, entity_type="client",
                         entity_id=item.client_id, details={"rows": counts, "objects": len(keys), "by": "restore"})
        _remove_objects(keys)
        erasure_list.add(get_settings().data_dir, item.workspace_id, item.client_id, utcnow())
        done += 1
    return done
