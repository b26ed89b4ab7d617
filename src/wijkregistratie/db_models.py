"""Every table of every domain, imported in one place so the metadata (and Alembic) sees them all."""


def import_all_models() -> None:
    from wijkregistratie.adapters import models as _adapters  # noqa: F401
    from wijkregistratie.assessments import models as _assessments  # noqa: F401
    from wijkregistratie.attachments import models as _attachments  # noqa: F401
    from wijkregistratie.auth import models as _auth  # noqa: F401
    from wijkregistratie.cases import models as _cases  # noqa: F401
    from wijkregistratie.consents import models as _consents  # noqa: F401
    from wijkregistratie.core import access_log as _access_log  # noqa: F401
    from wijkregistratie.core import idempotency as _idempotency  # noqa: F401
    from wijkregistratie.events import models as _events  # noqa: F401
    from wijkregistratie.figures import models as _figures  # noqa: F401
    from wijkregistratie.households import models as _households  # noqa: F401
    from wijkregistratie.journal import models as _journal  # noqa: F401
    from wijkregistratie.matches import models as _matches  # noqa: F401
    from wijkregistratie.organisations import models as _organisations  # noqa: F401
    from wijkregistratie.plans import models as _plans  # noqa: F401
    from wijkregistratie.privacy import models as _privacy  # noqa: F401
    from wijkregistratie.professionals import models as _professionals  # noqa: F401
    from wijkregistratie.referrals import models as _referrals  # noqa: F401
    from wijkregistratie.services import models as _services  # noqa: F401
    from wijkregistratie.signals import models as _signals  # noqa: F401
    from wijkregistratie.teams import models as _teams  # noqa: F401
    from wijkregistratie.webhooks import models as _webhooks  # noqa: F401
