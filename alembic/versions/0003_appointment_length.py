"""appointments last at most 12 hours (keeps conflict searches to an index range)

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_check_constraint("ck_appointments_max_length", "appointments",
                               "ends_at - starts_at <= interval '12 hours'")


def downgrade() -> None:
    op.drop_constraint("ck_appointments_max_length", "appointments", type_="check")
