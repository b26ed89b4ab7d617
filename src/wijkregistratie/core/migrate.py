"""Run the Alembic migrations from code: the CLI, the demo and the tests build schemas this way.

On PostgreSQL the migrations run as the role that owns the schema, and the application runs as another
role that may only read and write rows (`WR_DATABASE_APP_ROLE`): it cannot change the access log, nor drop
or disable the trigger that keeps the log append-only, because only a table's owner can.
"""

import asyncio
import os
import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from wijkregistratie.core.database import create_engine
from wijkregistratie.core.settings import ROLE_NAME


def migrations_dir() -> Path:
    configured = os.environ.get("WR_MIGRATIONS_DIR")
    if configured:
        return Path(configured)
    # A source checkout: <repo>/src/wijkregistratie/core/migrate.py -> <repo>/migrations
    return Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(database_url: str) -> Config:
    directory = migrations_dir()
    config = Config(str(directory / "alembic.ini"))
    config.set_main_option("script_location", str(directory))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head", *, app_role: str = "") -> None:
    command.upgrade(alembic_config(database_url), revision)
    if app_role:
        asyncio.run(grant_application_role(database_url, app_role))


def application_role_grants(role: str) -> list[str]:
    """What the application's role may do: rows in, out and changed, the access log excepted (no UPDATE,
    no TRUNCATE; DELETE stays for the retention purge, and the trigger refuses it for young entries)."""
    return [
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
        f'REVOKE UPDATE, TRUNCATE ON access_log FROM "{role}"',
        f'REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM "{role}"',
    ]


async def grant_application_role(database_url: str, role: str) -> None:
    """Give the application's role what it needs after every migration, so new tables are covered too."""
    if not re.fullmatch(ROLE_NAME, role):
        raise ValueError("a role name is lower case letters, digits and underscores")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name != "postgresql":
                raise ValueError("WR_DATABASE_APP_ROLE applies to PostgreSQL only")
            for statement in application_role_grants(role):
                await connection.execute(text(statement))
    finally:
        await engine.dispose()
