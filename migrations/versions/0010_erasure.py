"""erasure: households, cases and signals can be emptied of personal data, with a receipt

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wijkregistratie.core.columns

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPTIED = ("households", "cases", "signals")


def upgrade() -> None:
    for table in EMPTIED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("erased_at", wijkregistratie.core.columns.UTCDateTime(timezone=True), nullable=True)
            )
    op.create_table(
        "erasures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("grounds", sa.String(length=40), nullable=False),
        sa.Column("request_reference", sa.String(length=100), nullable=True),
        sa.Column("client_id", sa.String(length=100), nullable=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("erased_at", wijkregistratie.core.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "rows", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasures_household_id"), ["household_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasures_household_id"))
    op.drop_table("erasures")
    for table in EMPTIED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("erased_at")
