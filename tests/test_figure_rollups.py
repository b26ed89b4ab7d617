"""The running totals answer exactly what counting the rows themselves answers, for any period and scope.

A small city with random dates over three years is written straight into the tables; after a rebuild, every
count the figures read from the totals (before disclosure control) is compared with the same count taken
in Python from the rows that were written.
"""

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BACKENDS, empty_database, migrated, run_async
from wijkregistratie.assessments.models import AssessmentChange
from wijkregistratie.cases.models import Case
from wijkregistratie.core.codes import ClosureReason, LifeDomain, SignalSource
from wijkregistratie.figures import rollups
from wijkregistratie.figures.service import ORGANISATION_BUCKETS, Scope, Totals, lead_time, read_totals
from wijkregistratie.households.models import Household
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.signals.models import Signal
from wijkregistratie.teams.models import Team

pytestmark = pytest.mark.fast

NOW = datetime.now(UTC)
DOMAINS = ["finances", "housing", "mental_health"]


@dataclass
class City:
    organisation: Organisation
    teams: list[Team]
    households: list[Household]
    cases: list[Case]
    signals: list[Signal]
    scores: list[AssessmentChange]


def _build(rng: random.Random) -> City:
    organisation = Organisation(name="Org", kind="social_work")
    teams = [
        Team(name=f"Team {i}", municipality_code="GM0599", area_codes=[f"WK05990{i}"], first_contact_target_days=i + 2)
        for i in range(2)
    ]
    city = City(organisation, teams, [], [], [], [])
    for n in range(160):
        team = teams[n % 2]
        buurt = f"BU05990{n % 2}0{n % 3}" if n % 17 else None
        household = Household(
            postcode="3072AB", house_number=n + 1, buurt_code=buurt, created_by_organisation_id=organisation.id
        )
        registered = NOW - timedelta(days=rng.uniform(1, 1100), hours=rng.uniform(0, 24))
        opened = registered + timedelta(days=rng.randrange(0, 5), hours=rng.uniform(0, 5))
        closed = opened + timedelta(days=rng.uniform(1, 300)) if rng.random() < 0.7 else None
        closed = closed if closed and closed < NOW else None
        reason = rng.choice(list(ClosureReason)) if closed else None
        case = Case(
            household_id=household.id,
            team_id=team.id,
            status="closed" if closed else "active",
            opened_at=opened,
            closed_at=closed,
            closure_reason=reason,
            handled_by=("specialist_care" if reason == "referred_to_specialist_care" else "team") if closed else None,
            opened_by_organisation_id=organisation.id,
            buurt_code=buurt,
            first_signal_at=registered if n % 5 else None,
            organisations_involved=rng.randrange(1, 6),
        )
        city.cases.append(case)
        contact = (registered + timedelta(days=rng.randrange(0, 8))).date() if rng.random() < 0.8 else None
        city.signals.append(
            Signal(
                household_id=household.id,
                team_id=team.id,
                reporting_organisation_id=organisation.id,
                source=rng.choice(list(SignalSource)),
                life_domains=rng.sample([d.value for d in LifeDomain], rng.randrange(1, 4)),
                description="x",
                resident_aware=True,
                status="accepted",
                case_id=case.id,
                registered_at=registered,
                first_contact_on=contact,
                buurt_code=buurt,
            )
        )
        for domain in rng.sample(DOMAINS, 2):
            first, latest = rng.randrange(1, 6), rng.randrange(1, 6)
            on = opened.date()
            city.scores.append(
                AssessmentChange(
                    case_id=case.id,
                    instrument_version="2017" if n % 7 else "2013",
                    domain=domain,
                    first_on=on,
                    first_score=first,
                    latest_on=on,
                    latest_score=latest,
                    measurements=rng.choice([1, 2, 3]),
                )
            )
        city.households.append(household)
    return city


async def _store(session: Any, city: City) -> None:
    session.add(city.organisation)
    session.add_all(city.teams)
    await session.flush()
    session.add_all(city.households)
    await session.flush()
    session.add_all(city.cases)
    await session.flush()
    session.add_all(city.signals + city.scores)


def _bucket(n: int) -> str:
    return ORGANISATION_BUCKETS[min(n, 4) - 1]


def _expected(city: City, scope: Scope) -> dict[str, Counter[str]]:
    """The same counts, taken from the rows themselves."""

    def in_scope(row: Any) -> bool:
        if scope.team_id and row.team_id != scope.team_id:
            return False
        return not scope.area_code or (row.buurt_code or "").startswith(f"BU{scope.area_code[2:]}")

    def within(moment: datetime | None) -> bool:
        return moment is not None and scope.start <= moment < scope.end

    targets = {t.id: t.first_contact_target_days for t in city.teams}
    signals = [s for s in city.signals if in_scope(s) and within(s.registered_at)]
    cases = [c for c in city.cases if in_scope(c)]
    active = [c for c in cases if c.opened_at < scope.end and (c.closed_at is None or c.closed_at >= scope.start)]
    expected: dict[str, Counter[str]] = {
        "signals.source": Counter(s.source for s in signals),
        "signals.domain": Counter(d for s in signals for d in s.life_domains),
        "signals.contacted": Counter(
            "within" if (s.first_contact_on - s.registered_at.date()).days <= targets[s.team_id] else "late"
            for s in signals
            if s.first_contact_on is not None
        ),
        "cases.opened": Counter(_bucket(c.organisations_involved) for c in cases if within(c.opened_at)),
        "cases.closed": Counter(c.closure_reason or "" for c in cases if c.status == "closed" and within(c.closed_at)),
        "cases.handled": Counter(c.handled_by or "" for c in cases if c.status == "closed" and within(c.closed_at)),
        "active": Counter(_bucket(c.organisations_involved) for c in active),
        "active.organisations": Counter({"sum": sum(c.organisations_involved for c in active)}),
        "at_end": Counter(
            _bucket(c.organisations_involved)
            for c in cases
            if c.opened_at < scope.end and (c.closed_at is None or c.closed_at >= scope.end)
        ),
    }
    active_ids = {c.id for c in active}
    scores: Counter[str] = Counter()
    changes: Counter[str] = Counter()
    for s in city.scores:
        if s.case_id in active_ids and s.instrument_version == "2017" and s.measurements >= 2:
            change = s.latest_score - s.first_score
            kind = "improved" if change > 0 else "unchanged" if change == 0 else "worsened"
            scores[f"{s.domain}.{kind}"] += 1
            changes[f"{s.domain}.{kind}"] += change
    expected["scores"], expected["scores.change"] = scores, changes
    return expected


