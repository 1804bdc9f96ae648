"""attachments.body_encrypted: rows whose objects are known to be app-encrypted

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 03:10:00
"""

import sqlalchemy as sa

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows stored before this revision may point at objects written in clear (until
    # `python -m pazpaz.cli encrypt-files` has run): false for them, true for every new row.
    op.add_column('attachments', sa.Column('body_encrypted', sa.Boolean(), nullable=False,
                                           server_default=sa.false()))
    op.alter_column('attachments', 'body_encrypted', server_default=sa.true())


def downgrade() -> None:
    op.drop_column('attachments', 'body_encrypted')
