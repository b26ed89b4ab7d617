"""Benchmark: the full indicator set for a whole municipality and one year, on PostgreSQL.

Generates a realistic city straight into a fresh database with COPY: cases over ten years, each with its
household, one or two signals, involved organisations, sometimes a referral, and two assessments; then
times `figures.service.compute` (the same call the API makes: SQL aggregation plus disclosure control)
for the last full year. Prints the median of several runs for each size. Run: `make bench-figures`.
"""

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from server_database import admin, database_dsn
from wijkregistratie.core.columns import RECORD_KEY_RANGE
from wijkregistratie.core.database import create_engine, create_sessionmaker
from wijkregistratie.core.migrate import upgrade
from wijkregistratie.figures.rollups import refresh
from wijkregistratie.figures.service import compute

SOURCES = [
    "general_practitioner",
    "school",
    "housing_corporation",
    "police",
    "nuisance_desk",
    "volunteer_information_point",
    "youth_care_report",
    "self_referral",
    "team_organisation",
]
DOMAINS = [
    "finances",
    "work_and_education",
    "time_use",
    "housing",
    "domestic_relations",
    "mental_health",
    "physical_health",
    "substance_use",
    "basic_adl",
    "instrumental_adl",
    "social_network",
    "social_participation",
    "justice",
]
REASONS = ["handled_by_team"] * 5 + ["goal_reached"] * 3 + ["referred_to_specialist_care"] * 2 + ["moved", "other"]
YEARS = 10


