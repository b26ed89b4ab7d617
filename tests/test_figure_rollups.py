"""The running totals answer exactly what counting the rows themselves answers, for any period and scope.

A small city with random dates over three years is written straight into the tables; after a rebuild, every
count the figures read from the totals (before disclosure control), and the sum of its records' keys, is
compared with the same count taken in Python from the rows that were written. Ended months stay final.
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
from wijkregistratie.figures.service import (
    LEAD_TIME_BANDS,
    ORGANISATION_BUCKETS,
    Scope,
    Tally,
    Totals,
    lead_time,
    read_totals,
)
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
                status="accepted" if n % 9 else "open",
                case_id=case.id,
                registered_at=registered,
                triaged_at=registered + timedelta(days=rng.uniform(0, 60)) if n % 9 else None,
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


def _age_bucket(days: int) -> str:
    return next(label for low, high, label in rollups.AGE_BUCKETS if high is None or days <= high)


Expected = dict[str, dict[str, Tally]]


def _tally(rows: list[tuple[str, Any, float]]) -> dict[str, Tally]:
    """(key, row with a record key, amount) per counted record, as the figures count them."""
    result: dict[str, Tally] = {}
    for key, row, amount in rows:
        result[key] = result.get(key, Tally()) + Tally(1, amount, row.record_key)
    return result


def _expected(city: City, scope: Scope) -> Expected:
    """The same counts and key sums, taken from the rows themselves."""

    def in_scope(row: Any) -> bool:
        if scope.team_id and row.team_id != scope.team_id:
            return False
        return not scope.area_code or (row.buurt_code or "").startswith(f"BU{scope.area_code[2:]}")

    start = datetime(scope.start.year, scope.start.month, 1, tzinfo=UTC)
    end = datetime(scope.end.year, scope.end.month, 1, tzinfo=UTC)

    def within(moment: datetime | None) -> bool:
        return moment is not None and start <= moment < end

    targets = {t.id: t.first_contact_target_days for t in city.teams}
    signals = [s for s in city.signals if in_scope(s)]
    registered = [s for s in signals if within(s.registered_at)]
    cases = [c for c in city.cases if in_scope(c)]
    closed = [c for c in cases if c.status == "closed" and within(c.closed_at)]
    due = []
    for s in signals:
        deadline = s.registered_at.date() + timedelta(days=targets[s.team_id])
        if scope.start <= deadline < scope.end:
            due.append(("within" if s.first_contact_on and s.first_contact_on <= deadline else "late", s, 0.0))
    waiting = [s for s in signals if s.registered_at < end and (s.triaged_at is None or s.triaged_at >= end)]
    closed_ids = {c.id: c for c in closed}
    scored = [
        (
            f"{a.domain}.{_score_class(a.latest_score - a.first_score)}",
            closed_ids[a.case_id],
            a.latest_score - a.first_score,
        )
        for a in city.scores
        if a.case_id in closed_ids and a.instrument_version == "2017" and a.measurements >= 2
    ]
    return {
        "signals.source": _tally([(s.source, s, 0.0) for s in registered]),
        "signals.domain": _tally([(d, s, 0.0) for s in registered for d in s.life_domains]),
        "signals.contacted": _tally(due),
        "cases.opened": _tally([("", c, 0.0) for c in cases if within(c.opened_at)]),
        "cases.closed": _tally([(c.closure_reason or "", c, 0.0) for c in closed]),
        "cases.handled": _tally([(c.handled_by or "", c, 0.0) for c in closed]),
        "cases.organisations": _tally(
            [(_bucket(c.organisations_involved), c, c.organisations_involved) for c in closed]
        ),
        "scores.closed": _tally(scored),
        "active_at_end": _tally(
            [("", c, 0.0) for c in cases if c.opened_at < end and (c.closed_at is None or c.closed_at >= end)]
        ),
        "waiting": _tally([(_age_bucket((scope.end - s.registered_at.date()).days), s, 0.0) for s in waiting]),
    }


def _score_class(change: int) -> str:
    return "improved" if change > 0 else "unchanged" if change == 0 else "worsened"


def _actual(totals: Totals, expected: Expected) -> Expected:
    keys = {m: sorted({k for mm, k, _ in totals.rows if mm == m} | set(expected[m])) for m in expected}
    actual: Expected = {
        measure: {k: t for k in keys[measure] if (t := totals.during(measure, k)).count}
        for measure in expected
        if measure not in ("active_at_end", "waiting")
    }
    actual["active_at_end"] = {"": t} if (t := totals.active_at_end()).count else {}
    actual["waiting"] = {
        label: t for _, _, label in rollups.AGE_BUCKETS if (t := totals.state_at_end("waiting", label)).count
    }
    return actual


def _rounded(tallies: Expected) -> Expected:
    return {m: {k: Tally(t.count, round(t.amount, 6), t.key_sum) for k, t in v.items()} for m, v in tallies.items()}


def _month(offset: int) -> date:
    first = date(NOW.year, NOW.month, 1)
    for _ in range(offset):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def _scopes(city: City) -> list[Scope]:
    periods = [(_month(36), _month(0)), (_month(12), _month(0)), (_month(5), _month(2)), (_month(20), _month(19))]
    scopes = []
    for start, end in periods:
        scopes += [
            Scope(None, "GM0599", start, end),
            Scope(city.teams[1].id, None, start, end),
            Scope(None, "BU05990001", start, end),
            Scope(None, "WK059900", start, end),
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
        assert refreshed.final_before == _month(0)
        for scope in _scopes(city):
            totals = run_async(database_url, partial(read_totals, scope=scope))
            expected = _rounded(_expected(city, scope))
            assert _rounded(_actual(totals, expected)) == expected, scope


@pytest.mark.parametrize("backend", BACKENDS)
def test_lead_times_are_counted_in_bands(backend: str, tmp_path: Path) -> None:
    city = _build(random.Random(11))
    scope = Scope(None, "GM0599", _month(60), _month(0))
    with empty_database(backend, tmp_path) as database_url:
        migrated(database_url)
        run_async(database_url, lambda s: _store(s, city))
        run_async(database_url, rollups.refresh)
        indicator = run_async(database_url, lambda s: lead_time(s, scope))
    closed = [
        c
        for c in city.cases
        if c.status == "closed"
        and c.closed_at
        and c.buurt_code
        and c.closed_at < NOW.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    ]
    expected: Counter[str] = Counter()
    for c in closed:
        days = int((c.closed_at - (c.first_signal_at or c.opened_at)).total_seconds() // 86400)  # type: ignore[operator]
        expected[next(label for _, last, label in LEAD_TIME_BANDS if days <= last or label == "366+")] += 1
    cells = {c.key: c for c in indicator.cells}
    for _, _, label in LEAD_TIME_BANDS:
        published = cells[label].value
        assert published is not None and abs(published - expected[label]) <= 3, label
    assert indicator.total is not None and abs((indicator.total.value or 0) - len(closed)) <= 3
    median = cells["median"].value
    assert median is not None and 0 <= median <= 730


async def _add_signal_in(session: Any, city: City, month: date) -> None:
    signal = city.signals[0]
    session.add(
        Signal(
            household_id=signal.household_id,
            team_id=signal.team_id,
            reporting_organisation_id=signal.reporting_organisation_id,
            source="police",
            life_domains=["justice"],
            description="x",
            registered_at=datetime(month.year, month.month, 2, tzinfo=UTC),
            buurt_code="BU05990001",
        )
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_ended_months_stay_final(backend: str, tmp_path: Path) -> None:
    """A record written into an ended month later changes nothing published; only a full rebuild takes it in."""
    city = _build(random.Random(3))
    scope = Scope(None, "GM0599", _month(3), _month(2))
    with empty_database(backend, tmp_path) as database_url:
        migrated(database_url)
        run_async(database_url, lambda s: _store(s, city))
        first = run_async(database_url, rollups.refresh)
        before = run_async(database_url, partial(read_totals, scope=scope))
        run_async(database_url, lambda s: _add_signal_in(s, city, _month(3)))
        again = run_async(database_url, rollups.refresh)
        assert first is not None and again is not None and again.final_before == first.final_before
        latest = run_async(database_url, rollups.latest)
        assert latest is not None and latest.id == again.id
        after = run_async(database_url, partial(read_totals, scope=scope))
        assert after.during("signals.source", "police") == before.during("signals.source", "police")
        assert after.rows == before.rows
        run_async(database_url, partial(rollups.refresh, full=True))
        rebuilt = run_async(database_url, partial(read_totals, scope=scope))
        assert rebuilt.during("signals.source", "police").count == before.during("signals.source", "police").count + 1
