"""figures protected by a cell-key method: a random key per signal and case, the sum of keys beside every
count of the figures' totals, final months, and when a signal left the triage queue (the waiting list of a
past moment)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:00:00.000000

Existing signals and cases get their key now. The totals and their refreshes are emptied: the next refresh rebuilds them with
keys, and from then on months that have ended stay as they are.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import wijkregistratie.core.columns

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = wijkregistratie.core.columns.UTCDateTime(timezone=True)
RANDOM_KEY = {
    "postgresql": "floor(random() * 4294967296)::bigint",
    "sqlite": "abs(random()) % 4294967296",
}


def upgrade() -> None:
    random_key = RANDOM_KEY[op.get_bind().dialect.name]
    for table in ("signals", "cases"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("record_key", sa.BigInteger(), nullable=True))
        op.execute(f"UPDATE {table} SET record_key = {random_key}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("record_key", existing_type=sa.BigInteger(), nullable=False)

    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("triaged_at", Timestamp, nullable=True))
    # The first accept, decline or forward; a signal taken into a case directly left with the case's opening.
    op.execute(
        "UPDATE signals SET triaged_at = COALESCE("
        "(SELECT MIN(a.at) FROM triage_actions a WHERE a.signal_id = signals.id "
        "AND a.action IN ('accepted', 'declined', 'forwarded')), "
        "(SELECT c.opened_at FROM cases c WHERE c.id = signals.case_id), registered_at) "
        "WHERE status IN ('accepted', 'declined', 'forwarded')"
    )

    for table in ("figure_rollups", "figure_lead_times", "figure_refreshes"):
        op.execute(f"DELETE FROM {table}")
    for table in ("figure_rollups", "figure_lead_times"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("key_sum", sa.BigInteger(), nullable=False))
    with op.batch_alter_table("figure_refreshes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("final_before", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("figure_refreshes", schema=None) as batch_op:
        batch_op.drop_column("final_before")
    for table in ("figure_lead_times", "figure_rollups"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("key_sum")
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_column("triaged_at")
    for table in ("cases", "signals"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("record_key")
