"""sessions list (device label, approximate IP) and invitations

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 05:05:00
"""

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('auth_sessions', sa.Column('device_label', sqlmodel.sql.sqltypes.AutoString(length=64),
                                             nullable=True))
    op.add_column('auth_sessions', sa.Column('ip_encrypted', sa.LargeBinary(), nullable=True))
    op.create_table('invitations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('invited_by', sa.Uuid(), nullable=False),
    sa.Column('email_index', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('email_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('name_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_user_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['accepted_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['invited_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index('ix_invitations_workspace_created', 'invitations', ['workspace_id', 'created_at'], unique=False)
    # At most one pending invitation per address and practice (inviting again renews it).
    op.create_index('uq_invitations_pending_email', 'invitations', ['workspace_id', 'email_index'], unique=True,
                    postgresql_where=sa.text('accepted_at IS NULL AND revoked_at IS NULL'))


def downgrade() -> None:
    op.drop_index('uq_invitations_pending_email', table_name='invitations',
                  postgresql_where=sa.text('accepted_at IS NULL AND revoked_at IS NULL'))
    op.drop_index('ix_invitations_workspace_created', table_name='invitations')
    op.drop_table('invitations')
    op.drop_column('auth_sessions', 'ip_encrypted')
    op.drop_column('auth_sessions', 'device_label')
