"""The schema is built by the migrations, on both databases, and matches the models exactly."""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from tests.conftest import BACKENDS, empty_database
from wijkregistratie.core.columns import UTCDateTime
from wijkregistratie.core.database import create_engine
from wijkregistratie.core.migrate import alembic_config, upgrade

pytestmark = pytest.mark.migrations


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_build_exactly_the_models_and_roll_back(backend: str, tmp_path: Path) -> None:
    with empty_database(backend, tmp_path) as database_url:
        config = alembic_config(database_url)
        upgrade(database_url)
        command.check(config)  # raises when the models hold anything the migrations do not
        command.downgrade(config, "base")
        upgrade(database_url)
        command.check(config)


def test_the_feed_never_reuses_a_number_after_sqlite_rebuilds_its_table(tmp_path: Path) -> None:
    """SQLite rebuilds a table to change it; the events table must come back with AUTOINCREMENT, or the
    number of a rolled-back last event could be given again."""
    with empty_database("sqlite", tmp_path) as database_url:
        upgrade(database_url)
        engine = sa.create_engine(database_url.replace("+aiosqlite", ""))
        with engine.connect() as connection:
            ddl = connection.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'events'")).scalar_one()
        engine.dispose()
    assert "AUTOINCREMENT" in ddl


@pytest.mark.parametrize("backend", BACKENDS)
def test_existing_teams_move_to_their_municipality_and_keep_their_members(backend: str, tmp_path: Path) -> None:
    """A deployment from before municipalities: its teams' codes become municipalities, their members take
    part from the day the team was made, and its one figures client is bound to the one municipality."""
    organisation, team = uuid.uuid4(), uuid.uuid4()
    made = datetime(2025, 3, 4, 23, 30, tzinfo=UTC)
    uid, moment = sa.Uuid(), UTCDateTime(timezone=True)
    organisations = sa.table(
        "organisations", sa.column("id", uid), sa.column("name"), sa.column("kind"), sa.column("created_at", moment)
    )
    teams = sa.table(
        "teams",
        sa.column("id", uid),
        sa.column("name"),
        sa.column("municipality_code"),
        sa.column("area_codes", sa.JSON()),
        sa.column("first_contact_target_days"),
        sa.column("created_at", moment),
    )
    members = sa.table("team_organisations", sa.column("team_id", uid), sa.column("organisation_id", uid))
    clients = sa.table(
        "api_clients",
        sa.column("id", uid),
        sa.column("client_id"),
        sa.column("name"),
        sa.column("organisation_id", uid),
        sa.column("secret_hash"),
        sa.column("scopes"),
        sa.column("coordinated_team_ids", sa.JSON()),
        sa.column("active"),
        sa.column("version"),
        sa.column("created_at", moment),
        sa.column("updated_at", moment),
    )

    async def fill(connection: Any) -> None:
        await connection.execute(
            organisations.insert().values(id=organisation, name="Wijkteam", kind="social_work", created_at=made)
        )
        await connection.execute(
            teams.insert().values(
                id=team,
                name="Noord",
                municipality_code="GM0599",
                area_codes=["WK059901"],
                first_contact_target_days=3,
                created_at=made,
            )
        )
        await connection.execute(members.insert().values(team_id=team, organisation_id=organisation))
        await connection.execute(
            clients.insert().values(
                id=uuid.uuid4(),
                client_id="cijfers",
                name="Cijfers",
                organisation_id=organisation,
                secret_hash="x",
                scopes="figures:read",
                coordinated_team_ids=[],
                active=True,
                version=1,
                created_at=made,
                updated_at=made,
            )
        )

    async def read(connection: Any) -> dict[str, Any]:
        return {
            "municipalities": (await connection.execute(sa.text("SELECT code FROM municipalities"))).all(),
            "members": (await connection.execute(sa.text("SELECT since, until FROM team_organisations"))).all(),
            "client": (await connection.execute(sa.text("SELECT municipality_code FROM api_clients"))).scalar_one(),
        }

    async def against(database_url: str, work: Any) -> Any:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as connection:
                return await work(connection)
        finally:
            await engine.dispose()

    with empty_database(backend, tmp_path) as database_url:
        upgrade(database_url, "0011")
        asyncio.run(against(database_url, fill))
        upgrade(database_url)
        after = asyncio.run(against(database_url, read))
    assert [tuple(r) for r in after["municipalities"]] == [("GM0599",)]
    assert [(str(since)[:10], until) for since, until in after["members"]] == [("2025-03-04", None)]
    assert after["client"] == "GM0599"
