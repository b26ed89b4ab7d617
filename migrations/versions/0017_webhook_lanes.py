"""webhook subscriptions delivered each in a lane of their own: a failing subscription backs off as a
whole (`failures`, `retry_at`) and is suspended after the retry window, and a worker delivering one holds
it for a while (`leased_until`) instead of holding a row lock across its receiver's answers

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 01:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import wijkregistratie.core.columns

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = wijkregistratie.core.columns.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("retry_at", Timestamp, nullable=True))
        batch_op.add_column(sa.Column("leased_until", Timestamp, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("leased_until")
        batch_op.drop_column("retry_at")
        batch_op.drop_column("failures")
