"""the change feed numbered apart from the writes: every event keeps the number it was written with, and
gets its place in the feed (`position`, gap-free, in the order the writing transactions committed) once
no transaction still writing could come before it

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:00:00.000000

Existing events keep their number as their place, so cursors already handed out stay valid.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", Position, nullable=True))
    op.execute("UPDATE events SET position = sequence")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_position", ["position"], unique=True)
        batch_op.create_index(
            "ix_events_unnumbered",
            ["sequence"],
            unique=False,
            sqlite_where=sa.text("position IS NULL"),
            postgresql_where=sa.text("position IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_unnumbered")
        batch_op.drop_index("ix_events_position")
        batch_op.drop_column("position")
