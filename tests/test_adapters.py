"""The REST/JSON mapping adapter between the shared record and two simulated partner systems, over HTTP.

Partner A (debt assistance) registers a client in its own system; the worker brings it into the shared
record as a signal and a case with A's client number as its reference. Partner B (mental health care)
joins the case and receives it in its own system; changes reach both; B goes down and catches up; a
partner that answers nonsense or sends a broken record stops nothing.
"""

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from sqlalchemy import update
from sqlmodel import col

from tests.conftest import FIRST_VERSION, Server, World, accept_signal, involve, new_address, run_async, worker_rounds
from wijkregistratie.adapters.config import BUILT_IN_MAPPINGS as BUILT_IN
from wijkregistratie.adapters.config import PartnersFileError
from wijkregistratie.adapters.kinds import partners as configured_partners
from wijkregistratie.adapters.kinds import schemas
from wijkregistratie.adapters.simulator import Store, create_simulator
from wijkregistratie.cases.models import Involvement

PLAN = {"goals": [{"lifeDomain": "finances", "iWant": "Rust", "result": "Geen schulden"}]}


@dataclass
class Partner:
    name: str
    store: Store
    url: str

    def notes(self) -> list[dict[str, Any]]:
        return list(self.store.notes.values())

    def kinds(self, case_id: str) -> list[str]:
        return [n["soort"] for n in self.notes() if n["dossier"] == case_id]


@pytest.fixture
def partners(world: World, tmp_path: Path) -> Iterator[tuple[Partner, Partner, Path]]:
    stores = (Store(), Store())
    suffix = uuid.uuid4().hex[:8]  # checkpoints are kept per partner name, so each test has partners of its own
    with Server(create_simulator(stores[0])) as a, Server(create_simulator(stores[1])) as b:
        config = [
            {
                "name": f"schuldhulp-{suffix}",
                "organisationId": str(world.orgs["debt"]),
                "teamId": world.team["id"],
                "baseUrl": a.url,
                "everySeconds": 0.01,
                "mapping": "schuldhulp.json",
            },
            {
                "name": f"ggz-{suffix}",
                "organisationId": str(world.orgs["ggz"]),
                "teamId": world.team["id"],
                "baseUrl": b.url,
                "everySeconds": 0.01,
                "mapping": "zorg.json",
            },
        ]
        file = tmp_path / "partners.json"
        file.write_text(json.dumps(config))
        yield Partner("A", stores[0], a.url), Partner("B", stores[1], b.url), file


def _type_in(partner: Partner, number: str, **fields: Any) -> None:
    address = new_address()  # a household of its own
    client = {
        "clientnummer": number,
        "achternaam": "De Vries",
        "voornamen": "Sanne",
        "geboortedatum": "1979-05-02",
        "postcode": address["postcode"],
        "huisnummer": address["houseNumber"],
        "buurtcode": address["buurtCode"],
        "aanmeldreden": "HUUR",
        "toelichting": "Huurachterstand.",
    } | fields
    assert httpx.post(f"{partner.url}/api/clienten", json=client).status_code == 201


def _name(partners_file: Path, index: int) -> str:
    return str(json.loads(partners_file.read_text())[index]["name"])


def _case_by_reference(world: World, number: str) -> dict[str, Any]:
    found = world.debt.get("/v1/cases", params={"reference": number}).json()["items"]
    assert len(found) == 1, found
    return dict(found[0])


