"""No more double bookkeeping, end to end, with real processes on one PostgreSQL database.

Two API processes and two workers run as separate operating-system processes beside two simulated partner
systems; the tests type into a partner's system, change the record through the API, take a partner down,
and kill workers and API processes with SIGKILL. PostgreSQL only: that is the database several processes
share in production.
"""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FIRST_VERSION, Caller, Server, empty_database, free_port, migrated, new_address, run_async
from tests.receiver import Receiver
from wijkregistratie.adapters.simulator import Store, create_simulator
from wijkregistratie.auth.service import create_client
from wijkregistratie.organisations.schemas import OrganisationCreate
from wijkregistratie.organisations.service import create_organisation
from wijkregistratie.teams.schemas import TeamCreate
from wijkregistratie.teams.service import create_team

pytestmark = pytest.mark.e2e

PLAN = {"goals": [{"lifeDomain": "finances", "iWant": "Rust", "result": "Geen schulden"}]}
WRITE = ["record:read", "record:write"]


@dataclass
class City:
    database_url: str
    directory: Path
    env: dict[str, str]
    partner_a: Store
    partner_b: Store
    partner_a_url: str
    debt: Caller
    coordinator: Caller
    ggz_id: str
    housing_id: str
    processes: dict[str, subprocess.Popen[bytes]]
    api_urls: list[str]

    def start(self, name: str, *args: str) -> None:
        log = (self.directory / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "wijkregistratie.cli", *args], env=self.env, stdout=log, stderr=log
        )

    def kill(self, name: str) -> None:
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait(timeout=10)

    def notes_b(self, case_id: str) -> list[dict[str, Any]]:
        return [n for n in self.partner_b.notes.values() if n["dossier"] == case_id]


