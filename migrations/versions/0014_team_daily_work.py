"""the team's daily work: matches from the first signal (also before a case exists, and with a returning
household's former lead), matches that expire, the team's periods for them, and the professional who made
each change (the case history names them), the reminders announced of what came due, and assessment
instruments as data (seeded with ZRM 2013 and 2017, which were a file before)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 18:40:00.000000

Existing matches were all made with an open case; they stay on the lists for the default 90 days from now.
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wijkregistratie.core.columns
from wijkregistratie.core.clock import utcnow

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = wijkregistratie.core.columns.UTCDateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
# SQLite rebuilds a table to add a foreign key; the feed's numbers must stay never-reused (AUTOINCREMENT).
KEEP_FEED_NUMBERING = {"sqlite_autoincrement": True}
SCORES = {
    "1": "acute problematiek",
    "2": "niet zelfredzaam",
    "3": "beperkt zelfredzaam",
    "4": "voldoende zelfredzaam",
    "5": "volledig zelfredzaam",
}
ZRM_2013 = [
    ("finances", "Financiën"),
    ("daytime_activities", "Dagbesteding"),
    ("housing", "Huisvesting"),
    ("domestic_relations", "Huiselijke relaties"),
    ("mental_health", "Geestelijke gezondheid"),
    ("physical_health", "Lichamelijke gezondheid"),
    ("addiction", "Verslaving"),
    ("adl_skills", "ADL-vaardigheden"),
    ("social_network", "Sociaal netwerk"),
    ("social_participation", "Maatschappelijke participatie"),
    ("justice", "Justitie"),
]
ZRM_2017 = [
    ("finances", "Financiën"),
    ("work_and_education", "Werk & opleiding"),
    ("time_use", "Tijdsbesteding"),
    ("housing", "Huisvesting"),
    ("domestic_relations", "Huiselijke relaties"),
    ("mental_health", "Geestelijke gezondheid"),
    ("physical_health", "Lichamelijke gezondheid"),
    ("substance_use", "Middelengebruik"),
    ("basic_adl", "Basale ADL"),
    ("instrumental_adl", "Instrumentele ADL"),
    ("social_network", "Sociaal netwerk"),
    ("social_participation", "Maatschappelijke participatie"),
    ("justice", "Justitie"),
]
TEAM_PERIODS = {"returning_household_days": 730, "match_valid_days": 90, "referral_answer_days": 10}


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        for name, default in TEAM_PERIODS.items():
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default=str(default)))
    with op.batch_alter_table("teams", schema=None) as batch_op:
        for name in TEAM_PERIODS:
            batch_op.alter_column(name, existing_type=sa.Integer(), server_default=None)

    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column("relation", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("counterpart_signal_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("counterpart_professional_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("expires_at", Timestamp, nullable=True))
        batch_op.create_foreign_key("fk_matches_counterpart_signal_id", "signals", ["counterpart_signal_id"], ["id"])
        batch_op.create_foreign_key(
            "fk_matches_counterpart_professional_id", "professionals", ["counterpart_professional_id"], ["id"]
        )
    matches = sa.table("matches", sa.column("relation", sa.String()), sa.column("expires_at", Timestamp))
    op.execute(matches.update().values(relation="involved_in_open_case", expires_at=utcnow() + timedelta(days=90)))
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.alter_column("relation", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("expires_at", existing_type=Timestamp, nullable=False)
        batch_op.create_index(batch_op.f("ix_matches_expires_at"), ["expires_at"], unique=False)

    with op.batch_alter_table("events", schema=None, table_kwargs=KEEP_FEED_NUMBERING) as batch_op:
        batch_op.add_column(sa.Column("professional_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key("fk_events_professional_id", "professionals", ["professional_id"], ["id"])

    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("former_lead_professional_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_signals_former_lead_professional_id", "professionals", ["former_lead_professional_id"], ["id"]
        )

    op.create_table(
        "reminders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("item_key", sa.String(length=100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("announced_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "item_key", "due_on", name="uq_reminders_item"),
    )

    instruments = op.create_table(
        "assessment_instruments",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("domains", Json, nullable=False),
        sa.Column("scores", Json, nullable=False),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("code", "version"),
    )
    op.bulk_insert(
        instruments,
        [
            {
                "code": "zrm",
                "version": version,
                "name": f"Zelfredzaamheid-Matrix {version}",
                "domains": [{"code": code, "name": name} for code, name in domains],
                "scores": SCORES,
                "retired_on": None,
                "created_at": utcnow(),
            }
            for version, domains in (("2013", ZRM_2013), ("2017", ZRM_2017))
        ],
    )


def downgrade() -> None:
    op.drop_table("assessment_instruments")
    op.drop_table("reminders")
    with op.batch_alter_table("events", schema=None, table_kwargs=KEEP_FEED_NUMBERING) as batch_op:
        batch_op.drop_constraint("fk_events_professional_id", type_="foreignkey")
        batch_op.drop_column("professional_id")
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_constraint("fk_signals_former_lead_professional_id", type_="foreignkey")
        batch_op.drop_column("former_lead_professional_id")
    op.execute("DELETE FROM matches WHERE case_id IS NULL")
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_matches_expires_at"))
        batch_op.drop_constraint("fk_matches_counterpart_professional_id", type_="foreignkey")
        batch_op.drop_constraint("fk_matches_counterpart_signal_id", type_="foreignkey")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("counterpart_professional_id")
        batch_op.drop_column("counterpart_signal_id")
        batch_op.drop_column("relation")
        batch_op.alter_column("case_id", existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table("teams", schema=None) as batch_op:
        for name in TEAM_PERIODS:
            batch_op.drop_column(name)
