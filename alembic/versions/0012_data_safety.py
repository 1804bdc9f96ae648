"""clients.legal_hold and its encrypted reason (erasure is refused while a hold is set);
data_exports (background exports of a client's record or the whole practice)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 05:40:00
"""

import sqlalchemy as sa

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('clients', sa.Column('legal_hold', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('clients', sa.Column('legal_hold_reason_enc', sa.LargeBinary(), nullable=True))
    op.create_table(
        'data_exports',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('workspace_id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('client_id', sa.Uuid(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=True),
        sa.Column('error', sa.String(length=100), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'expired')",
                           name='ck_data_exports_status'),
        sa.CheckConstraint('progress BETWEEN 0 AND 100', name='ck_data_exports_progress'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_data_exports_workspace_created', 'data_exports', ['workspace_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_data_exports_workspace_created', table_name='data_exports')
    op.drop_table('data_exports')
    op.drop_column('clients', 'legal_hold_reason_enc')
    op.drop_column('clients', 'legal_hold')