def _wait(condition: Callable[[], bool], seconds: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def city(tmp_path: Path) -> Iterator[City]:
    stores = (Store(), Store())
    with (
        empty_database("postgresql", tmp_path) as database_url,
        Server(create_simulator(stores[0])) as partner_a,
        Server(create_simulator(stores[1])) as partner_b,
    ):
        migrated(database_url)

        async def setting_up(session: Any) -> dict[str, Any]:
            orgs = {
                name: (await create_organisation(session, OrganisationCreate(name=name, kind=kind))).id
                for name, kind in [
                    ("schuldhulp", "debt_assistance"),
                    ("ggz", "mental_health_care"),
                    ("wijkteam", "social_work"),
                    ("woonstichting", "housing_corporation"),
                ]
            }
            team = await create_team(
                session,
                TeamCreate(
                    name="Buurtteam E2E",
                    municipality_code="GM0599",
                    area_codes=["WK059901"],
                    organisation_ids=list(orgs.values()),
                ),
            )
            debt, debt_secret = await create_client(session, orgs["schuldhulp"], "crm", WRITE, [])
            coordinator, coordinator_secret = await create_client(session, orgs["wijkteam"], "app", WRITE, [team.id])
            return {
                "orgs": orgs,
                "team": team.id,
                "debt": (debt.client_id, debt_secret),
                "coordinator": (coordinator.client_id, coordinator_secret),
            }

        made = run_async(database_url, setting_up)
        partners = [
            {
                "name": "schuldhulp",
                "organisationId": str(made["orgs"]["schuldhulp"]),
                "teamId": str(made["team"]),
                "baseUrl": partner_a.url,
                "everySeconds": 0.2,
                "mapping": "schuldhulp.json",
            },
            {
                "name": "ggz",
                "organisationId": str(made["orgs"]["ggz"]),
                "teamId": str(made["team"]),
                "baseUrl": partner_b.url,
                "everySeconds": 0.2,
                "timeoutSeconds": 3,
                "mapping": "schuldhulp.json",
            },
            {  # a housing corporation whose system exchanges files
                "name": "woonstichting",
                "kind": "csv",
                "organisationId": str(made["orgs"]["woonstichting"]),
                "teamId": str(made["team"]),
                "folder": str(tmp_path / "woonstichting"),
                "everySeconds": 0.2,
                "mapping": "welzijn-csv.json",
            },
        ]
        (tmp_path / "partners.json").write_text(json.dumps(partners))
        env = os.environ | {
            "DATABASE_URL": database_url,
            "WR_ENVIRONMENT": "test",
            "WR_ADAPTERS_FILE": str(tmp_path / "partners.json"),
            "WR_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            "WR_WORKER_POLL_SECONDS": "0.1",
            "WR_WORKER_METRICS_PORT": "0",
            "WR_WORKER_FIGURES_EVERY_SECONDS": "0",
            "WR_RATE_LIMIT_PER_MINUTE": "100000",
        }
        ports = [free_port(), free_port()]
        city = City(
            database_url,
            tmp_path,
            env,
            stores[0],
            stores[1],
            partner_a.url,
            None,
            None,  # type: ignore[arg-type]
            str(made["orgs"]["ggz"]),
            str(made["orgs"]["woonstichting"]),
            {},
            [f"http://127.0.0.1:{p}" for p in ports],
        )
        for number, port in enumerate(ports, start=1):
            city.start(f"api{number}", "serve", "--port", str(port))
        for number in (1, 2):
            city.start(f"worker{number}", "worker")
        try:
            for url in city.api_urls:
                _wait(lambda url=url: _up(url), 60, f"the API at {url}")
            http = [httpx.Client(base_url=url, timeout=30) for url in city.api_urls]
            city.debt = Caller(http[0], *made["debt"], made["orgs"]["schuldhulp"])
            city.coordinator = Caller(http[1], *made["coordinator"], made["orgs"]["wijkteam"])
            yield city
        finally:
            for process in city.processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in city.processes.values():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


def _client_typed_into_a(city: City) -> tuple[str, str]:
    number = f"C-{uuid.uuid4().hex[:6]}"
    address = new_address()
    typed = httpx.post(
        f"{city.partner_a_url}/api/clienten",
        json={
            "clientnummer": number,
            "achternaam": "Bakker",
            "voornamen": "Fatima",
            "geboortedatum": "1990-01-01",
            "postcode": address["postcode"],
            "huisnummer": address["houseNumber"],
            "buurtcode": address["buurtCode"],
            "aanmeldreden": "SCHULD",
            "toelichting": "Aanmaningen.",
        },
    )
    assert typed.status_code == 201
    found: list[dict[str, Any]] = []

    def arrived() -> bool:
        found[:] = city.debt.get("/v1/cases", params={"reference": number}).json()["items"]
        return bool(found)

    _wait(arrived, 30, "the partner's client in the shared record")
    return number, str(found[0]["id"])


def _involve_b(city: City, case_id: str) -> None:
    joined = city.coordinator.post(
        f"/v1/cases/{case_id}/involvements",
        json={
            "organisationId": city.ggz_id,
            "role": "carries_out",
            "basis": "statutory_task",
            "basisReference": "Wmo 2015",
        },
    )
    assert joined.status_code == 201, joined.text


def test_typed_once_it_reaches_everyone_and_a_partner_that_was_down_catches_up(city: City) -> None:
    receiver = Receiver().__enter__()  # the team's own app takes webhooks, delivered by two workers at once
    start = city.coordinator.get("/v1/events", params={"after": "0", "limit": 500}).json()["nextCursor"]
    subscribed = city.coordinator.post("/v1/webhooks", json={"url": receiver.url})
    assert subscribed.status_code == 201, subscribed.text
    _, case_id = _client_typed_into_a(city)
    _involve_b(city, case_id)
    _wait(lambda: [n["soort"] for n in city.notes_b(case_id)] == ["DOSSIER", "BETROKKENE"], 30, "B's dossier")

    assert city.debt.put(f"/v1/cases/{case_id}/plan", json=PLAN, headers=FIRST_VERSION).status_code == 200
    _wait(lambda: any(n["soort"] == "PLAN" for n in city.notes_b(case_id)), 30, "the plan in B's system")
    assert not any(n["dossier"] == case_id and n["soort"] == "PLAN" for n in city.partner_a.notes.values())
    [plan_in_b] = [n for n in city.notes_b(case_id) if n["soort"] == "PLAN"]
    assert plan_in_b["doelen"] == [
        {"domein": "finances", "ik_wil": "Rust", "resultaat": "Geen schulden", "streefdatum": None}
    ]
    assert plan_in_b["status"] == "AANGEMELD" and plan_in_b["betrokkenheid"][0]["rol"] == "carries_out"

    city.partner_b.fault = {"plat": True}
    changed = city.coordinator.put(f"/v1/cases/{case_id}/plan", json=PLAN, headers={"If-Match": '"1"'})
    assert changed.status_code == 200
    _wait(
        lambda: sum(n["soort"] == "PLAN" for n in city.partner_a.notes.values() if n["dossier"] == case_id) == 1,
        30,
        "the coordinator's plan in A's system",
    )
    time.sleep(1)
    assert [n["versie"] for n in city.notes_b(case_id) if n["soort"] == "PLAN"] == [1]
    city.partner_b.fault = {}
    _wait(lambda: [n["versie"] for n in city.notes_b(case_id) if n["soort"] == "PLAN"] == [1, 2], 30, "B catching up")
    assert city.partner_a.duplicates_refused == city.partner_b.duplicates_refused == 0
    assert len(city.debt.get(f"/v1/cases/{case_id}").json()["signals"]) == 1

    feed = city.coordinator.get("/v1/events", params={"after": start, "limit": 500}).json()["items"]
    _wait(lambda: len(receiver.received) >= len(feed), 30, "every event at the team's webhook")
    delivered = [r.headers["webhook-id"] for r in receiver.received]
    assert delivered == [e["id"] for e in feed]  # each once, in feed order, though two workers deliver
    receiver.__exit__()


def test_a_worker_killed_in_the_middle_of_a_delivery_loses_nothing_and_the_partner_sees_it_once(city: City) -> None:
    _, case_id = _client_typed_into_a(city)
    _involve_b(city, case_id)
    _wait(lambda: len(city.notes_b(case_id)) == 2, 30, "B's dossier")
    city.kill("worker2")  # one worker left, so it is the one in the middle of the delivery
    city.partner_b.fault = {"vertraging": 2}
    before = city.partner_b.arrived[case_id]  # this dossier's: another's may still be on its way
    assert city.debt.put(f"/v1/cases/{case_id}/plan", json=PLAN, headers=FIRST_VERSION).status_code == 200
    _wait(lambda: city.partner_b.arrived[case_id] > before, 30, "the worker to be waiting for B's answer")
    city.kill("worker1")
    city.partner_b.fault = {}
    _wait(lambda: any(n["soort"] == "PLAN" for n in city.notes_b(case_id)), 10, "the delivery that was cut off")
    city.start("worker1", "worker")
    _wait(lambda: city.partner_b.duplicates_refused >= 1, 30, "the repeated delivery after the restart")
    assert [n["soort"] for n in city.notes_b(case_id)] == ["DOSSIER", "BETROKKENE", "PLAN"]


def test_an_api_process_killed_during_writes_loses_no_acknowledged_change(city: City) -> None:
    _, case_id = _client_typed_into_a(city)
    acknowledged: set[str] = set()
    survivor = Caller(
        httpx.Client(base_url=city.api_urls[1], timeout=30),
        city.debt.client_id,
        city.debt.secret,
        city.debt.organisation_id,
    )
    entry = {"kind": "note", "occurredAt": "2026-03-02T10:00:00+01:00", "visibility": "all_involved"}

    def write() -> None:
        for index in range(60):
            key, text = str(uuid.uuid4()), f"Gesprek {index}."
            for caller in (city.debt, survivor):  # retried elsewhere, with the same key, when a process dies
                try:
                    response = caller.post(
                        f"/v1/cases/{case_id}/journal", json=entry | {"text": text}, headers={"Idempotency-Key": key}
                    )
                except httpx.HTTPError:
                    continue
                if response.status_code == 201:
                    acknowledged.add(text)
                    break

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.8)
    city.kill("api1")  # in the middle of the writes
    writer.join(timeout=120)
    journal = [e["text"] for e in survivor.get(f"/v1/cases/{case_id}/journal").json()]
    assert len(acknowledged) >= 50 and acknowledged <= set(journal)
    assert len(journal) == len(set(journal))  # no change twice
    feed = survivor.get("/v1/events", params={"after": "0", "limit": 500}).json()["items"]
    entries = [e for e in feed if e["type"].endswith("journal.entry-added")]
    assert len(entries) == len(journal)  # every change with its event, and no event without its change


