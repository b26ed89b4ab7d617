"""doors: client credentials that can be rotated and followed, subscriptions owned by their client,
referrals on consent naming it, and idempotent answers that know whose file they show

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wijkregistratie.core.columns

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_secret_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column(
                "previous_secret_valid_until", wijkregistratie.core.columns.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("updated_at", wijkregistratie.core.columns.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE api_clients SET version = 1, updated_at = created_at")
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.alter_column("version", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column(
            "updated_at", existing_type=wijkregistratie.core.columns.UTCDateTime(timezone=True), nullable=False
        )
    # A subscription is its client's, and reaches what that client may see at delivery; the teams it kept
    # from its creation go. Subscriptions made before have no client: their organisation's reach, no teams.
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f("ix_webhook_subscriptions_client_id"), ["client_id"], unique=False)
        batch_op.drop_column("team_ids")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key("fk_referrals_consent_id_consents", "consents", ["consent_id"], ["id"])
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("household_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_idempotency_keys_household_id"), ["household_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_household_id"))
        batch_op.drop_column("household_id")
        batch_op.drop_column("case_id")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_constraint("fk_referrals_consent_id_consents", type_="foreignkey")
        batch_op.drop_column("consent_id")
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_subscriptions_client_id"))
        batch_op.drop_column("client_id")
        batch_op.add_column(
            sa.Column(
                "team_ids",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default="[]",
            )
        )
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("version")
        batch_op.drop_column("previous_secret_valid_until")
        batch_op.drop_column("previous_secret_hash")
