"""the identity map of what an adapter keeps in a partner's system (a FHIR server's resource ids and
versions, by resource type and our identifier), and why a partner cannot be used now

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import wijkregistratie.core.columns

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = wijkregistratie.core.columns.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "adapter_resources",
        sa.Column("partner", sa.String(length=60), nullable=False),
        sa.Column("resource", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("partner", "resource"),
    )
    op.create_index("ix_adapter_resources_case_id", "adapter_resources", ["case_id"], unique=False)
    with op.batch_alter_table("adapter_checkpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failure", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("failing_since", Timestamp, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("adapter_checkpoints", schema=None) as batch_op:
        batch_op.drop_column("failing_since")
        batch_op.drop_column("failure")
    op.drop_index("ix_adapter_resources_case_id", table_name="adapter_resources")
    op.drop_table("adapter_resources")