def test_a_client_typed_in_once_lands_in_the_record_and_in_the_other_system(
    world: World, partners: tuple[Partner, Partner, Path]
) -> None:
    a, b, config = partners
    number = f"C-{id(a) % 100000}"
    _type_in(a, number)
    worker_rounds(world, config)
    case = _case_by_reference(world, number)
    record = world.debt.get(f"/v1/cases/{case['id']}").json()
    assert record["signals"][0]["source"] == "team_organisation"
    assert set(record["signals"][0]["lifeDomains"]) == {"finances", "housing"}

    joined = world.coordinator.post(
        f"/v1/cases/{case['id']}/involvements",
        json={
            "organisationId": str(world.orgs["ggz"]),
            "role": "carries_out",
            "basis": "statutory_task",
            "basisReference": "Wmo 2015",
        },
    )
    assert joined.status_code == 201
    assert world.coordinator.put(f"/v1/cases/{case['id']}/plan", json=PLAN, headers=FIRST_VERSION).status_code == 200
    worker_rounds(world, config)
    assert b.kinds(case["id"]) == ["DOSSIER", "BETROKKENE", "PLAN"]
    assert "PLAN" in a.kinds(case["id"]) and "DOSSIER_GEOPEND" not in a.kinds(case["id"])  # not its own news
    # What the adapters wrote and pushed is in the household's access log, as the organisations they act for.
    auditor = world.api.new_caller(world.orgs["municipality"], ["audit:read"])
    household = record["household"]["id"]
    log = auditor.get(
        "/v1/access-log", params={"householdId": household, "limit": 100}, headers={"Purpose-Of-Use": "audit"}
    )
    by_adapter = {
        (e["route"], e["action"], e["organisationId"]) for e in log.json() if e["route"].startswith("adapter:")
    }
    assert (f"adapter:{_name(config, 0)}", "change", str(world.orgs["debt"])) in by_adapter
    assert (f"adapter:{_name(config, 1)}", "push", str(world.orgs["ggz"])) in by_adapter
    assert all(e["purpose"] == "synchronisation" for e in log.json() if e["route"].startswith("adapter:"))
    plan_note = next(n for n in a.notes() if n["soort"] == "PLAN" and n["dossier"] == case["id"])
    assert plan_note["clientnummer"] == number and plan_note["versie"] == 1

    # The same client changed in A's system: the same case, a journal entry, no second signal.
    _type_in(a, number, toelichting="Betalingsregeling getroffen.")
    worker_rounds(world, config)
    assert _case_by_reference(world, number)["id"] == case["id"]
    journal = world.debt.get(f"/v1/cases/{case['id']}/journal").json()
    assert [(e["text"], e["visibility"]) for e in journal] == [
        ("Schuldhulp: Betalingsregeling getroffen.", "all_involved")
    ]
    assert len(world.debt.get(f"/v1/cases/{case['id']}").json()["signals"]) == 1


def test_a_partner_that_is_down_catches_up_without_duplicates(
    world: World, partners: tuple[Partner, Partner, Path]
) -> None:
    a, b, config = partners
    number = f"D-{id(b) % 100000}"
    _type_in(a, number)
    worker_rounds(world, config)
    case = _case_by_reference(world, number)
    world.coordinator.post(
        f"/v1/cases/{case['id']}/involvements",
        json={
            "organisationId": str(world.orgs["ggz"]),
            "role": "carries_out",
            "basis": "statutory_task",
            "basisReference": "Wmo 2015",
        },
    )
    worker_rounds(world, config)
    b.store.fault = {"plat": True}
    for version in (1, 2):
        headers = {"If-Match": f'"{version - 1}"'} if version > 1 else FIRST_VERSION
        assert world.coordinator.put(f"/v1/cases/{case['id']}/plan", json=PLAN, headers=headers).status_code == 200
    worker_rounds(world, config, rounds=3)
    assert b.kinds(case["id"]) == ["DOSSIER", "BETROKKENE"]
    assert a.kinds(case["id"]).count("PLAN") == 2
    b.store.fault = {}
    worker_rounds(world, config, rounds=2)
    assert b.kinds(case["id"]) == ["DOSSIER", "BETROKKENE", "PLAN", "PLAN"]
    assert [n["versie"] for n in b.notes() if n["soort"] == "PLAN" and n["dossier"] == case["id"]] == [1, 2]
    assert b.store.duplicates_refused == 0 and a.store.duplicates_refused == 0


@pytest.mark.parametrize(
    "fault",
    [{"status": 500, "aantal": 2}, {"ongeldige_json": True}, {"vertraging": 3}],
    ids=["500", "invalid-json", "slower-than-the-timeout"],
)
def test_a_misbehaving_partner_stops_nothing(
    world: World, partners: tuple[Partner, Partner, Path], fault: dict[str, Any]
) -> None:
    a, _, config = partners
    number = f"E-{abs(hash(json.dumps(fault))) % 100000}-{id(a) % 1000}"
    _type_in(a, number)
    a.store.fault = dict(fault)
    settings_file = config
    if "vertraging" in fault:  # a timeout shorter than the partner's delay
        partners_config = json.loads(config.read_text())
        partners_config[0]["timeoutSeconds"] = 0.5
        settings_file = config.with_name("slow.json")
        settings_file.write_text(json.dumps(partners_config))
    worker_rounds(world, settings_file)  # the worker round ends normally
    assert world.debt.get("/v1/cases", params={"reference": number}).json()["items"] == []
    a.store.fault = {}
    worker_rounds(world, settings_file)
    assert _case_by_reference(world, number)["id"]


