"""Benchmark: the authenticated whole-record read (`GET /v1/cases/{caseId}`) on PostgreSQL.

Generates a city of 100,000 households (with members, signals, cases, involvements, leads and plans)
straight into a fresh PostgreSQL database with COPY, starts the API under uvicorn on loopback, and
reads random cases the client's organisation is involved in over 32 concurrent connections.
Prints requests per second and p50/p99 latency. The load comes from wrk when it is installed
(`apt-get install wrk`), otherwise from an httpx client in this process. Run: `make bench`.
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from server_database import admin, database_dsn
from wijkregistratie.core.migrate import upgrade
from wijkregistratie.core.security import hash_secret

ORGANISATIONS = 12
PLAN = {
    "goals": [
        {
            "life_domain": "finances",
            "i_want": "Rust in mijn geldzaken",
            "i_can": "Post openen",
            "i_need": "Een betalingsregeling",
            "result": "Drie maanden zonder nieuwe achterstand",
            "target_date": "2026-12-01",
            "activities": [],
        }
    ],
    "network": [],
    "help_present": [],
}


def _now() -> datetime:
    return datetime.now(UTC)


async def generate(dsn: str, households: int, rng: random.Random) -> tuple[uuid.UUID, list[uuid.UUID], str]:
    """Fill the database; returns the benchmark client's organisation, its cases and its client secret."""
    connection = await asyncpg.connect(dsn)
    try:
        now = _now()
        organisations = [uuid.uuid4() for _ in range(ORGANISATIONS)]
        await connection.copy_records_to_table(
            "organisations",
            records=[
                (o, f"Organisatie {i}", "social_work", None, None, f"Contact {i}", "010-1234567", None, now)
                for i, o in enumerate(organisations)
            ],
            columns=[
                "id",
                "name",
                "kind",
                "kvk_number",
                "agb_code",
                "contact_name",
                "contact_phone",
                "contact_email",
                "created_at",
            ],
        )
        teams = [uuid.uuid4() for _ in range(10)]
        await connection.copy_records_to_table(
            "teams",
            records=[
                (t, f"Buurtteam {i}", "GM0599", json.dumps([f"WK0599{i:02d}"]), 3, now) for i, t in enumerate(teams)
            ],
            columns=["id", "name", "municipality_code", "area_codes", "first_contact_target_days", "created_at"],
        )
        professionals = [(uuid.uuid4(), rng.choice(organisations), rng.choice(teams)) for _ in range(400)]
        await connection.copy_records_to_table(
            "professionals",
            records=[
                (p, o, f"Professional {i}", None, "06-12345678", json.dumps(["finances"]), now)
                for i, (p, o, _) in enumerate(professionals)
            ],
            columns=["id", "organisation_id", "name", "email", "phone", "expertise", "created_at"],
        )
        await connection.copy_records_to_table(
            "team_memberships", records=[(t, p) for p, _, t in professionals], columns=["team_id", "professional_id"]
        )
        bench_organisation = organisations[0]
        bench_cases: list[uuid.UUID] = []
        batch = 10_000
        for start in range(0, households, batch):
            rows: dict[str, list[tuple[Any, ...]]] = {
                k: [] for k in ("households", "members", "signals", "cases", "involvements", "leads", "plans")
            }
            for n in range(start, min(start + batch, households)):
                household, team = uuid.uuid4(), teams[n % len(teams)]
                moment = now - timedelta(minutes=households - n)
                rows["households"].append(
                    (
                        household,
                        f"{1000 + n % 8999}AB",
                        n % 500 + 1,
                        str(n),
                        "Straat",
                        "Rotterdam",
                        f"BU0599{n % 100:04d}",
                        None,
                        None,
                        organisations[n % ORGANISATIONS],
                        moment,
                    )
                )
                for m in range(rng.randrange(1, 5)):
                    rows["members"].append(
                        (
                            uuid.uuid4(),
                            household,
                            "Voornaam",
                            f"Achternaam{n}",
                            date(1980, 1, 1) + timedelta(days=m),
                            "applicant" if m == 0 else "child",
                            None,
                            None,
                            None,
                            None,
                            moment,
                        )
                    )
                case_id = uuid.uuid4() if n % 5 != 0 else None  # a fifth still waits in triage
                rows["signals"].append(
                    (
                        uuid.uuid4(),
                        household,
                        team,
                        organisations[n % ORGANISATIONS],
                        None,
                        "school",
                        json.dumps(["finances"]),
                        "Zorgen over de huishouding.",
                        "normal",
                        True,
                        "accepted" if case_id else "open",
                        case_id,
                        moment,
                    )
                )
                if case_id is None:
                    continue
                rows["cases"].append(
                    (case_id, household, team, "active", moment, None, None, None, organisations[n % ORGANISATIONS], 2)
                )
                lead_professional, lead_organisation, _ = rng.choice(professionals)
                involved = {lead_organisation, *rng.sample(organisations, rng.randrange(1, 4))}
                if rng.random() < 0.2:
                    involved.add(bench_organisation)
                if bench_organisation in involved:
                    bench_cases.append(case_id)
                for organisation in involved:
                    role = "lead" if organisation == lead_organisation else "carries_out"
                    rows["involvements"].append(
                        (
                            uuid.uuid4(),
                            case_id,
                            organisation,
                            role,
                            "statutory_task",
                            "Wmo 2015",
                            f"R-{n}-{organisation.hex[:6]}",
                            moment.date(),
                            None,
                            1,
                            moment,
                        )
                    )
                rows["leads"].append(
                    (uuid.uuid4(), case_id, lead_professional, lead_organisation, moment, None, "bench")
                )
                rows["plans"].append((uuid.uuid4(), case_id, 1, json.dumps(PLAN), moment, lead_organisation, None))
            await connection.copy_records_to_table(
                "households",
                records=rows["households"],
                columns=[
                    "id",
                    "postcode",
                    "house_number",
                    "house_number_addition",
                    "street",
                    "city",
                    "buurt_code",
                    "phone",
                    "email",
                    "created_by_organisation_id",
                    "created_at",
                ],
            )
            await connection.copy_records_to_table(
                "members",
                records=rows["members"],
                columns=[
                    "id",
                    "household_id",
                    "given_names",
                    "surname",
                    "date_of_birth",
                    "role",
                    "bsn_hash",
                    "bsn_encrypted",
                    "phone",
                    "email",
                    "created_at",
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
                    "learning_note",
                    "opened_by_organisation_id",
                    "version",
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
                    "registered_by_professional_id",
                    "source",
                    "life_domains",
                    "description",
                    "urgency",
                    "resident_aware",
                    "status",
                    "case_id",
                    "registered_at",
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
                    "own_reference",
                    "since",
                    "until",
                    "version",
                    "created_at",
                ],
            )
            await connection.copy_records_to_table(
                "lead_assignments",
                records=rows["leads"],
                columns=[
                    "id",
                    "case_id",
                    "professional_id",
                    "organisation_id",
                    "started_at",
                    "ended_at",
                    "assigned_by_client_id",
                ],
            )
            await connection.copy_records_to_table(
                "plan_versions",
                records=rows["plans"],
                columns=[
                    "id",
                    "case_id",
                    "version",
                    "content",
                    "created_at",
                    "created_by_organisation_id",
                    "created_by_professional_id",
                ],
            )
        secret = uuid.uuid4().hex
        await connection.execute(
            "INSERT INTO api_clients (id, client_id, name, organisation_id, secret_hash, scopes, "
            "coordinated_team_ids, active, created_at) VALUES ($1, 'bench', 'bench', $2, $3, "
            "'record:read record:write', '[]', true, $4)",
            uuid.uuid4(),
            bench_organisation,
            hash_secret(secret),
            now,
        )
        await connection.execute("ANALYZE")
        return bench_organisation, bench_cases, secret
    finally:
        await connection.close()


