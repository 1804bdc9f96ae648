"""soap_note_versions.removed_attachment_id: a version that records a file removed from a
finalized note (same text as the version before it, the reason in amendment_reason_enc)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 08:00:00
"""

import sqlalchemy as sa

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No foreign key: the attachment row is soft-deleted, and erasure removes attachments and
    # versions of a client in one transaction in its own order.
    op.add_column('soap_note_versions', sa.Column('removed_attachment_id', sa.Uuid(), nullable=True))


def downgrade() -> None:
    op.drop_column('soap_note_versions', 'removed_attachment_id')
