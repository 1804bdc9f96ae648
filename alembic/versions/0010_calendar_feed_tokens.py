"""calendar_feed_tokens: secret iCalendar subscription links, one live per user

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 05:00:00
"""

import sqlalchemy as sa

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'calendar_feed_tokens',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('workspace_id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('include_full_names', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_calendar_feed_tokens_workspace_user', 'calendar_feed_tokens',
                    ['workspace_id', 'user_id'])
    op.create_index('uq_calendar_feed_tokens_live_user', 'calendar_feed_tokens', ['user_id'], unique=True,
                    postgresql_where=sa.text('revoked_at IS NULL'))


def downgrade() -> None:
    op.drop_index('uq_calendar_feed_tokens_live_user', table_name='calendar_feed_tokens')
    op.drop_index('ix_calendar_feed_tokens_workspace_user', table_name='calendar_feed_tokens')
    op.drop_table('calendar_feed_tokens')
