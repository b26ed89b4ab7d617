"""access log: append-only, who looked at which file, when, why and from where

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 15:36:03.882525
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import wijkregistratie.core.columns

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", wijkregistratie.core.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("professional_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=60), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=40), nullable=True),
        sa.Column("source_address", sa.String(length=64), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_log_at"), ["at"], unique=False)
        batch_op.create_index("ix_access_log_case_at", ["case_id", "at"], unique=False)
        batch_op.create_index("ix_access_log_household_at", ["household_id", "at"], unique=False)
    _append_only()


# Entries younger than five years cannot be changed or removed by anyone, the table's owner included;
# older ones may be removed by the retention purge.
POSTGRESQL_GUARD = [
    """CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD.at < now() - interval '1830 days' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'the access log is append-only';
    END $$""",
    """CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only()""",
    """CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()""",
    "REVOKE UPDATE, DELETE, TRUNCATE ON access_log FROM PUBLIC",
]
SQLITE_GUARD = [
    """CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
    BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END""",
    """CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
    WHEN OLD.at >= datetime('now', '-1830 days')
    BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END""",
]


def _append_only() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_GUARD if postgresql else SQLITE_GUARD:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER access_log_no_truncate ON access_log")
        op.execute("DROP TRIGGER access_log_append_only ON access_log")
        op.execute("DROP FUNCTION access_log_append_only()")
    else:
        op.execute("DROP TRIGGER access_log_no_update")
        op.execute("DROP TRIGGER access_log_no_delete")
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index("ix_access_log_household_at")
        batch_op.drop_index("ix_access_log_case_at")
        batch_op.drop_index(batch_op.f("ix_access_log_at"))

    op.drop_table("access_log")
