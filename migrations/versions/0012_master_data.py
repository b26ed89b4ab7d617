"""master data that can change: municipalities, versions on the directory and the household's file, team
memberships with their dates, professionals who leave, members who move out, and corrections

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 12:40:00.000000

Existing data moves to the municipalities its teams already named (one per distinct code); a figures
client is bound to the municipality when the deployment has one, and otherwise waits for an operator.
"""

import uuid
from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wijkregistratie.core.columns

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = wijkregistratie.core.columns.UTCDateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
VERSIONED = ("organisations", "teams", "professionals", "households", "members")


def upgrade() -> None:
    op.create_table(
        "municipalities",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.execute(
        "INSERT INTO municipalities (code, name, version, created_at, updated_at) "
        "SELECT municipality_code, municipality_code, 1, MIN(created_at), MIN(created_at) FROM teams "
        "GROUP BY municipality_code"
    )
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column("updated_at", Timestamp, nullable=True))
        op.execute(f"UPDATE {table} SET version = 1, updated_at = created_at")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("version", existing_type=sa.Integer(), nullable=False)
            batch_op.alter_column("updated_at", existing_type=Timestamp, nullable=False)
    for table in ("professionals", "members"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.create_foreign_key("fk_teams_municipality_code", "municipalities", ["municipality_code"], ["code"])
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("municipality_code", sa.String(length=6), nullable=True))
        batch_op.create_foreign_key(
            "fk_api_clients_municipality_code", "municipalities", ["municipality_code"], ["code"]
        )
    op.execute(
        "UPDATE api_clients SET municipality_code = (SELECT MIN(code) FROM municipalities) "
        "WHERE scopes LIKE '%figures:read%' AND (SELECT COUNT(*) FROM municipalities) = 1"
    )

    # Team memberships get dates: a row per period, one current at a time.
    connection = op.get_bind()
    memberships = connection.execute(
        sa.text(
            "SELECT m.team_id, m.organisation_id, t.created_at FROM team_organisations m "
            "JOIN teams t ON t.id = m.team_id"
        )
    ).all()
    op.drop_table("team_organisations")
    team_organisations = op.create_table(
        "team_organisations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("team_organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_organisations_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_team_organisations_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(
            "uq_team_organisations_current",
            ["team_id", "organisation_id"],
            unique=True,
            sqlite_where=sa.text("until IS NULL"),
            postgresql_where=sa.text("until IS NULL"),
        )
    if memberships:
        op.bulk_insert(
            team_organisations,
            [
                {
                    "id": uuid.uuid4(),
                    "team_id": _uuid(team),
                    "organisation_id": _uuid(organisation),
                    "since": _date(created),
                    "until": None,
                }
                for team, organisation, created in memberships
            ],
        )

    op.create_table(
        "household_corrections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("fields", Json, nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("household_corrections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_corrections_household_id"), ["household_id"], unique=False)


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _date(value: object) -> date:
    """The day a team was made; SQLite gives the timestamp back as text."""
    return value.date() if isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


def downgrade() -> None:
    op.drop_table("household_corrections")
    connection = op.get_bind()
    current = connection.execute(
        sa.text("SELECT DISTINCT team_id, organisation_id FROM team_organisations WHERE until IS NULL")
    ).all()
    op.drop_table("team_organisations")
    team_organisations = op.create_table(
        "team_organisations",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"]),
        sa.PrimaryKeyConstraint("team_id", "organisation_id"),
    )
    with op.batch_alter_table("team_organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_organisations_organisation_id"), ["organisation_id"], unique=False)
    if current:
        op.bulk_insert(team_organisations, [{"team_id": _uuid(t), "organisation_id": _uuid(o)} for t, o in current])
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_constraint("fk_api_clients_municipality_code", type_="foreignkey")
        batch_op.drop_column("municipality_code")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_constraint("fk_teams_municipality_code", type_="foreignkey")
    for table in ("professionals", "members"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("left_on")
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("updated_at")
            batch_op.drop_column("version")
    op.drop_table("municipalities")