async def load(
    base_url: str, secret: str, cases: list[uuid.UUID], concurrency: int, seconds: float, rng: random.Random
) -> dict[str, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        token = (
            await client.post(
                "/v1/oauth/token",
                data={"grant_type": "client_credentials", "client_id": "bench", "client_secret": secret},
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Purpose-Of-Use": "care"}
        for case_id in rng.sample(cases, min(200, len(cases))):  # warm up connections and caches
            (await client.get(f"/v1/cases/{case_id}", headers=headers)).raise_for_status()
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get(f"/v1/cases/{rng.choice(cases)}", headers=headers)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def load_with_wrk(
    wrk: str, base_url: str, token: str, cases: list[uuid.UUID], concurrency: int, seconds: float
) -> dict[str, float]:
    """wrk (C, event-driven) generates the load, so the client takes little of the two cores."""
    paths = ",".join(f'"/v1/cases/{c}"' for c in cases)
    script = (
        f"local paths = {{{paths}}}\n"
        f'local headers = {{["Authorization"] = "Bearer {token}", ["Purpose-Of-Use"] = "care"}}\n'
        "request = function() return wrk.format('GET', paths[math.random(#paths)], headers) end\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    output = subprocess.run(
        [wrk, "-t2", f"-c{concurrency}", f"-d{int(seconds)}s", "--latency", "-s", file.name, base_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(file.name)

    def milliseconds(label: str) -> float:
        value = re.search(rf"^\s+{label}\s+([0-9.]+)(us|ms|s)\s*$", output, re.M)
        assert value, output
        return float(value.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[value.group(2)]

    requests = re.search(r"([0-9]+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: ([0-9]+)", output)
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    assert requests and rps, output
    return {
        "requests": int(requests.group(1)),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
        "rps": float(rps.group(1)),
        "p50_ms": milliseconds("50%"),
        "p99_ms": milliseconds("99%"),
    }


async def _token(base_url: str, secret: str) -> str:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post(
            "/v1/oauth/token", data={"grant_type": "client_credentials", "client_id": "bench", "client_secret": secret}
        )
        return str(response.json()["access_token"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--keep", action="store_true", help="keep the generated database for inspection")
    parser.add_argument("--python-client", action="store_true", help="load with httpx even when wrk is installed")
    args = parser.parse_args()
    rng = random.Random(7)
    name = f"wr_bench_{uuid.uuid4().hex[:8]}"
    dsn = database_dsn(name)
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    server = None
    try:
        upgrade(dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
        began = time.perf_counter()
        _, cases, secret = asyncio.run(generate(dsn, args.households, rng))
        print(
            f"generated {args.households} households, {len(cases)} cases visible to the client, "
            f"in {time.perf_counter() - began:.0f} s"
        )
        port = 8765
        env = os.environ | {
            "DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://", 1),
            "WR_ENVIRONMENT": "test",
            "WR_RATE_LIMIT_PER_MINUTE": "10000000",  # one client is the whole load here
        }
        server_log = open(Path(tempfile.gettempdir()) / f"{name}-server.log", "w")  # noqa: SIM115 - lives with the server
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "wijkregistratie.main:create_app",
                "--factory",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base_url}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        wrk = shutil.which("wrk")
        if wrk and not args.python_client:
            token = asyncio.run(_token(base_url, secret))
            load_with_wrk(wrk, base_url, token, cases[:500], args.concurrency, 5)  # warm up
            result = load_with_wrk(wrk, base_url, token, cases, args.concurrency, args.seconds)
            client = "wrk"
        else:
            result = asyncio.run(load(base_url, secret, cases, args.concurrency, args.seconds, rng))
            client = "httpx"
        print(
            f"whole-record read, {args.households} households, {args.concurrency} connections ({client}), "
            f"{args.workers} API workers, {args.seconds:.0f} s:"
        )
        print(
            f"  {result['requests']} requests, {result['errors']} errors, {result['rps']:.0f} requests/s, "
            f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms"
        )
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
        if args.keep:
            print(f"kept the database {dsn} (the benchmark client is 'bench')")
        else:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
