"""Reads that may be a moment behind (lists, figures) go to a PostgreSQL streaming standby when
`DATABASE_REPLICA_URL` names one; writes, and reads of one record, go to the primary.

A primary of the test's own and a standby made from it with `pg_basebackup -R` run on this machine. With
the standby's replay paused, a signal registered through the API is read back by id (the primary) but is
missing from the list (the standby) until replay resumes; the list's access-log entry is on the primary.
"""

import asyncio
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx

from tests.conftest import Server, free_port, new_address, new_member, run_async, settings_for_tests
from tests.test_outages import DEMO_NEIGHBOURHOOD, PrivatePostgres, private_postgres
from wijkregistratie.core.migrate import upgrade
from wijkregistratie.demo.seed import seed_demo


@contextmanager
def standby_of(primary: PrivatePostgres) -> Iterator[PrivatePostgres]:
    """A hot standby streaming from `primary`, on a port of its own."""
    directory = Path(tempfile.mkdtemp(prefix="wr-standby-"))
    directory.chmod(0o755)
    data = directory / "data"
    if primary.run_as:
        shutil.chown(directory, "postgres", "postgres")
    subprocess.run(
        [
            *primary.run_as,
            str(primary.binaries / "pg_basebackup"),
            *("-D", str(data), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-R", "-X", "stream"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    standby = PrivatePostgres(primary.binaries, data, free_port(), primary.run_as)
    standby.start()
    try:
        yield standby
    finally:
        try:
            standby.stop()
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def _sql(url: str, statement: str) -> object:
    async def run() -> object:
        connection = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            return await connection.fetchval(statement)
        finally:
            await connection.close()

    return asyncio.run(run())


def _until(condition: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the standby did not catch up"
        time.sleep(0.1)


def test_stale_reads_come_from_the_standby_and_writes_go_to_the_primary() -> None:
    with private_postgres() as primary:
        upgrade(primary.url)
        settings = settings_for_tests(primary.url)
        partner = run_async(primary.url, lambda s: seed_demo(s, settings))["partner"]
        with standby_of(primary) as standby:
            assert _sql(standby.url, "SELECT pg_is_in_recovery()") is True
            replicated = settings.model_copy(update={"database_replica_url": standby.url})
            with Server(replicated) as server, httpx.Client(base_url=server.url, timeout=30) as http:
                form = {"grant_type": "client_credentials", "client_id": partner["client_id"]}
                token = http.post("/v1/oauth/token", data=form | {"client_secret": partner["client_secret"]})
                headers = {"Authorization": f"Bearer {token.json()['access_token']}", "Purpose-Of-Use": "care"}

                def listed() -> set[str]:
                    page = http.get("/v1/signals", params={"limit": 100, "status": "open"}, headers=headers)
                    assert page.status_code == 200, page.text
                    return {s["id"] for s in page.json()["items"]}

                _sql(standby.url, "SELECT pg_wal_replay_pause()")
                body = {
                    "household": {"address": new_address(DEMO_NEIGHBOURHOOD), "members": [new_member()]},
                    "source": "housing_corporation",
                    "lifeDomains": ["housing"],
                    "description": "Zorgen over de huur.",
                    "residentAware": True,
                }
                registered = http.post("/v1/signals", json=body, headers=headers)
                assert registered.status_code == 201, registered.text
                signal_id = registered.json()["id"]
                assert http.get(f"/v1/signals/{signal_id}", headers=headers).status_code == 200  # the primary
                assert signal_id not in listed()  # the standby, replay paused
                logged = "SELECT count(*) FROM access_log WHERE route = '/v1/signals' AND method = 'GET'"
                assert _sql(primary.url, logged) and not _sql(standby.url, logged)  # the list's entries: on the primary
                _sql(standby.url, "SELECT pg_wal_replay_resume()")
                _until(lambda: signal_id in listed())
