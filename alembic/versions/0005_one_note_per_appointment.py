"""one SOAP note per appointment, one plan of care per client

Revision ID: 0005
Revises: 0004

Before this revision, simultaneous "open the note" / "first edit of the plan" requests could
each insert a row. Existing duplicates are resolved only where nothing can be lost:
- notes: an extra note of an appointment that is an empty draft (no section text, no
  versions, no files, no goal tags) is deleted; the note kept is the oldest one with content
  (or the oldest, if all are empty);
- plans: the goals of an extra plan without a summary move to the plan kept (the oldest with
  a summary, or the oldest) and the extra plan is deleted. A goal's ciphertext is bound to
  the goal's own id, not its plan, so it still decrypts.
If duplicates with content exist (two notes with text for one appointment, two plans with a
summary for one client), the migration stops before changing anything, with a message naming
the rows: which clinical record belongs where is the practitioner's decision.
"""

import logging

import sqlalchemy as sa

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

_EMPTY_NOTE = """
    n.status = 'draft'
    AND n.subjective_enc IS NULL AND n.objective_enc IS NULL
    AND n.assessment_enc IS NULL AND n.plan_enc IS NULL
    AND NOT EXISTS (SELECT 1 FROM soap_note_versions v WHERE v.note_id = n.id)
    AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.note_id = n.id)
    AND NOT EXISTS (SELECT 1 FROM soap_note_goals g WHERE g.note_id = n.id)
"""

_RANKED_NOTES = f"""
    SELECT n.id, ({_EMPTY_NOTE}) AS empty,
           row_number() OVER (PARTITION BY n.appointment_id
                              ORDER BY ({_EMPTY_NOTE}), n.created_at, n.id) AS rank
    FROM soap_notes n
    WHERE n.appointment_id IS NOT NULL
"""

_RANKED_PLANS = """
    SELECT p.id, p.client_id, p.summary_enc IS NULL AS empty,
           first_value(p.id) OVER (PARTITION BY p.client_id
                                   ORDER BY p.summary_enc IS NULL, p.created_at, p.id) AS keeper,
           row_number() OVER (PARTITION BY p.client_id
                              ORDER BY p.summary_enc IS NULL, p.created_at, p.id) AS rank
    FROM plans_of_care p
"""


class DuplicateRecords(RuntimeError):
    pass


def _remove_empty_duplicate_notes(bind) -> int:
    return bind.execute(sa.text(
        f"DELETE FROM soap_notes WHERE id IN (SELECT id FROM ({_RANKED_NOTES}) r WHERE r.empty AND r.rank > 1)"
    )).rowcount


def _merge_empty_duplicate_plans(bind) -> int:
    bind.execute(sa.text(f"""
        UPDATE goals g SET plan_id = r.keeper
        FROM ({_RANKED_PLANS}) r
        WHERE g.plan_id = r.id AND r.empty AND r.rank > 1
    """))
    return bind.execute(sa.text(
        f"DELETE FROM plans_of_care WHERE id IN (SELECT id FROM ({_RANKED_PLANS}) r WHERE r.empty AND r.rank > 1)"
    )).rowcount


def _refuse_duplicates_with_content(bind) -> None:
    """Checked before anything is changed: the caller's transaction may be committed by the
    launcher even when this migration raises."""
    notes = bind.execute(sa.text(
        f"SELECT n.appointment_id, string_agg(n.id::text, ', ' ORDER BY n.created_at, n.id) FROM soap_notes n "
        f"JOIN ({_RANKED_NOTES}) r ON r.id = n.id WHERE NOT r.empty OR r.rank = 1 "
        f"GROUP BY n.appointment_id HAVING count(*) > 1"
    )).all()
    plans = bind.execute(sa.text(
        f"SELECT r.client_id, string_agg(r.id::text, ', ' ORDER BY r.id) FROM ({_RANKED_PLANS}) r "
        f"WHERE NOT r.empty OR r.rank = 1 GROUP BY r.client_id HAVING count(*) > 1"
    )).all()
    if not notes and not plans:
        return
    lines = ["Migration 0005 stopped; nothing was changed. These records are duplicated and each copy holds "
             "content, so PazPaz will not choose between them:"]
    lines += [f"- appointment {appointment}: SOAP notes {ids}" for appointment, ids in notes]
    lines += [f"- client {client}: plans of care {ids}" for client, ids in plans]
    lines.append("Notes: decide which note stays with the appointment and detach the others, which then stay on "
                 "the client's record: UPDATE soap_notes SET appointment_id = NULL WHERE id IN (...). "
                 "Plans: move the goals to the plan you keep (UPDATE goals SET plan_id = <kept> WHERE plan_id = "
                 "<other>) and delete the other plan; its summary is encrypted for its own row and can't be moved "
                 "in SQL, so copy it from the app first. Then start PazPaz again.")
    raise DuplicateRecords("\n".join(lines))


def upgrade() -> None:
    bind = op.get_bind()
    _refuse_duplicates_with_content(bind)
    removed_notes = _remove_empty_duplicate_notes(bind)
    merged_plans = _merge_empty_duplicate_plans(bind)
    if removed_notes or merged_plans:
        log.info("0005: removed %d empty duplicate note(s), merged %d empty duplicate plan(s)",
                 removed_notes, merged_plans)
    op.create_unique_constraint("uq_soap_notes_appointment", "soap_notes", ["appointment_id"])
    op.create_unique_constraint("uq_plans_of_care_client", "plans_of_care", ["client_id"])


def downgrade() -> None:
    op.drop_constraint("uq_plans_of_care_client", "plans_of_care", type_="unique")
    op.drop_constraint("uq_soap_notes_appointment", "soap_notes", type_="unique")
