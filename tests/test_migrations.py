"""The schema is built by the migrations, on both databases, and matches the models exactly."""

from pathlib import Path

import pytest
from alembic import command

from tests.conftest import BACKENDS, empty_database
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
