"""Alembic environment: runs the migrations on the async engine of SQLite or PostgreSQL."""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from wijkregistratie.core.database import create_engine
from wijkregistratie.core.discovery import import_all_models
from wijkregistratie.core.settings import get_settings

import_all_models()
config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata
database_url: str = config.attributes.get("database_url") or get_settings().database_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode drops and recreates tables that others point at: the references are checked once
            # at the end instead of on every DROP (SQLite takes this only outside a transaction).
            await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await connection.run_sync(_configure)
        if sqlite:
            broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
            if broken:
                await connection.rollback()
                raise RuntimeError(f"the migration leaves references without their row: {broken[:5]}")
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=database_url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
