"""Benchmark: the API's read and write paths beside a same-stack peer and a bare endpoint, in one run.

Generates a city of 100,000 households (with members, signals, cases, involvements, leads and plans) and
as many items for the peer (`peer.py`) straight into a fresh PostgreSQL database with COPY. Then, one
server at a time on loopback, each with the same number of uvicorn workers, wrk loads: the bare endpoint
and the peer's authenticated item read; the whole-record read (random cases the client's organisation is
involved in), an organisation's case list and signal registration with match, event and access log.
Prints requests/s, p50, p99 and the CPU the server processes and the PostgreSQL backends spent per
request, so the ratios hold on a noisy machine; and the API workers' memory after the load. Run:
`make bench`.
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from peer import token as peer_token
from server_database import admin, database_dsn
from wijkregistratie.core.columns import RECORD_KEY_RANGE
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


@dataclass
class City:
    cases: list[uuid.UUID]  # the cases the benchmark client's organisation is involved in
    secret: str  # the benchmark client's secret
    team: uuid.UUID  # a team signals are registered for
    items: list[uuid.UUID]  # the peer's items, all of one owner
    owner: uuid.UUID


async def generate(dsn: str, households: int, rng: random.Random) -> City:
    """Fill the database: the city for the API, and as many items for the peer."""
    connection = await asyncpg.connect(dsn)
    try:
        now = _now()
        organisations = [uuid.uuid4() for _ in range(ORGANISATIONS)]
        await connection.execute(
            "INSERT INTO municipalities (code, name, version, created_at, updated_at) VALUES ($1, $2, 1, $3, $3)",
            "GM0599",
            "Rotterdam",
            now,
        )
        await connection.copy_records_to_table(
            "organisations",
            records=[
                (o, f"Organisatie {i}", "social_work", f"Contact {i}", "010-1234567", now, now, 1)
                for i, o in enumerate(organisations)
            ],
            columns=["id", "name", "kind", "contact_name", "contact_phone", "created_at", "updated_at", "version"],
        )
        teams = [uuid.uuid4() for _ in range(10)]
        await connection.copy_records_to_table(
            "teams",
            records=[
                (t, f"Buurtteam {i}", "GM0599", json.dumps([f"WK0599{i:02d}"]), 3, 730, 90, 10, 1, now, now)
                for i, t in enumerate(teams)
            ],
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
        )
        # The benchmark client's organisation takes part in the first team, so it may register signals there.
        professionals = [(uuid.uuid4(), organisations[0], teams[0])]
        professionals += [(uuid.uuid4(), rng.choice(organisations), rng.choice(teams)) for _ in range(399)]
        await connection.copy_records_to_table(
            "professionals",
            records=[
                (p, o, f"Professional {i}", "06-12345678", json.dumps(["finances"]), now, now, 1)
                for i, (p, o, _) in enumerate(professionals)
            ],
            columns=["id", "organisation_id", "name", "phone", "expertise", "created_at", "updated_at", "version"],
        )
        await connection.copy_records_to_table(
            "team_memberships", records=[(t, p) for p, _, t in professionals], columns=["team_id", "professional_id"]
        )
        await connection.copy_records_to_table(
            "team_organisations",
            records=[(uuid.uuid4(), t, o, date(2020, 1, 1)) for t, o in sorted({(t, o) for _, o, t in professionals})],
            columns=["id", "team_id", "organisation_id", "since"],
        )
        bench_organisation = organisations[0]
        bench_cases: list[uuid.UUID] = []
        batch = 10_000
        for start in range(0, households, batch):
            rows: dict[str, list[tuple[Any, ...]]] = {
                k: [] for k in ("households", "members", "signals", "cases", "involvements", "leads", "plans")
            }
            for n in range(start, min(start + batch, households)):
                team_index = n % len(teams)
                household, team = uuid.uuid4(), teams[team_index]
                moment = now - timedelta(minutes=households - n)
                buurt = f"BU0599{team_index:02d}{n // len(teams) % 10:02d}"  # in the team's district
                rows["households"].append(
                    (
                        household,
                        f"{1000 + n % 8999}AB",
                        n % 500 + 1,
                        str(n),
                        "Straat",
                        "Rotterdam",
                        buurt,
                        organisations[n % ORGANISATIONS],
                        moment,
                        moment,
                        1,
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
                            moment,
                            moment,
                            1,
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
                        buurt,
                        rng.randrange(RECORD_KEY_RANGE),
                        moment if case_id else None,
                    )
                )
                if case_id is None:
                    continue
                rows["cases"].append(
                    (
                        case_id,
                        household,
                        team,
                        "active",
                        moment,
                        organisations[n % ORGANISATIONS],
                        2,
                        buurt,
                        moment,
                        rng.randrange(RECORD_KEY_RANGE),
                    )
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
                    "created_by_organisation_id",
                    "created_at",
                    "updated_at",
                    "version",
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
                    "opened_by_organisation_id",
                    "version",
                    "buurt_code",
                    "first_signal_at",
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
                    "registered_by_professional_id",
                    "source",
                    "life_domains",
                    "description",
                    "urgency",
                    "resident_aware",
                    "status",
                    "case_id",
                    "registered_at",
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
            "coordinated_team_ids, active, created_at, updated_at, version) VALUES ($1, 'bench', 'bench', $2, $3, "
            "'record:read record:write', '[]', true, $4, $4, 1)",
            uuid.uuid4(),
            bench_organisation,
            hash_secret(secret),
            now,
        )
        owner, items = uuid.uuid4(), [uuid.uuid4() for _ in range(households)]
        await connection.execute(
            "CREATE TABLE peer_items (id uuid PRIMARY KEY, title varchar(255) NOT NULL, "
            "description varchar(255), owner_id uuid NOT NULL)"
        )
        await connection.copy_records_to_table(
            "peer_items",
            records=[(i, f"Item {n}", "Een beschrijving van dit item", owner) for n, i in enumerate(items)],
            columns=["id", "title", "description", "owner_id"],
        )
        await connection.execute("ANALYZE")
        return City(bench_cases, secret, teams[0], items, owner)
    finally:
        await connection.close()


@dataclass
class Row:
    path: str
    connections: int
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    api_cpu_ms: float  # CPU of the serving processes per request
    db_cpu_ms: float  # CPU of the PostgreSQL backends per request


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone in between
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _process_tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(p for child in children for p in _process_tree(int(child)))]


def _rss_mb(pids: list[int]) -> list[float]:
    sizes = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        found = re.search(r"^VmRSS:\s+([0-9]+) kB", status, re.M)
        sizes.append(int(found.group(1)) / 1024 if found else 0.0)
    return sizes


async def _backends(dsn: str) -> list[int]:
    connection = await asyncpg.connect(dsn)
    try:
        name = dsn.rsplit("/", 1)[1]
        rows = await connection.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", name)
        return [r["pid"] for r in rows if r["pid"] != connection.get_server_pid()]
    finally:
        await connection.close()


def _lua(method: str, paths: list[str], headers: dict[str, str], body: str | None) -> str:
    """A wrk script: each request one of `paths`; in a body, `"{number}"` and `{addition}` make an address no
    other request of the run has (`{base}` is set per run)."""
    listed = ",".join(json.dumps(p) for p in paths)
    header_table = ",".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    script = f"local paths = {{{listed}}}\nlocal headers = {{{header_table}}}\nlocal counter = 0\n"
    script += "local threads = 0\nfunction setup(thread) thread:set('offset', {base} + threads * 1000) "
    script += "threads = threads + 1 end\n"
    send = f"wrk.format({json.dumps(method)}, paths[math.random(#paths)], headers"
    if body is None:
        return script + f"request = function() return {send}) end\n"
    template = (
        json.dumps(body)
        .replace('\\"{number}\\"', '" .. (counter % 99999 + 1) .. "')
        .replace("{addition}", "\" .. string.format('%06d', offset + math.floor(counter / 99999)) .. \"")
    )
    return script + f"request = function()\n  counter = counter + 1\n  return {send}, {template})\nend\n"


def run_wrk(server_pid: int, dsn: str, base_url: str, script: str, connections: int, seconds: float) -> Row:
    """Load from wrk (C, event-driven, so the client takes little of the cores), with the CPU the server
    processes and the database's backends spent meanwhile."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script.replace("{base}", str(random.randrange(900_000))))
    servers = _process_tree(server_pid)
    before = {p: _cpu_seconds(p) for p in [*servers, *asyncio.run(_backends(dsn))]}
    wrk = shutil.which("wrk") or "wrk"
    output = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s", file.name, base_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    backends = asyncio.run(_backends(dsn))
    after = {p: _cpu_seconds(p) for p in [*servers, *backends]}
    os.unlink(file.name)

    def milliseconds(label: str) -> float:
        value = re.search(rf"^\s+{label}\s+([0-9.]+)(us|ms|s)\s*$", output, re.M)
        assert value, output
        return float(value.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[value.group(2)]

    requests = re.search(r"([0-9]+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: ([0-9]+)", output)
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    assert requests and rps, output
    count = max(int(requests.group(1)), 1)

    def spent(pids: list[int]) -> float:
        return sum(after.get(p, 0.0) - before.get(p, 0.0) for p in pids) * 1000 / count

    return Row(
        path="",
        connections=connections,
        requests=count,
        errors=int(non_2xx.group(1)) if non_2xx else 0,
        rps=float(rps.group(1)),
        p50_ms=milliseconds("50%"),
        p99_ms=milliseconds("99%"),
        api_cpu_ms=spent(servers),
        db_cpu_ms=spent(backends),
    )


def serve(application: str, port: int, workers: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            application,
            "--factory",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=os.environ | env,
        cwd=Path(__file__).parent,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(150):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/bare", timeout=1).status_code < 500:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return server


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)
    server.wait(timeout=30)


def _token(base_url: str, secret: str) -> str:
    response = httpx.post(
        f"{base_url}/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "bench", "client_secret": secret},
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


SIGNAL = {
    "household": {
        "address": {
            "postcode": "3072AB",
            "houseNumber": "{number}",
            "houseNumberAddition": "{addition}",
            "street": "Straat",
            "city": "Rotterdam",
            "buurtCode": "BU05990001",
        },
        "members": [{"givenNames": "Anouk", "surname": "Jansen", "dateOfBirth": "1986-04-17", "role": "applicant"}],
    },
    "source": "school",
    "lifeDomains": ["finances"],
    "description": "Zorgen over de huur.",
    "residentAware": True,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes of each server")
    parser.add_argument("--keep", action="store_true", help="keep the generated database for inspection")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian: apt-get install wrk; `make bench` installs it)")
    rng = random.Random(7)
    name = f"wr_bench_{uuid.uuid4().hex[:8]}"
    dsn = database_dsn(name)
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    logs = Path(tempfile.gettempdir())
    rows: list[Row] = []
    memory: list[float] = []
    try:
        upgrade(dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
        began = time.perf_counter()
        city = asyncio.run(generate(dsn, args.households, rng))
        print(
            f"generated {args.households} households, {len(city.cases)} cases visible to the client, "
            f"in {time.perf_counter() - began:.0f} s; load average {os.getloadavg()[0]:.2f}"
        )
        asyncpg_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)

        def measure(label: str, server: subprocess.Popen[bytes], base_url: str, script: str, connections: int) -> None:
            run_wrk(server.pid, dsn, base_url, script, connections, 3)  # warm up connections and caches
            row = run_wrk(server.pid, dsn, base_url, script, connections, args.seconds)
            row.path = label
            rows.append(row)
            print(
                f"  {label}: {row.rps:.0f} req/s, p50 {row.p50_ms:.1f} ms, p99 {row.p99_ms:.1f} ms, "
                f"{row.api_cpu_ms:.2f} + {row.db_cpu_ms:.2f} CPU-ms, {row.errors} errors",
                flush=True,
            )

        secret = uuid.uuid4().hex
        peer = serve(
            "peer:create_app",
            8766,
            args.workers,
            {"PEER_DATABASE_URL": asyncpg_url, "PEER_SECRET": secret},
            logs / f"{name}-peer.log",
        )
        try:
            peer_url = "http://127.0.0.1:8766"
            measure("bare FastAPI `GET /bare`", peer, peer_url, _lua("GET", ["/bare"], {}, None), 32)
            headers = {"Authorization": f"Bearer {peer_token(secret, city.owner)}"}
            items = [f"/items/{i}" for i in city.items[:20_000]]
            measure("same-stack peer `GET /items/{id}`", peer, peer_url, _lua("GET", items, headers, None), 32)
        finally:
            stop(peer)
        api = serve(
            "wijkregistratie.main:create_app",
            8765,
            args.workers,
            {
                "DATABASE_URL": asyncpg_url,
                "WR_ENVIRONMENT": "test",
                "WR_RATE_LIMIT_PER_MINUTE": "100000000",  # one client is the whole load here
                "WR_SIGNAL_RATE_LIMIT_PER_MINUTE": "100000000",
            },
            logs / f"{name}-api.log",
        )
        try:
            api_url = "http://127.0.0.1:8765"
            headers = {"Authorization": f"Bearer {_token(api_url, city.secret)}", "Purpose-Of-Use": "care"}
            records = [f"/v1/cases/{c}" for c in city.cases[:20_000]]
            measure("P1 whole record `GET /v1/cases/{id}`", api, api_url, _lua("GET", records, headers, None), 32)
            lists = _lua("GET", ["/v1/cases?limit=20"], headers, None)
            measure("P2 case list `GET /v1/cases`", api, api_url, lists, 16)
            body = json.dumps(SIGNAL | {"teamId": str(city.team)})
            posting = headers | {"Content-Type": "application/json"}
            first = body.replace('"{number}"', "1").replace("{addition}", "FIRST")
            answer = httpx.post(f"{api_url}/v1/signals", content=first, headers=posting)
            assert answer.status_code == 201, answer.text  # a row of errors would measure nothing
            measure("P3 signal `POST /v1/signals`", api, api_url, _lua("POST", ["/v1/signals"], posting, body), 16)
            memory = _rss_mb(_process_tree(api.pid)[1:])
        finally:
            stop(api)
    finally:
        if args.keep:
            print(f"kept the database {dsn} (the benchmark client is 'bench')")
        else:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"\n{args.households} households, {args.workers} uvicorn workers each, wrk for {args.seconds:.0f} s per row")
    print("| path | connections | requests/s | p50 | p99 | API CPU-ms per request | PostgreSQL CPU-ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row.path} | {row.connections} | {row.rps:,.0f} | {row.p50_ms:.1f} ms | {row.p99_ms:.1f} ms | "
            f"{row.api_cpu_ms:.2f} | {row.db_cpu_ms:.2f} | {row.errors} |"
        )
    peer_row, record_row = rows[1], rows[2]
    print(
        f"P1: {record_row.rps / peer_row.rps:.2f}x the peer's throughput, "
        f"{record_row.api_cpu_ms / peer_row.api_cpu_ms:.2f}x its API CPU per request"
    )
    print(f"P7: API worker memory after the load: {', '.join(f'{m:.0f} MB' for m in memory)} RSS")


if __name__ == "__main__":
    main()
