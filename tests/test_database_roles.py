"""PostgreSQL: the application runs as a role that does not own the schema, so the access log stays
append-only whoever controls the application — it can neither change entries nor unguard the table."""

import asyncio
import secrets
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import POSTGRES_SERVER_URL, Api, Server, empty_database, new_address, new_member, run_async
from tests.conftest import settings_for_tests as settings_for
from wijkregistratie.core.migrate import upgrade

pytestmark = pytest.mark.e2e

ATTEMPTS = [
    ("UPDATE access_log SET purpose = 'audit'", "permission denied"),
    ("DELETE FROM access_log", "append-only"),
    ("TRUNCATE access_log", "permission denied"),
    ("ALTER TABLE access_log DISABLE TRIGGER access_log_append_only", "must be owner"),
    ("DROP TRIGGER access_log_append_only ON access_log", "must be owner"),
    ("DROP TABLE access_log", "must be owner"),
    (
        "CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RETURN OLD; END $$",
        "permission denied",
    ),
    ("CREATE TABLE smuggled (id integer)", "permission denied"),
]


async def _as_server(statement: str) -> None:
    engine = create_async_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


@pytest.fixture
def application_role() -> Any:
    role, password = f"wr_app_{uuid.uuid4().hex[:8]}", secrets.token_hex(12)
    asyncio.run(_as_server(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
    try:
        yield role, password
    finally:
        asyncio.run(_as_server(f"DROP ROLE IF EXISTS {role}"))


def test_the_application_role_works_but_cannot_change_or_unguard_the_access_log(
    application_role: tuple[str, str], tmp_path: Path
) -> None:
    role, password = application_role
    with empty_database("postgresql", tmp_path) as owner_url:
        upgrade(owner_url, app_role=role)
        app_url = make_url(owner_url).set(username=role, password=password).render_as_string(hide_password=False)
        settings = settings_for(app_url)
        with Server(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
            api = Api("postgresql", server.url, app_url, settings, http)
            woongoed = api.new_organisation("Woongoed", "housing_corporation")
            housing = api.new_caller(woongoed, ["record:read", "record:write"])
            admin = api.new_caller(api.new_organisation("Gemeente", "municipality"), ["admin"])
            assert admin.post("/v1/municipalities", json={"code": "GM0599", "name": "Rotterdam"}).status_code == 201
            team = admin.post(
                "/v1/teams",
                json={
                    "name": "Buurtteam",
                    "municipalityCode": "GM0599",
                    "areaCodes": ["WK059901"],
                    "organisationIds": [str(woongoed)],
                },
            )
            assert team.status_code == 201, team.text
            signal = housing.post(
                "/v1/signals",
                json={
                    "household": {"address": new_address(), "members": [new_member()]},
                    "teamId": team.json()["id"],
                    "source": "housing_corporation",
                    "lifeDomains": ["housing"],
                    "description": "Huurachterstand van drie maanden.",
                    "residentAware": True,
                },
            )
            assert signal.status_code == 201, signal.text
            assert housing.get(f"/v1/signals/{signal.json()['id']}").status_code == 200

        async def count(session: Any) -> int:
            return int(await session.scalar(text("SELECT COUNT(*) FROM access_log")))

        logged = run_async(app_url, count)
        assert logged >= 2  # the registration and the read, written as the application's role
        for statement, refusal in ATTEMPTS:

            async def attempt(session: Any, statement: str = statement) -> None:
                await (await session.connection()).execute(text(statement))

            with pytest.raises(DBAPIError, match=refusal):
                run_async(app_url, attempt)
        assert run_async(app_url, count) == logged
