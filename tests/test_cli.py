"""The operator's command line, run as the README shows it: every command in a process of its own against a
migrated database, on SQLite and PostgreSQL, and a new operator's path from an empty database to a partner's
first signal using only the command line and the API."""

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from tests.conftest import BACKENDS, empty_database, free_port, new_address, new_member, run_async
from wijkregistratie.auth.models import ApiClient
from wijkregistratie.figures.models import FigureRefresh
from wijkregistratie.organisations.models import Organisation

ROOT = Path(__file__).resolve().parent.parent
COMMAND = str(Path(sys.executable).with_name("wijkregistratie"))


def _readme_commands() -> set[str]:
    """The subcommands the README's command-line block shows."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("The command line (`.venv/bin/wijkregistratie`):", 1)[1].split("```sh", 1)[1].split("```")[0]
    return {line.split()[1] for line in block.splitlines() if line.startswith("wijkregistratie ")}


class Operator:
    """Runs `wijkregistratie …` as a person at a shell would, against one database."""

    def __init__(self, database_url: str, directory: Path) -> None:
        self.database_url = database_url
        self.directory = directory
        self.env = os.environ | {"DATABASE_URL": database_url, "WR_ENVIRONMENT": "development"}
        self.ran: set[str] = set()

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        self.ran.add(args[0])
        done = subprocess.run([COMMAND, *args], env=self.env, capture_output=True, text=True, timeout=120)
        if ok:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        self.ran.add(args[0])
        log = (self.directory / f"{args[0]}.log").open("a")
        return subprocess.Popen([COMMAND, *args], env=self.env | env, stdout=log, stderr=log, text=True)

    def rows(self, model: Any) -> list[Any]:
        async def everything(session: Any) -> list[Any]:
            return list((await session.exec(select(model))).all())

        return run_async(self.database_url, everything)


def _until(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _stopped(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=30)


def _credentials(output: str) -> tuple[str, str]:
    found = dict(re.findall(r"^(client_id|client_secret)=(\S+)$", output, re.MULTILINE))
    return found["client_id"], found["client_secret"]


@pytest.fixture(params=BACKENDS)
def operator(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Operator]:
    with empty_database(request.param, tmp_path) as database_url:
        yield Operator(database_url, tmp_path)


def test_every_command_of_the_readme_works_as_written(operator: Operator) -> None:
    operator.run("migrate")
    assert "GM0363" in operator.run("create-municipality", "--code", "GM0363", "--name", "Amsterdam").stdout
    made = operator.run("create-organisation", "--name", "Schuldhulp Zuid", "--kind", "debt_assistance").stdout
    organisation_id = uuid.UUID(made.strip())
    assert [o.name for o in operator.rows(Organisation)] == ["Schuldhulp Zuid"]

    crm_id, crm_secret = _credentials(
        operator.run(
            "create-client",
            "--organisation-id",
            str(organisation_id),
            "--name",
            "Schuldhulp CRM",
            "--scopes",
            "record:read record:write",
        ).stdout
    )
    figures_id, _ = _credentials(
        operator.run(
            "create-client",
            "--organisation-id",
            str(organisation_id),
            "--name",
            "Cijfers",
            "--scopes",
            "figures:read",
            "--municipality",
            "GM0363",
        ).stdout
    )
    seeded = json.loads(operator.run("seed-demo", "--json").stdout)
    team_id = next(
        t for c in operator.rows(ApiClient) if c.client_id == "demo-coordinator" for t in c.coordinated_team_ids
    )
    teamapp_id, _ = _credentials(
        operator.run(
            "create-client", "--organisation-id", str(organisation_id), "--name", "Teamapp", "--coordinates", team_id
        ).stdout
    )
    clients = {c.client_id: c for c in operator.rows(ApiClient)}
    assert clients[crm_id].scopes == "record:read record:write" and clients[crm_id].secret_hash != crm_secret
    assert clients[figures_id].municipality_code == "GM0363"
    assert clients[teamapp_id].coordinated_team_ids == [team_id]
    assert seeded["admin"]["client_id"] == "demo-admin"

    listed = operator.run("list-clients").stdout
    assert crm_id in listed and "Schuldhulp CRM" in listed and crm_secret not in listed
    assert "disabled" in operator.run("disable-client", "--client-id", crm_id).stdout
    assert not next(c for c in operator.rows(ApiClient) if c.client_id == crm_id).active
    assert "enabled" in operator.run("enable-client", "--client-id", crm_id).stdout
    rotated_id, rotated_secret = _credentials(
        operator.run("rotate-client-secret", "--client-id", crm_id, "--previous-valid-seconds", "60").stdout
    )
    assert rotated_id == crm_id and rotated_secret != crm_secret

    before = len(operator.rows(FigureRefresh))
    operator.run("refresh-figures")
    assert len(operator.rows(FigureRefresh)) == before + 1
    assert re.search(r"\d+", operator.run("rotate-bsn-keys").stdout)
    exported = operator.directory / "openapi.json"
    operator.run("export-openapi", "--output", str(exported))
    assert json.loads(exported.read_text()) == json.loads((ROOT / "openapi" / "openapi.json").read_text())
    schemas = operator.directory / "schemas"
    operator.run("export-schemas", "--output", str(schemas))
    published = ROOT / "openapi" / "schemas" / "partners.json"
    assert json.loads((schemas / "partners.json").read_text()) == json.loads(published.read_text())
    partners = operator.directory / "partners.json"
    partner = {
        "name": "zuid",
        "organisationId": str(organisation_id),
        "baseUrl": "http://p",
        "mapping": "schuldhulp.json",
    }
    partners.write_text(json.dumps([partner]))
    assert "1 partners" in operator.run("check-partners", str(partners)).stdout
    # Before the worker's first round: nothing pulled or pushed, nothing failing.
    shown = operator.run("partners", "--file", str(partners)).stdout
    assert shown == "zuid  rest-json  pulled up to -  pushed up to 0  in step\n"

    port = free_port()
    api = operator.start("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2")
    simulator_port, metrics_port = free_port(), free_port()
    simulator = operator.start("partner-simulator", "--port", str(simulator_port))
    worker = operator.start("worker", WR_WORKER_METRICS_PORT=str(metrics_port))
    try:
        url = f"http://127.0.0.1:{port}"
        _until(lambda: httpx.get(f"{url}/health/ready").status_code == 200, "the API")
        # Both secrets work during the grace period: the partner can switch over.
        for secret in (crm_secret, rotated_secret):
            token = httpx.post(
                f"{url}/v1/oauth/token",
                data={"grant_type": "client_credentials", "client_id": crm_id, "client_secret": secret},
            )
            assert token.status_code == 200, token.text
        _until(lambda: httpx.get(f"http://127.0.0.1:{simulator_port}/api/clienten").status_code == 200, "simulator")
        _until(
            lambda: "wijkregistratie_worker_job_runs_total" in httpx.get(f"http://127.0.0.1:{metrics_port}/").text,
            "the worker's metrics",
        )
    finally:
        for process in (api, simulator, worker):
            _stopped(process)
    assert operator.ran == _readme_commands()


def test_the_command_line_refuses_bad_input_and_names_the_field(operator: Operator) -> None:
    operator.run("migrate")
    organisation_id = operator.run("create-organisation", "--name", "Wijkteam", "--kind", "social_work").stdout.strip()
    refusals = [
        (["create-client", "--organisation-id", str(uuid.uuid4()), "--name", "x"], "organisationId"),
        (["create-client", "--organisation-id", organisation_id, "--name", "x", "--scopes", "record:all"], "scopes"),
        (
            ["create-client", "--organisation-id", organisation_id, "--name", "x", "--scopes", "figures:read"],
            "municipalityCode",
        ),
        (
            [
                "create-client",
                "--organisation-id",
                organisation_id,
                "--name",
                "x",
                "--scopes",
                "figures:read",
                "--municipality",
                "GM9999",
            ],
            "municipalityCode",
        ),
        (["create-municipality", "--code", "Rotterdam", "--name", "Rotterdam"], "code"),
        (["create-organisation", "--name", "x", "--kind", "bakery"], "kind"),
    ]
    for args, field in refusals:
        refused = operator.run(*args, ok=False)
        assert refused.returncode == 2, (args, refused.stdout, refused.stderr)
        assert field in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
    operator.run("create-municipality", "--code", "GM0599", "--name", "Rotterdam")
    again = operator.run("create-municipality", "--code", "GM0599", "--name", "Rotterdam", ok=False)
    assert again.returncode == 2 and "already registered" in again.stderr
    assert [c.client_id for c in operator.rows(ApiClient)] == []


def test_a_new_operator_takes_on_a_partner_from_an_empty_database(operator: Operator) -> None:
    """migrate → municipality → organisation → administrator's client (command line), then team, partner,
    its client, its token and its first signal (API)."""
    operator.run("migrate")
    operator.run("create-municipality", "--code", "GM0599", "--name", "Rotterdam")
    gemeente = operator.run("create-organisation", "--name", "Gemeente Rotterdam", "--kind", "municipality").stdout
    admin_id, admin_secret = _credentials(
        operator.run(
            "create-client", "--organisation-id", gemeente.strip(), "--name", "Beheer", "--scopes", "admin"
        ).stdout
    )
    port = free_port()
    api = operator.start("serve", "--port", str(port))
    try:
        url = f"http://127.0.0.1:{port}"
        _until(lambda: httpx.get(f"{url}/health/ready").status_code == 200, "the API")
        with httpx.Client(base_url=url, timeout=30) as http:

            def token(client_id: str, secret: str) -> dict[str, str]:
                form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
                issued = http.post("/v1/oauth/token", data=form)
                assert issued.status_code == 200, issued.text
                return {"Authorization": f"Bearer {issued.json()['access_token']}"}

            admin = token(admin_id, admin_secret)
            partner = http.post(
                "/v1/organisations", headers=admin, json={"name": "Schuldhulp Zuid", "kind": "debt_assistance"}
            )
            assert partner.status_code == 201 and partner.headers["Location"].endswith(partner.json()["id"])
            team = http.post(
                "/v1/teams",
                headers=admin,
                json={"name": "Buurtteam Noord", "municipalityCode": "GM0599", "areaCodes": ["WK059901"]},
            )
            assert team.status_code == 201, team.text
            joined = http.post(
                f"/v1/teams/{team.json()['id']}/memberships",
                headers=admin,
                json={"organisationId": partner.json()["id"]},
            )
            assert joined.status_code == 201, joined.text
            credentials = http.post(
                "/v1/clients",
                headers=admin,
                json={
                    "organisationId": partner.json()["id"],
                    "name": "Schuldhulp CRM",
                    "scopes": ["record:read", "record:write"],
                },
            )
            assert credentials.status_code == 201, credentials.text
            crm = token(credentials.json()["clientId"], credentials.json()["clientSecret"])
            signal = http.post(
                "/v1/signals",
                headers=crm,
                json={
                    "household": {"address": new_address(), "members": [new_member()]},
                    "source": "team_organisation",
                    "lifeDomains": ["finances"],
                    "description": "Betalingsachterstanden.",
                    "residentAware": True,
                },
            )
            assert signal.status_code == 201, signal.text
            assert signal.headers["Location"] == f"/v1/signals/{signal.json()['id']}"
            read = http.get(signal.headers["Location"], headers=crm | {"Purpose-Of-Use": "care"})
            assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    finally:
        _stopped(api)
