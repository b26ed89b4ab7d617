"""Every table of every domain, imported in one place so the metadata (and Alembic) sees them all."""


def import_all_models() -> None:
    from wijkregistratie.auth import models as _auth  # noqa: F401
    from wijkregistratie.cases import models as _cases  # noqa: F401
    from wijkregistratie.households import models as _households  # noqa: F401
    from wijkregistratie.organisations import models as _organisations  # noqa: F401
    from wijkregistratie.plans import models as _plans  # noqa: F401
    from wijkregistratie.professionals import models as _professionals  # noqa: F401
    from wijkregistratie.signals import models as _signals  # noqa: F401
    from wijkregistratie.teams import models as _teams  # noqa: F401
