"""The API behind PgBouncer in transaction pooling mode, where any server connection may carry any
transaction: nothing of the application may outlive one (no prepared statement reused by name, no
session setting).

PgBouncer (Debian's package, which tests/machine.sh installs) runs in front of a PostgreSQL server of the
test's own with two server connections for many more clients, so the transactions of different requests
keep landing on the same server connections; every request must still get its answer.
"""

import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import text

from tests.conftest import Server, free_port, new_address, new_member, run_async, settings_for_tests
from tests.test_outages import DEMO_NEIGHBOURHOOD, PrivatePostgres, private_postgres
from wijkregistratie.core.migrate import upgrade
from wijkregistratie.demo.seed import seed_demo


@contextmanager
def pgbouncer(postgres: PrivatePostgres) -> Iterator[str]:
    """PgBouncer in transaction mode in front of `postgres`, with two server connections; its address."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    assert Path(binary).exists(), "PgBouncer is needed (tests/machine.sh installs it)"
    directory = Path(tempfile.mkdtemp(prefix="wr-pgbouncer-"))
    port = free_port()
    (directory / "users.txt").write_text('"postgres" ""\n')
    (directory / "pgbouncer.ini").write_text(
        f"[databases]\npostgres = host=127.0.0.1 port={postgres.port} dbname=postgres user=postgres\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {directory / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 200\n"
        # What a transaction leaves on a server connection (the prepared statements) goes with it.
        "server_reset_query = DISCARD ALL\nserver_reset_query_always = 1\n"
    )
    if postgres.run_as:  # PgBouncer refuses to run as root
        for path in (directory, *directory.iterdir()):
            shutil.chown(path, "postgres", "postgres")
    process = subprocess.Popen([*postgres.run_as, binary, str(directory / "pgbouncer.ini")])
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                run_async(url, lambda s: s.exec(text("SELECT 1")))
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(directory, ignore_errors=True)


def test_the_api_works_behind_pgbouncer_in_transaction_mode() -> None:
    with private_postgres() as postgres, pgbouncer(postgres) as pooled:
        upgrade(postgres.url)  # migrations go to PostgreSQL directly
        settings = settings_for_tests(pooled).model_copy(update={"database_transaction_pooling": True})
        partner = run_async(postgres.url, lambda s: seed_demo(s, settings))["partner"]
        with Server(settings) as server:
            form = {"grant_type": "client_credentials", "client_id": partner["client_id"]}
            token = httpx.post(f"{server.url}/v1/oauth/token", data=form | {"client_secret": partner["client_secret"]})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}", "Purpose-Of-Use": "care"}

            def register_and_read(n: int) -> list[int]:
                with httpx.Client(base_url=server.url, timeout=30) as own:
                    body = {
                        "household": {"address": new_address(DEMO_NEIGHBOURHOOD), "members": [new_member()]},
                        "source": "housing_corporation",
                        "lifeDomains": ["housing"],
                        "description": f"Melding {n}.",
                        "residentAware": True,
                    }
                    written = own.post(
                        "/v1/signals", json=body, headers=headers | {"Idempotency-Key": str(uuid.uuid4())}
                    )
                    read = own.get(f"/v1/signals/{written.json().get('id')}", headers=headers)
                    listed = own.get("/v1/signals", params={"limit": 5}, headers=headers)
                    feed = own.get("/v1/events", params={"limit": 50}, headers=headers)
                    return [written.status_code, read.status_code, listed.status_code, feed.status_code]

            with ThreadPoolExecutor(max_workers=8) as pool:
                statuses = [status for answer in pool.map(register_and_read, range(40)) for status in answer]
    assert statuses.count(201) == 40 and set(statuses) == {200, 201}, sorted(set(statuses))