def test_a_client_dropped_as_a_file_reaches_the_team_and_what_the_team_does_goes_back_as_a_file(city: City) -> None:
    """The housing corporation's system only exchanges files: a client in its export file becomes a signal
    in the team's queue; once the team took it up and involved the corporation, the plan's goals reach its
    import folder as a file, and a phone number changed in its next file reaches the record."""
    folder = city.directory / "woonstichting"
    number, address = f"H-{uuid.uuid4().hex[:6]}", new_address()
    header = "Clientnummer;Achternaam;Voornamen;Geboortedatum;Postcode;Huisnummer;Buurtcode;Reden;Toelichting;Telefoon"
    row = f"{number};Yilmaz;Ayse;01-02-1985;{address['postcode']};{address['houseNumber']};{address['buurtCode']};HUIS"
    _wait(lambda: (folder / "import").is_dir(), 30, "the worker to set up the drop folder")
    (folder / "import" / ".aanmelding.tmp").write_bytes(f"{header}\r\n{row};Huurachterstand;\r\n".encode("cp1252"))
    (folder / "import" / ".aanmelding.tmp").rename(folder / "import" / "aanmelding.csv")
    found: list[dict[str, Any]] = []

    def signalled() -> bool:
        listed = city.coordinator.get("/v1/signals", params={"limit": 100}).json()["items"]
        found[:] = [s for s in listed if s["description"] == "Huurachterstand"]
        return bool(found)

    _wait(signalled, 30, "the corporation's client in the team's queue")
    signal = city.coordinator.get(f"/v1/signals/{found[0]['id']}")
    accepted = city.coordinator.post(
        f"/v1/signals/{found[0]['id']}/accept", json={}, headers={"If-Match": signal.headers["ETag"]}
    )
    assert accepted.status_code == 200, accepted.text
    case_id = accepted.json()["caseId"]
    joined = city.coordinator.post(
        f"/v1/cases/{case_id}/involvements",
        json={"organisationId": city.housing_id, "role": "carries_out", "basis": "statutory_task"}
        | {"basisReference": "Woningwet"},
    )
    assert joined.status_code == 201, joined.text
    assert city.coordinator.put(f"/v1/cases/{case_id}/plan", json=PLAN, headers=FIRST_VERSION).status_code == 200

    def exported() -> list[dict[str, str]]:
        rows = []
        for file in sorted((folder / "export").glob("wijzigingen-*.csv")):
            text = file.read_text(encoding="utf-8-sig")
            rows += [r for r in csv.DictReader(io.StringIO(text, newline=""), delimiter=";") if r["dossier"] == case_id]
        return rows

    _wait(lambda: any(r["soort"] == "PLAN" for r in exported()), 30, "the plan in the corporation's import")
    plan_rows = [r for r in exported() if r["soort"] == "PLAN"]
    assert len(plan_rows) == 1 and plan_rows[0]["doelen"] == "ik_wil: Rust; resultaat: Geen schulden"
    assert plan_rows[0]["clientnummer"] == number
    assert not list((folder / "export").glob(".*"))  # only whole files

    (folder / "import" / "wijziging.csv").write_text(f"{header}\r\n{row};Huurachterstand;06-98765432\r\n")
    _wait(
        lambda: city.coordinator.get(f"/v1/cases/{case_id}").json()["household"]["phone"] == "06-98765432",
        30,
        "the phone number from the corporation's next file on the record",
    )
    assert len(city.coordinator.get(f"/v1/cases/{case_id}").json()["signals"]) == 1
