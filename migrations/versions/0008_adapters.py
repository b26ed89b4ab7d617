"""adapters: checkpoints per partner system, and its numbers for households not yet in a case

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 15:15:17.960451
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import wijkregistratie.core.columns

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "adapter_checkpoints",
        sa.Column("partner", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("pulled_up_to", sa.String(length=200), nullable=False),
        sa.Column("pushed_up_to", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", wijkregistratie.core.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("partner"),
    )
    op.create_table(
        "adapter_references",
        sa.Column("partner", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("signal_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", wijkregistratie.core.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["signal_id"],
            ["signals.id"],
        ),
        sa.PrimaryKeyConstraint("partner", "reference"),
    )


def downgrade() -> None:
    op.drop_table("adapter_references")
    op.drop_table("adapter_checkpoints")
