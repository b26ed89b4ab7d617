"""The FHIR R4 adapter against a real FHIR server: Medplum's FHIR router with its in-memory repository
(tests/fhir_server), which validates every resource written against the R4 StructureDefinitions; each
resource is checked again with the `fhir.resources` models. A referral to mental health care reaches its
system as a ServiceRequest and a Task; the Task's steps there come back to the referral; once involved,
the organisation's system holds the household, its plan and the team around it — each resource once,
across outages and a killed worker.
"""

import importlib
import json
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import (
    FIRST_VERSION,
    World,
    adapter_round,
    free_port,
    involve,
    new_address,
    register_signal,
    wait_until,
    worker_env,
    worker_rounds,
)
from wijkregistratie.adapters.fhir_resources import BSN_SYSTEM, LIFE_DOMAINS, OUTCOMES, PROFILES, conformance
from wijkregistratie.adapters.kinds import partners

SERVER = Path(__file__).resolve().parent / "fhir_server"
OUTPUT = Path(__file__).resolve().parents[1] / "test-output"
NAMES = "https://wijkregistratie.nl/fhir/NamingSystem"
PLAN = {
    "goals": [
        {
            "lifeDomain": "mental_health",
            "iWant": "Weer rust in mijn hoofd",
            "iCan": "Elke dag een wandeling maken",
            "iNeed": "Iemand die meedenkt",
            "result": "Slaapt weer door",
            "targetDate": "2027-03-01",
            "activities": [
                {"description": "Intake GGZ", "performer": {"kind": "organisation", "organisationId": "ORG"}}
            ],
        }
    ],
    "network": [{"name": "Buurvrouw Els", "relation": "buurvrouw", "contribution": "Kookt op dinsdag"}],
}


@dataclass
class FhirServer:
    url: str

    def faults(self, **faults: int) -> None:
        httpx.post(self.url.removesuffix("/fhir/R4") + "/__faults", json=faults, timeout=5).raise_for_status()

    def search(self, kind: str, **query: str) -> list[dict[str, Any]]:
        bundle = httpx.get(f"{self.url}/{kind}", params=query | {"_count": "1000"}, timeout=10).json()
        return [e["resource"] for e in bundle.get("entry") or []]

    def by_ours(self, kind: str, system: str, value: str) -> list[dict[str, Any]]:
        return self.search(kind, identifier=f"{NAMES}/{system}|{value}")

    def one(self, kind: str, system: str, value: str) -> dict[str, Any]:
        found = self.by_ours(kind, system, value)
        assert len(found) == 1, f"{kind} {value}: {len(found)} resources"
        return found[0]


