"""users.language (the reader's language, NULL until the first visit picks one from the
browser), workspaces.language (mails to clients) and workspaces.currency (ISO 4217)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 08:10:00
"""

import sqlalchemy as sa

from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('language', sa.String(length=8), nullable=True))
    op.add_column('workspaces', sa.Column('language', sa.String(length=8), nullable=False, server_default='en'))
    op.add_column('workspaces', sa.Column('currency', sa.String(length=3), nullable=False, server_default='EUR'))
    # Prices were shown without a currency until now: a practice in Israel has been typing shekels.
    # Mails keep going out in English (no surprise for clients); the owner picks Hebrew.
    op.execute("UPDATE workspaces SET currency = 'ILS' WHERE time_zone = 'Asia/Jerusalem'")
    op.create_check_constraint('ck_workspaces_currency', 'workspaces', "currency ~ '^[A-Z]{3}$'")


def downgrade() -> None:
    op.drop_constraint('ck_workspaces_currency', 'workspaces', type_='check')
    op.drop_column('workspaces', 'currency')
    op.drop_column('workspaces', 'language')
    op.drop_column('users', 'language')
