"""Finding what each part of the record brings, by the name of its module: its tables (`models`) and its
worker jobs (`jobs`). Nothing has to be listed by hand, so nothing can be left off a list."""

import importlib
import importlib.util
import pkgutil
from types import ModuleType

import wijkregistratie


def modules_named(name: str) -> list[ModuleType]:
    """Every `wijkregistratie.<part>.<name>` module, imported, in a stable order."""
    found = []
    for part in sorted(pkgutil.iter_modules(wijkregistratie.__path__), key=lambda m: m.name):
        if not part.ispkg:
            continue
        qualified = f"{wijkregistratie.__name__}.{part.name}.{name}"
        if importlib.util.find_spec(qualified) is not None:
            found.append(importlib.import_module(qualified))
    return found


def import_all_models() -> None:
    """Every table of every part in the metadata, so foreign keys between parts resolve and Alembic, the
    migration check and the privacy inventory see them all."""
    modules_named("models")
