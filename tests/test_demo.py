"""The demo neighbourhood: deterministic, realistic, and complete enough to try every part of the API."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.conftest import BACKENDS, empty_database, run_async
from wijkregistratie.assessments.models import Assessment
from wijkregistratie.auth.models import ApiClient
from wijkregistratie.cases.models import Case
from wijkregistratie.core.codes import CaseStatus
from wijkregistratie.core.migrate import upgrade
from wijkregistratie.core.settings import Settings
from wijkregistratie.demo.seed import HOUSEHOLDS, seed_demo
from wijkregistratie.households.models import Household, Member
from wijkregistratie.journal.models import JournalEntry
from wijkregistratie.matches.models import Match
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.plans.models import PlanVersion
from wijkregistratie.referrals.models import Referral
from wijkregistratie.services.models import Service
from wijkregistratie.signals.models import Signal, TriageAction
from wijkregistratie.teams.models import Team


async def _counts(session: Any) -> dict[str, Any]:
    async def count(model: Any, *where: Any) -> int:
        return int((await session.exec(select(func.count()).select_from(model).where(*where))).one())

    return {
        "teams": await count(Team),
        "organisations": await count(Organisation),
        "organisation kinds": len(set((await session.exec(select(Organisation.kind))).all())),
        "households": await count(Household),
        "members": await count(Member),
        "signals": await count(Signal),
        "sources": len(set((await session.exec(select(Signal.source))).all())),
        "open cases": await count(Case, Case.status != CaseStatus.closed),
        "closed cases": await count(Case, Case.status == CaseStatus.closed),
        "plan versions": await count(PlanVersion),
        "clients": await count(ApiClient),
        "assessments": await count(Assessment),
        "journal entries": await count(JournalEntry),
        "referrals": await count(Referral),
        "matches": await count(Match),
        "services": await count(Service),
        "triage actions": await count(TriageAction),
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_seed_demo_fills_a_neighbourhood_and_reissues_secrets(backend: str, tmp_path: Path) -> None:
    with empty_database(backend, tmp_path) as database_url:
        upgrade(database_url)
        settings = Settings(environment="test", database_url=database_url)
        credentials = run_async(database_url, lambda s: seed_demo(s, settings))
        assert set(credentials) == {"partner", "ggz", "coordinator", "municipality", "admin", "privacy"}
        counts = run_async(database_url, _counts)
        assert counts["teams"] == 2
        assert counts["organisations"] >= 8 and counts["organisation kinds"] >= 8
        assert counts["households"] == HOUSEHOLDS >= 50 and counts["members"] > HOUSEHOLDS
        assert counts["signals"] > HOUSEHOLDS and counts["sources"] >= 4
        assert counts["open cases"] >= 20 and counts["closed cases"] >= 5
        assert counts["plan versions"] > counts["open cases"] + counts["closed cases"]
        assert counts["assessments"] == 2 * (counts["open cases"] + counts["closed cases"])
        assert counts["journal entries"] >= counts["open cases"]
        assert counts["referrals"] >= 3 and counts["matches"] >= 3 and counts["triage actions"] >= 5
        assert counts["services"] >= 5
        again = run_async(database_url, lambda s: seed_demo(s, settings))
        assert set(again) == set(credentials)
        assert all(again[r]["client_secret"] != credentials[r]["client_secret"] for r in again)
        assert run_async(database_url, _counts) == counts