def test_a_broken_record_is_passed_over_and_the_rest_applied(
    world: World, partners: tuple[Partner, Partner, Path]
) -> None:
    a, _, config = partners
    broken, fine = f"F-{id(a) % 100000}", f"G-{id(a) % 100000}"
    _type_in(a, broken, postcode="geen postcode")
    _type_in(a, fine)
    worker_rounds(world, config)
    assert world.debt.get("/v1/cases", params={"reference": broken}).json()["items"] == []
    assert _case_by_reference(world, fine)["id"]


def test_what_a_partner_is_sent_is_the_record_as_it_may_read_it(
    world: World, partners: tuple[Partner, Partner, Path]
) -> None:
    """B gets the lead's name and number, the plan's goals, the activities assigned to it and its own
    involvement, in its own fields and codes; not an activity of another organisation."""
    a, b, config = partners
    number = f"H-{id(a) % 100000}"
    _type_in(a, number)
    worker_rounds(world, config)
    case = _case_by_reference(world, number)
    joined = involve(world.coordinator, case["id"], world.orgs["ggz"])
    etag = world.coordinator.get(f"/v1/cases/{case['id']}").headers["ETag"]
    lead = world.coordinator.put(
        f"/v1/cases/{case['id']}/lead-professional",
        json={"professionalId": world.professionals["ggz"]["id"]},
        headers={"If-Match": etag},
    )
    assert lead.status_code == 200, lead.text
    for_ggz = {"kind": "organisation", "organisationId": str(world.orgs["ggz"])}
    for_debt = {"kind": "organisation", "organisationId": str(world.orgs["debt"])}
    plan = {
        "goals": [
            {
                "lifeDomain": "finances",
                "iWant": "Rust in mijn hoofd",
                "result": "Geen aanmaningen meer",
                "targetDate": "2027-06-01",
                "activities": [
                    {"description": "Gesprek over stress", "performer": for_ggz, "dueDate": "2027-01-15"},
                    {"description": "Budgetplan maken", "performer": for_debt},
                ],
            }
        ]
    }
    assert world.coordinator.put(f"/v1/cases/{case['id']}/plan", json=plan, headers=FIRST_VERSION).status_code == 200
    worker_rounds(world, config)
    [note] = [n for n in b.notes() if n["dossier"] == case["id"] and n["soort"] == "PLAN"]
    professional = world.professionals["ggz"]
    assert note["status"] == "LOPEND"
    assert note["regisseur"] == {
        "naam": professional["name"],
        "organisatie": joined["organisationName"],
        "telefoon": professional["phone"],
    }
    assert note["doelen"] == [
        {
            "domein": "finances",
            "ik_wil": "Rust in mijn hoofd",
            "resultaat": "Geen aanmaningen meer",
            "streefdatum": "2027-06-01",
        }
    ]
    assert note["acties"] == [{"omschrijving": "Gesprek over stress", "datum": "2027-01-15", "status": "planned"}]
    assert note["betrokkenheid"] == [
        {"rol": "lead", "sinds": joined["since"], "tot": None, "grondslag": "statutory_task"}  # it leads now
    ]
    [debt_note] = [n for n in a.notes() if n["dossier"] == case["id"] and n["soort"] == "PLAN"]
    assert [x["omschrijving"] for x in debt_note["acties"]] == ["Budgetplan maken"]


