"""Schemathesis against the running API over loopback: every check and every phase (examples, coverage,
fuzzing, and stateful runs that chain operations over the links it finds), with two organisations as
peers for the object-level authorisation check, from a fixed seed. Zero failures, on both databases.

The run's own report is kept in test-output/ for reading when it fails.
"""

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from tests.conftest import (
    BACKENDS,
    FIRST_VERSION,
    RUN_LOG,
    Server,
    empty_database,
    new_address,
    new_member,
    run_async,
    settings_for_tests,
)
from wijkregistratie.auth.service import create_client
from wijkregistratie.core.clock import today
from wijkregistratie.core.migrate import upgrade
from wijkregistratie.demo.seed import seed_demo
from wijkregistratie.organisations.schemas import OrganisationCreate
from wijkregistratie.organisations.service import create_organisation
from wijkregistratie.teams.models import Team, TeamOrganisation

pytestmark = pytest.mark.fuzz

TESTS = Path(__file__).resolve().parent
SEED = "20261201"
TEAM_AREA = "BU05991601"  # a neighbourhood of the peers' team (the demo's Charlois, first by name)
PEERS = {"housing": "housing_corporation", "debt": "debt_assistance"}


def _peer(database_url: str, team_id: uuid.UUID, name: str, kind: str) -> dict[str, object]:
    """An organisation of its own in the team, with a partner system's client, and how Schemathesis signs
    in as it."""

    async def register(session: Any) -> tuple[str, str]:
        data = OrganisationCreate(name=f"Fuzz {name}", kind=kind, contact_name="Contact", contact_phone="010-1234567")
        organisation = await create_organisation(session, data)
        session.add(TeamOrganisation(team_id=team_id, organisation_id=organisation.id, since=today()))
        client, secret = await create_client(
            session, organisation.id, f"fuzz {name}", ["record:read", "record:write"], []
        )
        return client.client_id, secret

    client_id, secret = run_async(database_url, register)
    return {
        "name": name,
        "loginEndpointAuth": {
            "endpoint": "/v1/oauth/token",
            "verb": "POST",
            "contentType": "application/x-www-form-urlencoded",
            "payloadRaw": f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}",
            "token": {
                "extractFrom": "body",
                "extractSelector": "/access_token",
                "sendIn": "header",
                "sendName": "Authorization",
                "sendTemplate": "Bearer {token}",
            },
        },
    }


def _give_each_peer_records_of_its_own(url: str, auth: Path, team_id: uuid.UUID) -> None:
    """Signals, a case and a plan per peer, so there is something of one peer's for the other to try."""
    for peer in json.loads(auth.read_text())["auth"]:
        with httpx.Client(base_url=url, timeout=30) as http:
            login = peer["loginEndpointAuth"]
            token = http.post(
                login["endpoint"], content=login["payloadRaw"], headers={"Content-Type": login["contentType"]}
            )
            http.headers.update({"Authorization": f"Bearer {token.json()['access_token']}", "Purpose-Of-Use": "care"})
            for number in (1, 2):
                signal = http.post(
                    "/v1/signals",
                    json={
                        "household": {"address": new_address(TEAM_AREA), "members": [new_member()]},
                        "teamId": str(team_id),
                        "source": "housing_corporation",
                        "lifeDomains": ["finances"],
                        "description": f"Signaal {number} van {peer['name']}.",
                        "residentAware": True,
                    },
                )
                assert signal.status_code == 201, signal.text
            opened = http.post(
                "/v1/cases",
                json={
                    "householdId": signal.json()["householdId"],
                    "signalIds": [signal.json()["id"]],
                    "basis": "statutory_task",
                    "basisReference": "Wmo 2015",
                    "ownReference": f"{peer['name']}-1",
                },
            )
            assert opened.status_code == 201, opened.text
            plan = {"goals": [{"lifeDomain": "finances", "iWant": "Rust", "result": "Geen schulden"}]}
            assert (
                http.put(f"/v1/cases/{opened.json()['id']}/plan", json=plan, headers=FIRST_VERSION).status_code == 200
            )


@pytest.mark.parametrize("backend", BACKENDS)
def test_schemathesis_finds_no_failure(backend: str, tmp_path: Path) -> None:
    with empty_database(backend, tmp_path) as database_url:
        upgrade(database_url)
        settings = settings_for_tests(database_url)
        run_async(database_url, lambda session: seed_demo(session, settings))  # a neighbourhood around the peers
        team_id = run_async(database_url, lambda session: session.scalar(select(Team.id).order_by(Team.name)))
        auth = tmp_path / "auth.json"
        auth.write_text(json.dumps({"auth": [_peer(database_url, team_id, n, k) for n, k in PEERS.items()]}))
        # The committed configuration, and the team the peers work in: signals go to it.
        config = tmp_path / "schemathesis.toml"
        config.write_text(
            (TESTS / "schemathesis.toml").read_text()
            + f'\n[dictionaries.team]\nvalues = ["{team_id}"]\n\n'
            + '[parameters]\n"body.teamId" = { dictionary = "team", probability = 0.9 }\n'
        )
        report = RUN_LOG.parent / f"schemathesis-{backend}.txt"
        with Server(settings) as server:
            _give_each_peer_records_of_its_own(server.url, auth, team_id)
            command = [
                str(Path(sys.executable).with_name("st")),
                "--no-color",
                "--config-file",
                str(config),
                "run",
                f"{server.url}/openapi.json",
                "--url",
                f"{server.url}/v1",
                "--checks",
                "all",
                "--seed",
                SEED,
            ]
            environment = os.environ | {
                "SCHEMATHESIS_HOOKS": str(TESTS / "schemathesis_hooks.py"),
                "WR_FUZZ_AUTH_FILE": str(auth),
                "WR_FUZZ_BUURT": TEAM_AREA,
            }
            result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=900, check=False)
        report.write_text(result.stdout + result.stderr, encoding="utf-8")
        summary = result.stdout[result.stdout.rfind("SUMMARY") :]
        assert result.returncode == 0, f"Schemathesis failed (report: {report.name}):\n{summary}"
        assert re.search(r"Tested: (\d+)\n", summary) and re.search(r"(\d+) generated, \1 passed", summary), summary
        for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
            assert f"✅ {phase}" in summary
