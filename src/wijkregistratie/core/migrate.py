"""Run the Alembic migrations from code: the CLI, the demo and the tests build schemas this way."""

import os
from pathlib import Path

from alembic import command
from alembic.config import Config


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


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