def test_a_note_about_a_case_the_partner_may_no_longer_see_carries_nothing_of_it(
    world: World, partners: tuple[Partner, Partner, Path]
) -> None:
    """Rendered as the API would answer at the moment of pushing: once B's involvement has ended, what it
    is still told (the events from while it was involved) carries no content of the record."""
    a, b, config = partners
    number = f"J-{id(a) % 100000}"
    _type_in(a, number)
    worker_rounds(world, config)
    case = _case_by_reference(world, number)
    joined = involve(world.coordinator, case["id"], world.orgs["ggz"])
    assert world.coordinator.put(f"/v1/cases/{case['id']}/plan", json=PLAN, headers=FIRST_VERSION).status_code == 200

    async def ended_last_week(session: Any) -> None:  # as if time had passed since B left
        await session.exec(
            update(Involvement)
            .where(col(Involvement.id) == uuid.UUID(joined["id"]))
            .values(since=date.today() - timedelta(days=30), until=date.today() - timedelta(days=7))
        )

    run_async(world.api.database_url, ended_last_week)
    assert world.ggz.get(f"/v1/cases/{case['id']}").status_code == 404
    worker_rounds(world, config)
    notes = [n for n in b.notes() if n["dossier"] == case["id"]]
    assert [n["soort"] for n in notes] == ["DOSSIER", "BETROKKENE", "PLAN"]
    assert all(n["status"] is None and n["regisseur"] is None and n["doelen"] is None for n in notes)
    assert all(n["contact"] is None and n["betrokkenheid"] is None for n in notes)
    [debt_note] = [n for n in a.notes() if n["dossier"] == case["id"] and n["soort"] == "PLAN"]
    assert debt_note["doelen"] == [
        {"domein": "finances", "ik_wil": "Rust", "resultaat": "Geen schulden", "streefdatum": None}
    ]


ENTRY = '{"name": "x", "organisationId": "%s", "baseUrl": "http://p", '


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ('[\n  {\n    "name": "x",\n    "organisationId": "nope",\n', 5, ""),  # not JSON: cut off
        (
            '[\n  {\n    "name": "x",\n    "organisationId": "nope",\n    "baseUrl": "http://p"}]',
            4,
            "[0].organisationId",
        ),
        ("[" + ENTRY + '\n  "mapping": "m.json",\n  "kind": "fax"}]', 3, "[0].kind"),
        ("[" + ENTRY + '\n\n  "mapping": "elders.json"}]', 3, "[0].mapping"),
        ("[" + ENTRY + '"mapping": "m.json",\n "everySeconds": 0}]', 2, "[0].everySeconds"),
        ("[" + ENTRY + '"mapping": "m.json"},\n ' + ENTRY + '"mapping": "m.json", "colour": 1}]', 2, "[1].colour"),
    ],
    ids=["not-json", "not-an-id", "unknown-kind", "mapping-not-found", "pace-out-of-range", "unknown-field"],
)
def test_a_bad_partners_file_is_refused_naming_its_line_and_field(
    tmp_path: Path, text: str, line: int, field: str
) -> None:
    (tmp_path / "m.json").write_text(json.dumps(json.loads((BUILT_IN / "schuldhulp.json").read_text())))
    file = tmp_path / "partners.json"
    file.write_text(text.replace("%s", str(uuid.uuid4())))
    with pytest.raises(PartnersFileError) as refused:
        configured_partners(str(file))
    assert (refused.value.line, refused.value.field) == (line, field), str(refused.value)
    assert str(refused.value).startswith(f"{file}, line {line}: ")