@pytest.fixture(scope="module")
def fhir_server() -> Iterator[FhirServer]:
    """The FHIR server as a Node.js process, its packages installed from the lock file when missing."""
    npm, node = shutil.which("npm"), shutil.which("node")
    assert npm and node, "Node.js is needed for the FHIR server (tests/machine.sh installs it)"
    if not (SERVER / "node_modules" / "@medplum" / "fhir-router").exists():
        subprocess.run([npm, "ci", "--silent", "--no-audit", "--no-fund"], cwd=SERVER, check=True, timeout=300)
    port = free_port()
    OUTPUT.mkdir(exist_ok=True)
    log = (OUTPUT / f"fhir-server-{port}.log").open("w")
    process = subprocess.Popen([node, "server.mjs", str(port)], cwd=SERVER, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/fhir/R4"
    try:
        wait_until(lambda: _answers(f"{url}/Patient"), 60, "the FHIR server")
        yield FhirServer(url)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def care_system(world: World, fhir_server: FhirServer, tmp_path: Path) -> Iterator[tuple[FhirServer, Path]]:
    entry = {
        "name": f"ggz-fhir-{uuid.uuid4().hex[:8]}",  # checkpoints are kept by name: one per test
        "kind": "fhir-r4",
        "organisationId": str(world.orgs["ggz"]),
        "baseUrl": fhir_server.url,
        "everySeconds": 0.01,
        "mapping": "fhir-r4.json",
    }
    (tmp_path / "partners.json").write_text(json.dumps([entry]))
    fhir_server.faults(outage=0, delay=0)
    yield fhir_server, tmp_path / "partners.json"
    fhir_server.faults(outage=0, delay=0)


def _referred_case(world: World) -> tuple[str, dict[str, Any]]:
    """A case led by debt assistance, with a plan, that refers the household to mental health care."""
    member = {"surname": "Jansen", "givenNames": "Pieter Jan", "dateOfBirth": "1980-04-12"}
    signal = register_signal(world.housing, world, household={"address": new_address(), "members": [member]})
    body = {"householdId": signal["householdId"], "signalIds": [signal["id"]], "basis": "statutory_task"}
    case = world.coordinator.post("/v1/cases", json=body | {"basisReference": "Wmo 2015"})
    assert case.status_code == 201, case.text
    case_id = str(case.json()["id"])
    involve(world.coordinator, case_id, world.orgs["debt"])
    lead = world.coordinator.put(
        f"/v1/cases/{case_id}/lead-professional",
        json={"professionalId": world.professionals["debt"]["id"]},
        headers={"If-Match": world.coordinator.get(f"/v1/cases/{case_id}").headers["ETag"]},
    )
    assert lead.status_code == 200, lead.text
    plan = json.loads(json.dumps(PLAN).replace("ORG", str(world.orgs["debt"])))
    planned = world.coordinator.put(f"/v1/cases/{case_id}/plan", json=plan, headers=FIRST_VERSION)
    assert planned.status_code == 200, planned.text
    referral = world.coordinator.post(
        f"/v1/cases/{case_id}/referrals",
        json={
            "organisationId": str(world.orgs["ggz"]),
            "reason": "Somberheid; behandeling nodig.",
            "basis": "statutory_task",
            "basisReference": "Zorgverzekeringswet",
        },
    )
    assert referral.status_code == 201, referral.text
    return case_id, referral.json()


def _move(server: FhirServer, task: dict[str, Any], status: str, **more: Any) -> dict[str, Any]:
    """The care system's own step on the Task: a PUT on the version it read, as FHIR clients do."""
    changed = {k: v for k, v in task.items() if k != "meta"} | {"status": status} | more
    response = httpx.put(
        f"{server.url}/Task/{task['id']}",
        json=changed,
        headers={"content-type": "application/fhir+json", "if-match": f'W/"{task["meta"]["versionId"]}"'},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _valid_r4(resource: dict[str, Any]) -> None:
    kind = resource["resourceType"]
    model = getattr(importlib.import_module(f"fhir.resources.R4B.{kind.lower()}"), kind)
    model.model_validate(resource)  # raises on a field R4 does not have, or a wrong type


def test_a_referral_reaches_the_care_system_and_its_task_steps_come_back_with_the_outcome(
    world: World, care_system: tuple[FhirServer, Path]
) -> None:
    server, config = care_system
    case_id, referral = _referred_case(world)
    worker_rounds(world, config)
    request = server.one("ServiceRequest", "referral", referral["id"])
    task = server.one("Task", "referral", referral["id"])
    assert task["status"] == "requested" and task["focus"]["reference"] == f"ServiceRequest/{request['id']}"
    assert request["reasonCode"] == [{"text": "Somberheid; behandeling nodig."}]
    # Not involved yet: its system learns of the request, not of the household.
    assert task["for"] == {"identifier": {"system": f"{NAMES}/case", "value": case_id}}
    assert server.by_ours("CarePlan", "case", case_id) == []

    task = _move(server, task, "accepted")
    worker_rounds(world, config, rounds=2)
    assert world.coordinator.get(f"/v1/referrals/{referral['id']}").json()["status"] == "accepted"
    record = world.ggz.get(f"/v1/cases/{case_id}")
    assert record.status_code == 200  # accepting in its own system made it involved
    household = record.json()["household"]

    # Now the household, its plan and the team around it are in the care system.
    group = server.one("Group", "household", household["id"])
    [member] = household["members"]
    patient = server.one("Patient", "member", member["id"])
    assert patient["name"] == [{"family": "Jansen", "given": ["Pieter", "Jan"]}]
    assert not any(i["system"] == BSN_SYSTEM for i in patient["identifier"])  # no BSN without the right to it
    assert [m["entity"]["reference"] for m in group["member"]] == [f"Patient/{patient['id']}"]
    plan = server.one("CarePlan", "case", case_id)
    assert plan["subject"]["reference"] == f"Group/{group['id']}"
    assert plan["author"]["reference"] == f"Patient/{patient['id']}"  # the household's own plan
    [goal] = [server.search("Goal", _id=g["reference"].split("/")[1])[0] for g in plan["goal"]]
    assert goal["description"]["text"] == "Weer rust in mijn hoofd"
    assert goal["expressedBy"]["reference"] == f"Patient/{patient['id']}"
    assert {e["url"]: e["valueString"] for e in goal["extension"]} == {
        f"{PROFILES}/goal-i-can": "Elke dag een wandeling maken",
        f"{PROFILES}/goal-i-need": "Iemand die meedenkt",
    }
    assert goal["category"][0]["coding"][0] == {"system": LIFE_DOMAINS, "code": "mental_health"}
    team = server.one("CareTeam", "case", case_id)
    practitioner = server.one("Practitioner", "professional", world.professionals["debt"]["id"])
    members = {p["member"]["reference"] for p in team["participant"]}
    assert f"Practitioner/{practitioner['id']}" in members
    ggz = server.one("Organization", "organisation", str(world.orgs["ggz"]))
    assert f"Organization/{ggz['id']}" in members
    episode = server.one("EpisodeOfCare", "case", case_id)
    assert episode["careManager"]["reference"] == f"Practitioner/{practitioner['id']}"
    network = server.one("RelatedPerson", "network", f"{case_id}:0")
    assert network["patient"]["reference"] == f"Patient/{patient['id']}"

    # Its system takes the next steps; they come back, the outcome with them.
    task = _move(server, server.one("Task", "referral", referral["id"]), "in-progress")
    outcome = {
        "type": {"text": "Uitkomst"},
        "valueCodeableConcept": {"coding": [{"system": OUTCOMES, "code": "got_help"}]},
    }
    _move(server, task, "completed", output=[outcome])
    worker_rounds(world, config, rounds=2)
    seen = world.coordinator.get(f"/v1/referrals/{referral['id']}").json()
    assert seen["status"] == "completed" and seen["outcome"] == "got_help"
    assert [s["status"] for s in seen["history"]] == ["requested", "received", "accepted", "in_progress", "completed"]
    assert server.one("ServiceRequest", "referral", referral["id"])["status"] == "completed"

    # Every resource it holds of the case fits R4, and a round with nothing new writes nothing.
    written = _of_case(server, case_id, referral["id"], household)
    for resource in written:
        _valid_r4(resource)
    worker_rounds(world, config)
    assert {r["id"]: r["meta"]["versionId"] for r in _of_case(server, case_id, referral["id"], household)} == {
        r["id"]: r["meta"]["versionId"] for r in written
    }


def _of_case(server: FhirServer, case_id: str, referral_id: str, household: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for kind in ("CarePlan", "CareTeam", "EpisodeOfCare"):
        found += server.by_ours(kind, "case", case_id)
    for kind in ("ServiceRequest", "Task"):
        found += server.by_ours(kind, "referral", referral_id)
    found += server.by_ours("Group", "household", household["id"])
    found += [p for m in household["members"] for p in server.by_ours("Patient", "member", m["id"])]
    found += server.by_ours("RelatedPerson", "network", f"{case_id}:0")
    found += server.by_ours("Goal", "goal", f"{case_id}:0")
    return found


def test_task_steps_a_referral_cannot_take_are_refused_and_a_cancelled_referral_cancels_its_task(
    world: World, care_system: tuple[FhirServer, Path]
) -> None:
    server, config = care_system
    first, second, third = (_referred_case(world)[1] for _ in range(3))
    worker_rounds(world, config)
    _move(server, server.one("Task", "referral", first["id"]), "on-hold")
    _move(server, server.one("Task", "referral", second["id"]), "received")
    _move(server, server.one("Task", "referral", third["id"]), "rejected")  # with no statusReason
    result = adapter_round(world, config)
    assert result.failure is None and result.rejected == 1
    assert world.coordinator.get(f"/v1/referrals/{first['id']}").json()["status"] == "requested"
    assert world.coordinator.get(f"/v1/referrals/{second['id']}").json()["status"] == "received"
    rejected = world.coordinator.get(f"/v1/referrals/{third['id']}").json()
    assert rejected["status"] == "rejected" and rejected["statusReason"]

    # The sender cancels one: the care system's Task says so, on the version its own step made.
    cancelled = world.coordinator.act(
        f"/v1/referrals/{second['id']}/status", json={"status": "cancelled", "reason": "Verhuisd."}
    )
    assert cancelled.status_code == 200, cancelled.text
    worker_rounds(world, config, rounds=2)
    assert server.one("Task", "referral", second["id"])["status"] == "cancelled"
    assert server.one("ServiceRequest", "referral", second["id"])["status"] == "revoked"


def test_outages_and_refusals_of_the_care_system_lose_nothing(
    world: World, care_system: tuple[FhirServer, Path], tmp_path: Path
) -> None:
    server, config = care_system
    _, referral = _referred_case(world)
    server.faults(outage=1)
    failed = adapter_round(world, config).failure
    assert failed is not None and failed.cause == "failing" and "503" in str(failed)
    misconfigured = json.loads(config.read_text())
    misconfigured[0]["baseUrl"] = server.url.removesuffix("/fhir/R4") + "/elders"
    config.write_text(json.dumps(misconfigured))
    refused = adapter_round(world, config).failure  # the server's OperationOutcome says why, for the operator
    assert refused is not None and refused.cause == "rejected" and "(404: " in str(refused)
    misconfigured[0]["baseUrl"] = server.url
    config.write_text(json.dumps(misconfigured))
    for _ in range(3):
        assert adapter_round(world, config).failure is None
    server.one("ServiceRequest", "referral", referral["id"])
    server.one("Task", "referral", referral["id"])


def test_a_worker_killed_while_it_writes_leaves_each_resource_once(
    world: World, care_system: tuple[FhirServer, Path]
) -> None:
    """A worker process is killed with SIGKILL again and again while it writes the resources of several
    cases to a slow FHIR server; the worker that follows completes them, each resource once."""
    server, config = care_system
    referred = [_referred_case(world) for _ in range(3)]
    for _, referral in referred:
        world.ggz.act(f"/v1/referrals/{referral['id']}/status", json={"status": "received"})
        world.ggz.act(f"/v1/referrals/{referral['id']}/status", json={"status": "accepted"})
    server.faults(delay=40)
    env = worker_env(world, config)
    for cut_after in (1.0, 1.6, 2.3):
        worker = subprocess.Popen([sys.executable, "-m", "wijkregistratie.cli", "worker"], env=env)
        time.sleep(cut_after + 1.5)  # the worker's start, then part of its writing
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    server.faults(delay=0)
    worker_rounds(world, config, rounds=2)
    for case_id, referral in referred:
        household = world.ggz.get(f"/v1/cases/{case_id}").json()["household"]
        for kind in ("CarePlan", "CareTeam", "EpisodeOfCare"):
            server.one(kind, "case", case_id)
        for kind in ("ServiceRequest", "Task"):
            server.one(kind, "referral", referral["id"])
        server.one("Group", "household", household["id"])
        server.one("Goal", "goal", f"{case_id}:0")
        for member in household["members"]:
            server.one("Patient", "member", member["id"])
    server.one("Practitioner", "professional", world.professionals["debt"]["id"])


def test_the_published_fhir_definitions_are_r4_and_the_server_takes_them(fhir_server: FhirServer) -> None:
    for name, resource in conformance().items():
        _valid_r4(resource)
        stored = httpx.post(
            f"{fhir_server.url}/{resource['resourceType']}",
            json=resource,
            headers={"content-type": "application/fhir+json"},
            timeout=10,
        )
        assert stored.status_code == 201, f"{name}: {stored.text}"


def test_the_readme_example_is_a_partners_entry_the_worker_takes(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```json\n")[1:]]
    entry = json.loads(next(b for b in blocks if '"kind": "fhir-r4"' in b))
    entry["organisationId"] = str(uuid.uuid4())
    (tmp_path / "partners.json").write_text(json.dumps([entry]))
    [(partner, mapping)] = partners(str(tmp_path / "partners.json"))  # the built-in mapping it names
    assert partner.kind == "fhir-r4" and mapping.model_dump(by_alias=True)["namingSystem"] == NAMES
