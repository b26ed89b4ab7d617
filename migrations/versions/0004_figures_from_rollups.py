"""figures from rollups: running totals per month, team and neighbourhood, and a log of their rebuilds

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 14:22:50.754525
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import wijkregistratie.core.columns

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("signals", schema=None) as batch_op:
        for name, where in (
            ("ix_signals_awaiting_contact", "first_contact_on IS NULL"),
            ("ix_signals_waiting", "status IN ('open', 'in_triage')"),
        ):
            batch_op.create_index(
                name, ["registered_at"], unique=False, sqlite_where=sa.text(where), postgresql_where=sa.text(where)
            )
    op.create_table(
        "figure_refreshes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", wijkregistratie.core.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", wijkregistratie.core.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_month", sa.Date(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("figure_refreshes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_figure_refreshes_finished_at"), ["finished_at"], unique=False)

    op.create_table(
        "figure_lead_times",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("buurt_code", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "team_id", "buurt_code", "days"),
    )
    op.create_table(
        "figure_rollups",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("measure", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("buurt_code", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("month", "measure", "key", "team_id", "buurt_code"),
    )


def downgrade() -> None:
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_index("ix_signals_waiting")
        batch_op.drop_index("ix_signals_awaiting_contact")
    op.drop_table("figure_rollups")
    op.drop_table("figure_lead_times")
    with op.batch_alter_table("figure_refreshes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_figure_refreshes_finished_at"))

    op.drop_table("figure_refreshes")
