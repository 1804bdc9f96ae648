"""two-step sign-in: TOTP columns on users, backup codes, pending sign-ins

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:00:00
"""

import sqlalchemy as sa

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column('users', sa.Column('totp_secret_encrypted', sa.LargeBinary(), nullable=True))
    op.add_column('users', sa.Column('totp_pending_encrypted', sa.LargeBinary(), nullable=True))
    op.add_column('users', sa.Column('totp_enabled_at', _TS, nullable=True))
    op.add_column('users', sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    op.add_column('users', sa.Column('second_step_failures', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('users', sa.Column('second_step_window_start', _TS, nullable=True))
    op.add_column('users', sa.Column('second_step_locked_until', _TS, nullable=True))
    op.create_table(
        'backup_codes',
        sa.Column('id', sa.Uuid(), primary_key=True),
        sa.Column('workspace_id', sa.Uuid(), sa.ForeignKey('workspaces.id'), nullable=False),
        sa.Column('user_id', sa.Uuid(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('code_hash', sa.String(200), nullable=False),
        sa.Column('created_at', _TS, nullable=False),
        sa.Column('used_at', _TS, nullable=True),
    )
    op.create_index('ix_backup_codes_workspace_user', 'backup_codes', ['workspace_id', 'user_id'])
    op.create_table(
        'pending_signins',
        sa.Column('id', sa.Uuid(), primary_key=True),
        sa.Column('token_hash', sa.String(64), nullable=False, unique=True),
        sa.Column('workspace_id', sa.Uuid(), sa.ForeignKey('workspaces.id'), nullable=False),
        sa.Column('user_id', sa.Uuid(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('stage', sa.String(8), nullable=False),
        sa.Column('next_path', sa.String(200), nullable=False),
        sa.Column('created_at', _TS, nullable=False),
        sa.Column('expires_at', _TS, nullable=False),
        sa.Column('used_at', _TS, nullable=True),
        sa.CheckConstraint("stage IN ('code', 'enrol')", name='ck_pending_signins_stage'),
    )
    op.create_index('ix_pending_signins_workspace_user', 'pending_signins', ['workspace_id', 'user_id'])


def downgrade() -> None:
    op.drop_table('pending_signins')
    op.drop_table('backup_codes')
    for column in ('second_step_locked_until', 'second_step_window_start', 'second_step_failures',
                   'totp_last_step', 'totp_enabled_at', 'totp_pending_encrypted', 'totp_secret_encrypted'):
        op.drop_column('users', column)
