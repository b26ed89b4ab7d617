"""A database that goes away answers 503 with Retry-After, never 500, and the API recovers by itself; and
registrations racing for the same new household land on one.

A PostgreSQL server of the test's own (initdb in a temporary directory, on a port of its own) serves the
API while callers read and write; the server is stopped for a few seconds and started again. Every answer
in between is a success or a 503 problem with `Retry-After`: in the routes, in the access log's own
transaction, in the idempotency record and in the token endpoint alike.
"""

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from tests.conftest import (
    Caller,
    Server,
    World,
    free_port,
    new_address,
    new_member,
    run_async,
    settings_for_tests,
)
from wijkregistratie.core.migrate import upgrade
from wijkregistratie.demo.seed import seed_demo

DEMO_NEIGHBOURHOOD = "BU05991501"  # in the demo's first team's district


@dataclass
class PrivatePostgres:
    binaries: Path
    data: Path
    port: int
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *arguments: str) -> None:
        subprocess.run(
            [*self.run_as, str(self.binaries / "pg_ctl"), "-D", str(self.data), *arguments],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg_ctl("-o", options, "-l", str(self.data / "server.log"), "-w", "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
    assert found[-1], "PostgreSQL's server binaries are needed (tests/machine.sh installs them)"
    binaries = Path(found[-1]).parent
    # initdb refuses to run as root: as root, the server runs as the postgres user in a directory of its own.
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    directory = Path(tempfile.mkdtemp(prefix="wr-outage-"))
    directory.chmod(0o755)
    data = directory / "data"
    data.mkdir()
    if run_as:
        shutil.chown(data, "postgres", "postgres")
    server = PrivatePostgres(binaries, data, free_port(), run_as)
    subprocess.run(
        [*run_as, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def _answered(url: str, attempts: int = 100) -> None:
    async def ping() -> None:
        connection = await asyncpg.connect(url.replace("+asyncpg", ""))
        await connection.close()

    for _ in range(attempts):
        try:
            asyncio.run(ping())
            return
        except (OSError, asyncpg.PostgresError):
            time.sleep(0.1)
    raise AssertionError("the private PostgreSQL server does not answer")


def test_a_database_restart_answers_503_and_the_api_recovers() -> None:
    with private_postgres() as postgres:
        _answered(postgres.url)
        upgrade(postgres.url)
        settings = settings_for_tests(postgres.url)
        credentials = run_async(postgres.url, lambda s: seed_demo(s, settings))
        partner = credentials["partner"]
        with Server(settings) as server:
            answers: list[tuple[str, int, str, str | None]] = []
            odd: list[str] = []
            stop = threading.Event()

            def load(worker: int) -> None:
                with httpx.Client(base_url=server.url, timeout=30) as http:
                    while not stop.is_set():
                        token = http.post(
                            "/v1/oauth/token",
                            data={
                                "grant_type": "client_credentials",
                                "client_id": partner["client_id"],
                                "client_secret": partner["client_secret"],
                            },
                        )
                        answers.append(
                            (
                                "token",
                                token.status_code,
                                token.headers.get("content-type", ""),
                                token.headers.get("retry-after"),
                            )
                        )
                        if token.status_code != 200:
                            time.sleep(0.05)
                            continue
                        headers = {"Authorization": f"Bearer {token.json()['access_token']}", "Purpose-Of-Use": "care"}
                        for _ in range(5):
                            read = http.get("/v1/signals", params={"limit": 5}, headers=headers)
                            written = http.post(
                                "/v1/signals",
                                headers=headers | {"Idempotency-Key": str(uuid.uuid4())},
                                json={
                                    "household": {
                                        "address": new_address(DEMO_NEIGHBOURHOOD),
                                        "members": [new_member()],
                                    },
                                    "source": "housing_corporation",
                                    "lifeDomains": ["housing"],
                                    "description": f"Belasting {worker}.",
                                    "residentAware": True,
                                },
                            )
                            for kind, response in (("read", read), ("write", written)):
                                if response.status_code not in (200, 201, 503):
                                    odd.append(response.text)
                                answers.append(
                                    (
                                        kind,
                                        response.status_code,
                                        response.headers.get("content-type", ""),
                                        response.headers.get("retry-after"),
                                    )
                                )

            threads = [threading.Thread(target=load, args=(n,), daemon=True) for n in range(3)]
            for thread in threads:
                thread.start()
            time.sleep(3)
            before = len(answers)
            postgres.stop()
            time.sleep(3)
            during = len(answers)
            postgres.start()
            _answered(postgres.url)
            time.sleep(6)
            stop.set()
            for thread in threads:
                thread.join(timeout=60)

    refused = [a for a in answers if a[1] >= 500]
    assert before > 10 and during > before, "the load ran before and during the outage"
    assert refused, "the outage was seen"
    assert {status for _, status, _, _ in refused} == {503}, sorted({(k, s) for k, s, _, _ in refused})
    assert all(retry for _, _, _, retry in refused), "every 503 says when to retry"
    assert all(content == "application/problem+json" for _, _, content, _ in refused)
    assert {status for _, status, _, _ in answers} <= {200, 201, 503}, (
        sorted({(k, s) for k, s, _, _ in answers}),
        odd[:2],
    )
    # and the API recovered by itself: the last answers are successes again
    assert all(status in (200, 201) for _, status, _, _ in answers[-10:]), answers[-10:]


def _register_at_once(world: World, address: dict[str, object]) -> list[httpx.Response]:
    """Two organisations register a signal for the same new address at the same moment."""
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def register(caller: Caller) -> None:
        body = {
            "household": {"address": address, "members": [new_member()]},
            "teamId": world.team["id"],
            "source": "housing_corporation",
            "lifeDomains": ["housing"],
            "description": "Tegelijk gemeld.",
            "residentAware": True,
        }
        caller.token()  # before the barrier, so both requests leave together
        barrier.wait()
        response = caller.post("/v1/signals", json=body)
        if response.status_code == 503:  # SQLite refuses the later of two racing writers: try again
            time.sleep(float(response.headers["Retry-After"]) / 10)
            response = caller.post("/v1/signals", json=body)
        answers.append(response)

    threads = [threading.Thread(target=register, args=(c,)) for c in (world.housing, world.ggz)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_registrations_for_one_new_address_at_once_find_one_household(world: World) -> None:
    for _ in range(8):
        answers = _register_at_once(world, new_address())
        assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
        households = {a.json()["householdId"] for a in answers}
        assert len(households) == 1, "two households for one address"