def test_a_new_client_waits_in_triage_and_what_it_brings_reaches_the_case(
    world: World, partners: tuple[Partner, Partner, Path]
) -> None:
    """B (mental health care, the default mapping) brings a client in as a signal in the team's queue, not
    as a case; a contact change typed in B while it waits reaches the record once the team took it up and
    involved B; its own end date ends its part; and each change is placed once."""
    _, b, config = partners
    number = f"K-{id(b) % 100000}"
    _type_in(b, number, aanmeldreden="PSYCH", toelichting="Somberheid.")
    worker_rounds(world, config)
    [signal] = [s for s in world.coordinator.get("/v1/signals").json()["items"] if s["description"] == "Somberheid."]
    assert signal["status"] == "open" and signal["caseId"] is None  # in the team's queue
    assert world.ggz.get("/v1/cases", params={"reference": number}).json()["items"] == []
    _type_in(b, number, aanmeldreden="PSYCH", toelichting="Somberheid.", telefoon="06-11112222")
    worker_rounds(world, config)  # it waits: there is no case yet
    case_id = accept_signal(world.coordinator, signal["id"])
    joined = involve(world.coordinator, case_id, world.orgs["ggz"])
    worker_rounds(world, config)
    record = world.coordinator.get(f"/v1/cases/{case_id}").json()
    assert record["household"]["phone"] == "06-11112222"
    own = world.ggz.get(f"/v1/cases/{case_id}/involvements/{joined['id']}").json()
    assert own["ownReference"] == number  # the identity map, from now on (only B itself reads it)
    assert all(n["clientnummer"] == number for n in b.notes() if n["dossier"] == case_id)

    _type_in(b, number, aanmeldreden="PSYCH", toelichting="Gaat beter.", telefoon="06-11112222")
    _type_in(b, number, aanmeldreden="PSYCH", toelichting="Gaat beter.", telefoon="06-11112222", einddatum="01-01-2030")
    worker_rounds(world, config)
    journal = world.coordinator.get(f"/v1/cases/{case_id}/journal").json()
    assert [(e["text"], e["visibility"]) for e in journal] == [("Zorg: Gaat beter.", "all_involved")]
    ended = world.ggz.get(f"/v1/cases/{case_id}/involvements/{joined['id']}").json()
    assert ended["until"] == "2030-01-01"
    household = world.coordinator.get(f"/v1/cases/{case_id}").json()["household"]
    assert household["version"] == record["household"]["version"]  # the same phone again changes nothing


SCHEMAS = Path(__file__).resolve().parents[1] / "openapi" / "schemas"


def test_the_published_schemas_are_the_codes_and_are_served(world: World) -> None:
    for name, schema in schemas().items():
        committed = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
        assert committed == schema, f"openapi/schemas/{name} is stale: run `make openapi` and commit it"
        served = world.housing.http.get(f"/docs/schemas/{name}")
        kind = "application/fhir+json" if name.startswith("fhir/") else "application/schema+json"
        assert served.status_code == 200 and served.headers["content-type"] == kind
        assert served.json() == committed
    assert world.housing.http.get("/docs/schemas/mappings/fax.json").status_code == 404


def test_the_schemas_say_what_the_worker_accepts() -> None:
    mapping = json.loads((BUILT_IN / "schuldhulp.json").read_text(encoding="utf-8"))
    mapping_schema = jsonschema_rs.validator_for(schemas()["mappings/rest-json.json"])
    assert mapping_schema.is_valid(mapping)
    misspelt = mapping | {"push": mapping["push"] | {"feilds": {}}}
    assert not mapping_schema.is_valid(misspelt)
    entry = {"name": "x", "organisationId": str(uuid.uuid4()), "baseUrl": "http://p", "mapping": "m.json"}
    partners_schema = jsonschema_rs.validator_for(schemas()["partners.json"])
    assert partners_schema.is_valid([entry])
    assert not partners_schema.is_valid([entry | {"kind": "fax"}])
    assert not partners_schema.is_valid([entry | {"everySeconds": 0}])


def test_the_command_line_checks_a_partners_file_as_the_worker_would(tmp_path: Path) -> None:
    good = tmp_path / "partners.json"
    entry = {"name": "x", "organisationId": str(uuid.uuid4()), "baseUrl": "http://p", "mapping": "schuldhulp.json"}
    good.write_text(json.dumps([entry], indent=2))
    checked = subprocess.run(
        [sys.executable, "-m", "wijkregistratie.cli", "check-partners", str(good)], capture_output=True, text=True
    )
    assert checked.returncode == 0 and "1 partners" in checked.stdout, checked.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([entry | {"kind": "fax"}], indent=2))
    for command in (["check-partners", str(bad)], ["worker"]):
        refused = subprocess.run(
            [sys.executable, "-m", "wijkregistratie.cli", *command],
            capture_output=True,
            text=True,
            env=os.environ | {"WR_ADAPTERS_FILE": str(bad), "WR_WORKER_METRICS_PORT": "0"},
            timeout=60,
        )
        assert refused.returncode == 2, refused.stderr
        assert f"{bad}, line 7: [0].kind: not one of csv, fhir-r4, rest-json, zgw" in refused.stderr
        assert "Traceback" not in refused.stderr
