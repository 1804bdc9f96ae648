"""clients.legal_hold and its encrypted reason (erasure is refused while a hold is set)

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-30 05:40:00
"""

import sqlalchemy as sa

from alembic import op

revision = '0012'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('clients', sa.Column('legal_hold', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('clients', sa.Column('legal_hold_reason_enc', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column('clients', 'legal_hold_reason_enc')
    op.drop_column('clients', 'legal_hold')