async def generate(dsn: str, cases: int, rng: random.Random) -> int:
    """Fill the database; returns the last full year in it."""
    connection = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    try:
        await connection.execute(
            "INSERT INTO municipalities (code, name, version, created_at, updated_at) VALUES ($1, $2, 1, $3, $3)",
            "GM0599",
            "Rotterdam",
            now,
        )
        organisations = [uuid.uuid4() for _ in range(30)]
        await connection.copy_records_to_table(
            "organisations",
            columns=["id", "name", "kind", "created_at", "updated_at", "version"],
            records=[(o, f"Organisatie {i}", "social_work", now, now, 1) for i, o in enumerate(organisations)],
        )
        teams = [uuid.uuid4() for _ in range(20)]
        await connection.copy_records_to_table(
            "teams",
            columns=[
                "id",
                "name",
                "municipality_code",
                "area_codes",
                "first_contact_target_days",
                "returning_household_days",
                "match_valid_days",
                "referral_answer_days",
                "version",
                "created_at",
                "updated_at",
            ],
            records=[
                (t, f"Team {i}", "GM0599", json.dumps([f"WK0599{i:02d}"]), 3, 730, 90, 10, 1, now, now)
                for i, t in enumerate(teams)
            ],
        )
        batch = 20_000
        for start in range(0, cases, batch):
            rows: dict[str, list[tuple[Any, ...]]] = {
                k: []
                for k in (
                    "households",
                    "cases",
                    "signals",
                    "involvements",
                    "referrals",
                    "assessments",
                    "assessment_changes",
                )
            }
            for n in range(start, min(start + batch, cases)):
                team_index = n % len(teams)
                household, case_id = uuid.uuid4(), uuid.uuid4()
                registered = now - timedelta(days=rng.uniform(20, 365 * YEARS), hours=rng.uniform(0, 24))
                owner = organisations[n % len(organisations)]
                buurt = f"BU0599{team_index:02d}{n // len(teams) % 5:02d}"  # five neighbourhoods per district
                rows["households"].append(
                    (household, "3072AB", n % 400 + 1, str(n), buurt, owner, registered, registered, 1)
                )
                opened = registered + timedelta(days=rng.randrange(1, 6))
                closed = opened + timedelta(days=rng.randrange(10, 400)) if rng.random() < 0.85 else None
                closed = closed if closed and closed < now else None
                reason = rng.choice(REASONS) if closed else None
                handled = ("specialist_care" if reason == "referred_to_specialist_care" else "team") if closed else None
                involved = rng.sample(organisations, rng.randrange(1, 5))
                rows["cases"].append(
                    (
                        case_id,
                        household,
                        teams[team_index],
                        "closed" if closed else "active",
                        opened,
                        closed,
                        reason,
                        handled,
                        owner,
                        2,
                        buurt,
                        registered,
                        len(involved),
                        rng.randrange(RECORD_KEY_RANGE),
                    )
                )
                for signal_number in range(1 if rng.random() < 0.8 else 2):
                    contact = (registered + timedelta(days=rng.choice([1, 2, 2, 3, 4, 6]))).date()
                    rows["signals"].append(
                        (
                            uuid.uuid4(),
                            household,
                            teams[team_index],
                            owner,
                            rng.choice(SOURCES),
                            json.dumps(rng.sample(DOMAINS, rng.randrange(1, 3))),
                            "Zorgen.",
                            "normal",
                            True,
                            "accepted",
                            case_id,
                            registered + timedelta(hours=signal_number),
                            contact,
                            1,
                            buurt,
                            rng.randrange(RECORD_KEY_RANGE),
                            opened,
                        )
                    )
                for organisation in involved:
                    rows["involvements"].append(
                        (
                            uuid.uuid4(),
                            case_id,
                            organisation,
                            "carries_out",
                            "statutory_task",
                            "Wmo 2015",
                            opened.date(),
                            1,
                            opened,
                        )
                    )
                if rng.random() < 0.2:
                    rows["referrals"].append(
                        (
                            uuid.uuid4(),
                            case_id,
                            owner,
                            rng.choice(organisations),
                            "Schulden.",
                            "consent",
                            "x",
                            "completed",
                            1,
                            opened,
                            opened,
                        )
                    )
                domains = rng.sample(DOMAINS, 3)
                first = {d: rng.randrange(1, 4) for d in domains}
                latest = {d: min(5, s + rng.randrange(0, 3)) for d, s in first.items()}
                for kind_offset, scores in ((0, first), (60, latest)):
                    rows["assessments"].append(
                        (
                            uuid.uuid4(),
                            case_id,
                            "zrm",
                            "2017",
                            "measured",
                            (opened + timedelta(days=kind_offset)).date(),
                            json.dumps(scores),
                            owner,
                            opened + timedelta(days=kind_offset),
                        )
                    )
                rows["assessment_changes"] += [
                    (case_id, "2017", d, opened.date(), first[d], (opened + timedelta(days=60)).date(), latest[d], 2)
                    for d in domains
                ]
            await connection.copy_records_to_table(
                "households",
                records=rows["households"],
                columns=[
                    "id",
                    "postcode",
                    "house_number",
                    "house_number_addition",
                    "buurt_code",
                    "created_by_organisation_id",
                    "created_at",
                    "updated_at",
                    "version",
                ],
            )
            await connection.copy_records_to_table(
                "cases",
                records=rows["cases"],
                columns=[
                    "id",
                    "household_id",
                    "team_id",
                    "status",
                    "opened_at",
                    "closed_at",
                    "closure_reason",
                    "handled_by",
                    "opened_by_organisation_id",
                    "version",
                    "buurt_code",
                    "first_signal_at",
                    "organisations_involved",
                    "record_key",
                ],
            )
            await connection.copy_records_to_table(
                "signals",
                records=rows["signals"],
                columns=[
                    "id",
                    "household_id",
                    "team_id",
                    "reporting_organisation_id",
                    "source",
                    "life_domains",
                    "description",
                    "urgency",
                    "resident_aware",
                    "status",
                    "case_id",
                    "registered_at",
                    "first_contact_on",
                    "version",
                    "buurt_code",
                    "record_key",
                    "triaged_at",
                ],
            )
            await connection.copy_records_to_table(
                "involvements",
                records=rows["involvements"],
                columns=[
                    "id",
                    "case_id",
                    "organisation_id",
                    "role",
                    "basis",
                    "basis_reference",
                    "since",
                    "version",
                    "created_at",
                ],
            )
            await connection.copy_records_to_table(
                "referrals",
                records=rows["referrals"],
                columns=[
                    "id",
                    "case_id",
                    "from_organisation_id",
                    "to_organisation_id",
                    "reason",
                    "basis",
                    "basis_reference",
                    "status",
                    "version",
                    "created_at",
                    "updated_at",
                ],
            )
            await connection.copy_records_to_table(
                "assessments",
                records=rows["assessments"],
                columns=[
                    "id",
                    "case_id",
                    "instrument",
                    "instrument_version",
                    "kind",
                    "assessed_on",
                    "scores",
                    "organisation_id",
                    "created_at",
                ],
            )
            await connection.copy_records_to_table(
                "assessment_changes",
                records=rows["assessment_changes"],
                columns=[
                    "case_id",
                    "instrument_version",
                    "domain",
                    "first_on",
                    "first_score",
                    "latest_on",
                    "latest_score",
                    "measurements",
                ],
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return now.year - 1


async def rebuild(database_url: str) -> float:
    """Bring the running totals up to date, as the worker does (the first time in full); returns seconds."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            began = time.perf_counter()
            await refresh(session)
            await session.commit()
            return time.perf_counter() - began
    finally:
        await engine.dispose()


async def measure(database_url: str, year: int, runs: int) -> list[float]:
    engine = create_engine(database_url)
    timings = []
    try:
        for _ in range(runs + 1):
            async with create_sessionmaker(engine)() as session:
                began = time.perf_counter()
                figures = await compute(session, "GM0599", None, "GM0599", None, str(year), [])
                timings.append((time.perf_counter() - began) * 1000)
                assert len(figures.indicators) == 10
    finally:
        await engine.dispose()
    return timings[1:]  # the first run warms the caches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated databases (their names are printed)")
    parser.add_argument("--database", help="measure this already generated database instead of generating")
    args = parser.parse_args()
    if args.database:
        database_url = database_dsn(args.database).replace("postgresql://", "postgresql+asyncpg://", 1)
        upgrade(database_url)
        rebuilt = asyncio.run(rebuild(database_url))
        timings = asyncio.run(measure(database_url, datetime.now(UTC).year - 1, args.runs))
        print(
            f"{args.database}: rebuilt in {rebuilt:.1f}s; median {statistics.median(timings):.0f}ms, "
            f"min {min(timings):.0f}ms, max {max(timings):.0f}ms"
        )
        return
    print(
        f"{'cases':>10} {'generated in':>13} {'rebuilt in':>12} {'refreshed in':>12} {'median':>9} {'min':>9} "
        f"{'max':>9}"
        "   (whole municipality, one year)"
    )
    for size in args.cases:
        name = f"wr_bench_figures_{uuid.uuid4().hex[:8]}"
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        dsn = database_dsn(name)
        database_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        try:
            upgrade(database_url)
            began = time.perf_counter()
            year = asyncio.run(generate(dsn, size, random.Random(size)))
            generated = time.perf_counter() - began
            rebuilt = asyncio.run(rebuild(database_url))
            refreshed = asyncio.run(rebuild(database_url))  # from the final months on, as the worker does
            timings = asyncio.run(measure(database_url, year, args.runs))
            print(
                f"{size:>10} {generated:>12.0f}s {rebuilt:>11.1f}s {refreshed:>11.1f}s "
                f"{statistics.median(timings):>7.0f}ms {min(timings):>7.0f}ms {max(timings):>7.0f}ms",
                flush=True,
            )
        finally:
            if args.keep:
                print(f"kept database {name}", flush=True)
            else:
                asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
