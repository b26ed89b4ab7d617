"""every client pulled from a partner system is kept in the identity map: the household it is, what of
it was placed on the record already (`seen`), and what it brought while it still waited in the team's
triage queue (`waiting`)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 02:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wijkregistratie.core.columns

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = wijkregistratie.core.columns.UTCDateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("adapter_references", schema=None) as batch_op:
        batch_op.add_column(sa.Column("household_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("seen", Json, nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("waiting", Json, nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("waiting_since", Timestamp, nullable=True))
        batch_op.alter_column("signal_id", existing_type=sa.Uuid(), nullable=True)
    op.execute(
        "UPDATE adapter_references SET household_id = "
        "(SELECT household_id FROM signals WHERE signals.id = adapter_references.signal_id)"
    )
    with op.batch_alter_table("adapter_references", schema=None) as batch_op:
        batch_op.alter_column("household_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.create_foreign_key("fk_adapter_references_household", "households", ["household_id"], ["id"])
        batch_op.create_index("ix_adapter_references_household_id", ["household_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("adapter_references", schema=None) as batch_op:
        batch_op.drop_index("ix_adapter_references_household_id")
        batch_op.drop_constraint("fk_adapter_references_household", type_="foreignkey")
        batch_op.drop_column("waiting_since")
        batch_op.drop_column("waiting")
        batch_op.drop_column("seen")
        batch_op.drop_column("household_id")
    op.execute("DELETE FROM adapter_references WHERE signal_id IS NULL")
    with op.batch_alter_table("adapter_references", schema=None) as batch_op:
        batch_op.alter_column("signal_id", existing_type=sa.Uuid(), nullable=False)
