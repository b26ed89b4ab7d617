"""figures without joins

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 12:13:45.731045
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import wijkregistratie.core.columns

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_changes",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("instrument_version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("first_on", sa.Date(), nullable=False),
        sa.Column("first_score", sa.Integer(), nullable=False),
        sa.Column("latest_on", sa.Date(), nullable=False),
        sa.Column("latest_score", sa.Integer(), nullable=False),
        sa.Column("measurements", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("case_id", "instrument_version", "domain"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buurt_code", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("first_signal_at", wijkregistratie.core.columns.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("organisations_involved", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_cases_closed_at", ["closed_at"], unique=False)

    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buurt_code", sa.String(length=10), nullable=True))
    _backfill()


def _backfill() -> None:
    """Fill the kept figures columns for what was registered before them."""
    op.execute(
        "UPDATE signals SET buurt_code = (SELECT h.buurt_code FROM households h WHERE h.id = signals.household_id)"
    )
    op.execute(
        "UPDATE cases SET "
        "buurt_code = (SELECT h.buurt_code FROM households h WHERE h.id = cases.household_id), "
        "first_signal_at = (SELECT MIN(s.registered_at) FROM signals s WHERE s.case_id = cases.id), "
        "organisations_involved = (SELECT COUNT(DISTINCT i.organisation_id) FROM involvements i "
        "WHERE i.case_id = cases.id)"
    )
    unnest = {
        "postgresql": "CROSS JOIN LATERAL jsonb_each_text(a.scores) AS s",
        "sqlite": ", json_each(a.scores) AS s",
    }[op.get_bind().dialect.name]
    op.execute(
        "INSERT INTO assessment_changes (case_id, instrument_version, domain, first_on, first_score, latest_on, "
        "latest_score, measurements) "
        "SELECT case_id, instrument_version, domain, MIN(assessed_on), "
        "MIN(CASE WHEN first_rank = 1 THEN score END), MAX(assessed_on), "
        "MIN(CASE WHEN last_rank = 1 THEN score END), COUNT(*) FROM ("
        "SELECT a.case_id, a.instrument_version, s.key AS domain, a.assessed_on, CAST(s.value AS INTEGER) AS score, "
        "ROW_NUMBER() OVER (PARTITION BY a.case_id, a.instrument_version, s.key ORDER BY a.assessed_on, a.created_at) "
        "AS first_rank, "
        "ROW_NUMBER() OVER (PARTITION BY a.case_id, a.instrument_version, s.key "
        "ORDER BY a.assessed_on DESC, a.created_at DESC) AS last_rank "
        f"FROM assessments a {unnest} WHERE a.kind = 'measured') AS ranked "
        "GROUP BY case_id, instrument_version, domain"
    )


def downgrade() -> None:
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_column("buurt_code")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_closed_at")
        batch_op.drop_column("organisations_involved")
        batch_op.drop_column("first_signal_at")
        batch_op.drop_column("buurt_code")

    op.drop_table("assessment_changes")