def _actual(totals: Totals, expected: dict[str, Counter[str]]) -> dict[str, Counter[str]]:
    keys = {
        "signals.source": [s.value for s in SignalSource],
        "signals.domain": [d.value for d in LifeDomain],
        "signals.contacted": ["within", "late"],
        "cases.opened": ORGANISATION_BUCKETS,
        "cases.closed": [*ClosureReason, ""],
        "cases.handled": ["team", "specialist_care", ""],
    }
    actual: dict[str, Counter[str]] = {
        measure: Counter({k: totals.during(measure, k) for k in wanted if totals.during(measure, k)})
        for measure, wanted in keys.items()
    }
    active = {b: totals.active(b, "cases.opened", "cases.ended") for b in ORGANISATION_BUCKETS}
    actual["active"] = Counter({b: c for b, (c, _) in active.items() if c})
    actual["active.organisations"] = Counter({"sum": round(sum(a for _, a in active.values()))})
    actual["at_end"] = Counter({b: totals.at_end(b) for b in ORGANISATION_BUCKETS if totals.at_end(b)})
    classes = [f"{d}.{k}" for d in DOMAINS for k in ("improved", "unchanged", "worsened")]
    scored = {k: totals.active(k, "scores.opened", "scores.ended") for k in classes}
    actual["scores"] = Counter({k: c for k, (c, _) in scored.items() if c})
    actual["scores.change"] = Counter({k: round(a) for k, (c, a) in scored.items() if c})
    return actual


def _scopes(city: City) -> list[Scope]:
    def month(offset: int) -> datetime:
        first = date(NOW.year, NOW.month, 1)
        for _ in range(offset):
            first = (first - timedelta(days=1)).replace(day=1)
        return datetime(first.year, first.month, 1, tzinfo=UTC)

    periods = [(month(36), month(0)), (month(12), month(0)), (month(5), month(2)), (month(20), month(19))]
    periods.append((month(3), month(0) + timedelta(days=400)))  # reaching past today, as the current year does
    scopes = []
    for start, end in periods:
        scopes += [
            Scope(None, "GM0599", start, end),
            Scope(city.teams[1].id, None, start, end),
            Scope(None, "BU05990001", start, end),
            Scope(city.teams[0].id, "WK059900", start, end),
        ]
    return scopes


@pytest.mark.parametrize("backend", BACKENDS)
def test_running_totals_match_the_rows(backend: str, tmp_path: Path) -> None:
    city = _build(random.Random(7))
    with empty_database(backend, tmp_path) as database_url:
        migrated(database_url)
        run_async(database_url, lambda s: _store(s, city))
        refreshed = run_async(database_url, rollups.refresh)
        assert refreshed is not None and refreshed.row_count > 0
        for scope in _scopes(city):
            totals = run_async(database_url, partial(read_totals, scope=scope, last_month=refreshed.last_month))
            expected = _expected(city, scope)
            assert _actual(totals, expected) == expected, scope


@pytest.mark.parametrize("backend", BACKENDS)
def test_lead_time_percentiles_are_read_from_whole_days(backend: str, tmp_path: Path) -> None:
    city = _build(random.Random(11))
    scope = Scope(None, "GM0599", NOW - timedelta(days=2000), NOW + timedelta(days=1))
    with empty_database(backend, tmp_path) as database_url:
        migrated(database_url)
        run_async(database_url, lambda s: _store(s, city))
        run_async(database_url, rollups.refresh)
        indicator = run_async(database_url, lambda s: lead_time(s, scope))
    days = sorted(
        int((c.closed_at - (c.first_signal_at or c.opened_at)).total_seconds() // 86400)
        for c in city.cases
        if c.status == "closed" and c.closed_at and c.buurt_code
    )
    cells = {c.key: c.value for c in indicator.cells}
    # percentile_disc: the first value at or past the fraction of the cases
    assert cells["median"] == days[-(-len(days) // 2) - 1]
    assert cells["p80"] == days[-(-len(days) * 4 // 5) - 1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_rebuild_replaces_the_totals(backend: str, tmp_path: Path) -> None:
    city = _build(random.Random(3))
    scope = Scope(None, "GM0599", NOW - timedelta(days=2000), NOW + timedelta(days=40))
    with empty_database(backend, tmp_path) as database_url:
        migrated(database_url)
        run_async(database_url, lambda s: _store(s, city))
        first = run_async(database_url, rollups.refresh)
        assert first is not None
        again = run_async(database_url, rollups.refresh)
        assert again is not None and again.row_count == first.row_count
        latest = run_async(database_url, rollups.latest)
        assert latest is not None and latest.id == again.id
        totals = run_async(database_url, lambda s: read_totals(s, scope, again.last_month))
        assert sum(totals.during("signals.source", s.value) for s in SignalSource) == sum(
            1 for s in city.signals if s.buurt_code
        )
