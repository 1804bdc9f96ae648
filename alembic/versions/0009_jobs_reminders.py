"""job runner (procrastinate schema), job status, client reminders, daily agenda

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 05:10:00

procrastinate's own schema (tables, types, functions, triggers) is applied from the installed
package's schema.sql, so `make run` and the tests get it through the usual migration path.
A later procrastinate release that changes its schema needs a new revision applying the
package's migration files (procrastinate/sql/migrations) in order.
"""

from importlib import resources

import sqlalchemy as sa

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

PROCRASTINATE_TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs",
                        "procrastinate_workers")
PROCRASTINATE_TYPES = ("procrastinate_job_to_defer_v1", "procrastinate_job_event_type", "procrastinate_job_status")


def _procrastinate_schema() -> str:
    return (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")


def _uuid() -> sa.Column:
    return sa.Column('id', sa.Uuid(), nullable=False)


def upgrade() -> None:
    # exec_driver_sql: no bind-parameter parsing of the functions' bodies ('%' doubled for the driver).
    op.get_bind().exec_driver_sql(_procrastinate_schema().replace("%", "%%"))

    op.create_table(
        'job_runs',
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('last_result', sa.String(length=200), nullable=True),
        sa.Column('runs', sa.Integer(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('kind'),
    )
    op.add_column('clients', sa.Column('reminders_opt_out', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    op.create_table(
        'reminder_deliveries',
        _uuid(),
        sa.Column('workspace_id', sa.Uuid(), nullable=False),
        sa.Column('appointment_id', sa.Uuid(), nullable=False),
        sa.Column('offset_minutes', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('outcome', sa.String(length=32), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'skipped')", name='ck_reminder_deliveries_status'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id']),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('appointment_id', 'offset_minutes', 'starts_at', name='uq_reminder_deliveries_key'),
    )
    op.create_index('ix_reminder_deliveries_workspace_appointment', 'reminder_deliveries',
                    ['workspace_id', 'appointment_id'])
    op.create_index('ix_reminder_deliveries_status', 'reminder_deliveries', ['status', 'created_at'])
    op.create_table(
        'client_responses',
        _uuid(),
        sa.Column('workspace_id', sa.Uuid(), nullable=False),
        sa.Column('appointment_id', sa.Uuid(), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("action IN ('confirmed', 'cancelled')", name='ck_client_responses_action'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id']),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_client_responses_workspace_seen', 'client_responses', ['workspace_id', 'seen_at'])
    op.create_table(
        'agenda_deliveries',
        _uuid(),
        sa.Column('workspace_id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'day', name='uq_agenda_deliveries_user_day'),
    )
    op.create_index('ix_agenda_deliveries_workspace_user', 'agenda_deliveries', ['workspace_id', 'user_id'])


def downgrade() -> None:
    op.drop_index('ix_agenda_deliveries_workspace_user', table_name='agenda_deliveries')
    op.drop_table('agenda_deliveries')
    op.drop_index('ix_client_responses_workspace_seen', table_name='client_responses')
    op.drop_table('client_responses')
    op.drop_index('ix_reminder_deliveries_status', table_name='reminder_deliveries')
    op.drop_index('ix_reminder_deliveries_workspace_appointment', table_name='reminder_deliveries')
    op.drop_table('reminder_deliveries')
    op.drop_column('clients', 'reminders_opt_out')
    op.drop_table('job_runs')
    for table in PROCRASTINATE_TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    functions = op.get_bind().exec_driver_sql(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%%'").scalars().all()
    for function in functions:
        op.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    for type_name in PROCRASTINATE_TYPES:
        op.execute(f"DROP TYPE IF EXISTS {type_name} CASCADE")


