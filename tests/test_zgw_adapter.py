"""The ZGW adapter against a zaaksysteem that checks every call against the official Zaken API 1.5.1
contract (tests/zgw_server.py): a case the municipality is involved in becomes one zaak kept in step until
its closure closes it, a zaak the Wmo consultant registers becomes one signal in the team's queue, and
outages, refusals and a killed worker lose nothing and double nothing.
"""

import json
import os
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
    Server,
    World,
    accept_signal,
    adapter_round,
    involve,
    new_address,
    register_signal,
    wait_until,
    worker_env,
    worker_rounds,
)
from tests.zgw_server import (
    CATALOGUE,
    ROLTYPEN,
    WMO_ZAAKTYPE,
    ZAAKTYPE,
    ZaakSysteem,
    create_zaaksysteem,
    token,
)
from wijkregistratie.adapters.kinds import partners

SECRET_ENV = "WR_TEST_ZGW_SECRET"
CONSULTANT = ("wmo-consultant", "consultant-secret-0123456789")
REGISSEUR, BETROKKENE = f"{CATALOGUE}/roltypen/regisseur", f"{CATALOGUE}/roltypen/betrokkene"
STATUS = {name: f"{CATALOGUE}/statustypen/{n}" for name, n in (("registered", 1), ("active", 2), ("closed", 3))}
MAPPING = {
    "zaak": {
        "zaaktype": ZAAKTYPE,
        "bronorganisatie": "002220647",
        "verantwoordelijkeOrganisatie": "002220647",
        "statustypen": STATUS,
        "roltypen": {"leadProfessional": REGISSEUR, "involved": BETROKKENE},
        "resultaattype": f"{CATALOGUE}/resultaattypen/afgerond",
        "resultaattypen": {"referred_to_specialist_care": f"{CATALOGUE}/resultaattypen/verwezen"},
    },
    "pull": {
        "zaaktype": WMO_ZAAKTYPE,
        "reference": "identificatie",
        "household": {
            "postcode": "postcode",
            "houseNumber": "huisnummer",
            "buurtCode": "kenmerk:buurtcode",
            "surname": "achternaam",
            "givenNames": "voornamen",
            "dateOfBirth": "geboortedatum",
        },
        "signal": {
            "source": {"value": "team_organisation"},
            "lifeDomains": {"value": ["basic_adl", "housing"]},
            "description": {"field": "toelichting", "default": "Wmo-melding in het zaaksysteem."},
        },
    },
}
WRITES = {"POST", "PATCH", "DELETE"}


@dataclass
class Municipality:
    system: ZaakSysteem
    url: str
    partners_file: Path

    def consultant(self) -> httpx.Client:
        """The Wmo consultant's own client of the zaaksysteem."""
        headers = {"Authorization": f"Bearer {token(*CONSULTANT)}", "Accept-Crs": "EPSG:4326"}
        return httpx.Client(base_url=self.url, headers=headers | {"Content-Crs": "EPSG:4326"}, timeout=10)

    def zaak_of(self, case_id: str) -> dict[str, Any]:
        [zaak] = [z for z in self.system.zaken() if z["identificatie"] == f"WR-{uuid.UUID(case_id).hex}"]
        return zaak

    def writes(self) -> list[tuple[str, str]]:
        return [call for call in self.system.calls if call[0] in WRITES]


@pytest.fixture
def municipality(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Municipality]:
    secret = "zgw-secret-" + uuid.uuid4().hex
    monkeypatch.setenv(SECRET_ENV, secret)
    system = ZaakSysteem(secrets={"wijkregistratie": secret, CONSULTANT[0]: CONSULTANT[1]})
    with Server(create_zaaksysteem(system)) as server:
        url = f"{server.url}/zaken/api/v1"
        (tmp_path / "zaaksysteem.json").write_text(json.dumps(MAPPING))
        entry = {
            "name": f"zaaksysteem-{uuid.uuid4().hex[:8]}",  # checkpoints are kept by name: one per test
            "kind": "zgw",
            "organisationId": str(world.orgs["municipality"]),
            "teamId": world.team["id"],
            "baseUrl": url,
            "clientId": "wijkregistratie",
            "tokenEnv": SECRET_ENV,
            "everySeconds": 0.01,
            "mapping": "zaaksysteem.json",
        }
        (tmp_path / "partners.json").write_text(json.dumps([entry]))
        yield Municipality(system, url, tmp_path / "partners.json")
        assert system.violations == [], "the adapter used what the Zaken API does not have"


def _case(world: World, **opened: Any) -> str:
    """A case with GGZ's professional as lead, the municipality involved."""
    signal = register_signal(world.housing, world, household={"address": new_address(), "members": [_member()]})
    body = {"householdId": signal["householdId"], "signalIds": [signal["id"]], "basis": "statutory_task"}
    case = world.coordinator.post("/v1/cases", json=body | {"basisReference": "Wmo 2015"} | opened)
    assert case.status_code == 201, case.text
    case_id = str(case.json()["id"])
    involve(world.coordinator, case_id, world.orgs["ggz"])
    involve(world.coordinator, case_id, world.orgs["municipality"])
    _lead(world, case_id, "ggz")
    return case_id


def _member() -> dict[str, Any]:
    return {"surname": "Yilmaz", "givenNames": "Ayse", "dateOfBirth": "1971-09-14"}


def _lead(world: World, case_id: str, role: str) -> None:
    etag = world.coordinator.get(f"/v1/cases/{case_id}").headers["ETag"]
    lead = world.coordinator.put(
        f"/v1/cases/{case_id}/lead-professional",
        json={"professionalId": world.professionals[role]["id"]},
        headers={"If-Match": etag},
    )
    assert lead.status_code == 200, lead.text


def _close(world: World, case_id: str, reason: str = "referred_to_specialist_care") -> None:
    etag = world.coordinator.get(f"/v1/cases/{case_id}").headers["ETag"]
    body = {"reason": reason, "handledBy": "specialist_care"}
    closed = world.coordinator.post(f"/v1/cases/{case_id}/close", json=body, headers={"If-Match": etag})
    assert closed.status_code == 200, closed.text


def _rollen(municipality: Municipality, zaak: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    rollen = municipality.system.of("rollen", zaak)
    return {kind: [r for r in rollen if r["roltype"] == kind] for kind in (REGISSEUR, BETROKKENE)}


def test_a_case_becomes_one_zaak_kept_in_step_until_its_closure_closes_it(
    world: World, municipality: Municipality
) -> None:
    case_id = _case(world, ownReference="WT-2026-77")  # the team's own number: not the municipality's to see
    worker_rounds(world, municipality.partners_file)
    zaak = municipality.zaak_of(case_id)
    assert zaak["zaaktype"] == ZAAKTYPE and zaak["bronorganisatie"] == "002220647"
    assert zaak["kenmerken"] == [{"kenmerk": case_id, "bron": "wijkregistratie"}]
    rollen = _rollen(municipality, zaak)
    [lead] = rollen[REGISSEUR]
    ggz = world.professionals["ggz"]
    assert lead["betrokkeneType"] == "medewerker" and lead["betrokkeneIdentificatie"]["achternaam"] == ggz["name"]
    assert lead["contactpersoonRol"]["telefoonnummer"] == ggz["phone"]
    assert lead["omschrijvingGeneriek"] == ROLTYPEN[REGISSEUR][1]  # the zaaksysteem's own catalogue speaking
    involved = {r["betrokkeneIdentificatie"]["statutaireNaam"] for r in rollen[BETROKKENE]}
    record = world.coordinator.get(f"/v1/cases/{case_id}").json()
    assert involved == {i["organisationName"] for i in record["involvements"]}
    [status] = municipality.system.of("statussen", zaak)
    assert status["statustype"] == STATUS[record["status"]]

    # Nothing changed: a second round only reads.
    before = len(municipality.writes())
    worker_rounds(world, municipality.partners_file)
    assert len(municipality.writes()) == before

    # A new lead replaces the lead's rol, and only it.
    involve(world.coordinator, case_id, world.orgs["debt"])
    _lead(world, case_id, "debt")
    worker_rounds(world, municipality.partners_file)
    rollen = _rollen(municipality, zaak)
    assert [r["betrokkeneIdentificatie"]["achternaam"] for r in rollen[REGISSEUR]] == [
        world.professionals["debt"]["name"]
    ]
    assert len(rollen[BETROKKENE]) == len(involved) + 1

    # The closure: the resultaat for its reason, then the eindstatus, on which the zaaksysteem ends the zaak.
    _close(world, case_id)
    worker_rounds(world, municipality.partners_file, rounds=2)
    zaak = municipality.zaak_of(case_id)
    [resultaat] = municipality.system.of("resultaten", zaak)
    assert resultaat["resultaattype"] == f"{CATALOGUE}/resultaattypen/verwezen"
    assert zaak["einddatum"] is not None
    assert [s["statustype"] for s in municipality.system.of("statussen", zaak)][-1] == STATUS["closed"]
    assert len([z for z in municipality.system.zaken() if z["zaaktype"] == ZAAKTYPE]) == 1


def _consultant_registers(municipality: Municipality, description: str) -> dict[str, Any]:
    """The Wmo consultant registers a zaak for a resident in the zaaksysteem, as its own client does."""
    address = new_address()
    with municipality.consultant() as consultant:
        registered = consultant.post(
            "/zaken",
            json={
                "bronorganisatie": "002220647",
                "verantwoordelijkeOrganisatie": "002220647",
                "zaaktype": WMO_ZAAKTYPE,
                "startdatum": time.strftime("%Y-%m-%d"),
                "toelichting": description,
                "kenmerken": [{"kenmerk": address["buurtCode"], "bron": "buurtcode"}],
            },
        )
        assert registered.status_code == 201, registered.text
        zaak = registered.json()
        initiator = consultant.post(
            "/rollen",
            json={
                "zaak": zaak["url"],
                "betrokkeneType": "natuurlijk_persoon",
                "roltype": f"{CATALOGUE}/roltypen/aanvrager",
                "roltoelichting": "Aanvrager",
                "betrokkeneIdentificatie": {
                    "geslachtsnaam": "Bakker",
                    "voorvoegselGeslachtsnaam": "de",
                    "voornamen": "Wim",
                    "geboortedatum": "1948-02-11",
                    "verblijfsadres": {
                        "aoaIdentificatie": "0599200000000001",
                        "wplWoonplaatsNaam": "Rotterdam",
                        "gorOpenbareRuimteNaam": "Noordsingel",
                        "aoaPostcode": address["postcode"],
                        "aoaHuisnummer": address["houseNumber"],
                    },
                },
            },
        )
        assert initiator.status_code == 201, initiator.text
    return dict(zaak)


def _signals_saying(world: World, description: str) -> list[dict[str, Any]]:
    """The team's signals with this description, every page of them."""
    found, query = [], {"limit": 100}
    while True:
        page = world.coordinator.get("/v1/signals", params=query).json()
        found += [s for s in page["items"] if s["description"] == description]
        if not page.get("nextCursor"):
            return found
        query = {"limit": 100, "cursor": page["nextCursor"]}


def test_a_zaak_the_wmo_consultant_registers_becomes_one_signal_and_names_the_case_after(
    world: World, municipality: Municipality
) -> None:
    description = "Aanvraag huishoudelijke hulp; woning vervuild."
    zaak = _consultant_registers(municipality, description)
    worker_rounds(world, municipality.partners_file, rounds=2)
    worker_rounds(world, municipality.partners_file)  # the same day's zaken are read again: still one signal
    mine = _signals_saying(world, description)
    assert len(mine) == 1 and mine[0]["status"] == "open"
    assert set(mine[0]["lifeDomains"]) == {"basic_adl", "housing"}

    # The team takes it up with the municipality involved: its zaak is named on the case's own zaak.
    case_id = accept_signal(world.coordinator, mine[0]["id"])
    involve(world.coordinator, case_id, world.orgs["municipality"])
    worker_rounds(world, municipality.partners_file, rounds=2)
    record = world.coordinator.get(f"/v1/cases/{case_id}").json()
    assert [m["surname"] for m in record["household"]["members"]] == ["de Bakker"]
    kenmerken = municipality.zaak_of(case_id)["kenmerken"]
    municipality_name = next(
        i["organisationName"] for i in record["involvements"] if i["organisationId"] == str(world.orgs["municipality"])
    )
    assert {"kenmerk": zaak["identificatie"], "bron": municipality_name[:40]} in kenmerken


def test_outages_garbled_answers_and_refusals_lose_nothing_and_say_why(
    world: World, municipality: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = _case(world)
    municipality.system.outage = 1
    failed = adapter_round(world, municipality.partners_file)
    assert failed.failure is not None and failed.failure.cause == "failing" and "503" in str(failed.failure)
    assert municipality.system.zaken() == []

    municipality.system.garbled = 1
    assert getattr(adapter_round(world, municipality.partners_file).failure, "cause", None) == "garbled"

    monkeypatch.setenv(SECRET_ENV, "not-the-secret")
    refused = adapter_round(world, municipality.partners_file).failure
    assert refused is not None and refused.cause == "refused" and "403" in str(refused)

    monkeypatch.setenv(SECRET_ENV, municipality.system.secrets["wijkregistratie"])
    wrong = json.loads(json.dumps(MAPPING))
    wrong["zaak"]["zaaktype"] = f"{CATALOGUE}/zaaktypen/onbekend"
    mapping_file = municipality.partners_file.parent / "zaaksysteem.json"
    mapping_file.write_text(json.dumps(wrong))
    rejected = adapter_round(world, municipality.partners_file).failure
    assert rejected is not None and rejected.cause == "rejected"
    assert "zaaktype: bad-url" in str(rejected)  # the zaaksysteem's own codes, for the operator
    assert "Onbekend" not in str(rejected)  # not its reasons: they may quote the values it refused

    status = _partners_status(world, municipality)
    assert "failing since" in status and "rejected: refused a POST (400: zaaktype: bad-url)" in status

    mapping_file.write_text(json.dumps(MAPPING))
    assert adapter_round(world, municipality.partners_file).failure is None
    assert adapter_round(world, municipality.partners_file).failure is None
    assert _partners_status(world, municipality).endswith("in step\n")
    zaak = municipality.zaak_of(case_id)
    assert len(municipality.system.of("statussen", zaak)) == 1
    assert len(_rollen(municipality, zaak)[REGISSEUR]) == 1


def _partners_status(world: World, municipality: Municipality) -> str:
    """What `wijkregistratie partners` tells the operator."""
    shown = subprocess.run(
        [sys.executable, "-m", "wijkregistratie.cli", "partners", "--file", str(municipality.partners_file)],
        capture_output=True,
        text=True,
        env=os.environ | {"DATABASE_URL": world.api.database_url, "WR_ENVIRONMENT": "test"},
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    return shown.stdout


def test_a_worker_killed_while_it_writes_a_zaak_leaves_it_whole_and_single(
    world: World, municipality: Municipality
) -> None:
    """A worker process is killed with SIGKILL again and again while it registers zaken, their rollen and
    their statuses with a slow zaaksysteem; the worker that follows completes each zaak, once."""
    cases = [_case(world) for _ in range(3)]
    description = "Aanvraag woningaanpassing; trap onbegaanbaar."
    _consultant_registers(municipality, description)
    municipality.system.delay = 0.05
    env = worker_env(world, municipality.partners_file)
    for cut_after in (0.8, 1.3, 1.9):
        worker = subprocess.Popen([sys.executable, "-m", "wijkregistratie.cli", "worker"], env=env)
        writes = len(municipality.writes())
        wait_until(lambda writes=writes: len(municipality.writes()) > writes, 60, "the worker to write")
        time.sleep(cut_after - 0.5)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    municipality.system.delay = 0
    worker_rounds(world, municipality.partners_file, rounds=2)
    for case_id in cases:
        zaak = municipality.zaak_of(case_id)  # exactly one each
        rollen = _rollen(municipality, zaak)
        assert len(rollen[REGISSEUR]) == 1
        involved = world.coordinator.get(f"/v1/cases/{case_id}").json()["involvements"]
        assert len(rollen[BETROKKENE]) == len(involved)
        assert [s["statustype"] for s in municipality.system.of("statussen", zaak)] == [STATUS["active"]]
    assert len(_signals_saying(world, description)) == 1  # the zaak it pulled, once


def test_the_zaaksysteem_refuses_what_the_standard_does_not_have(municipality: Municipality) -> None:
    """The check the adapter's tests rely on: a field or parameter outside the contract is refused."""
    zaak = {
        "bronorganisatie": "002220647",
        "verantwoordelijkeOrganisatie": "002220647",
        "zaaktype": WMO_ZAAKTYPE,
        "startdatum": "2026-12-01",
    }
    with municipality.consultant() as consultant:
        assert consultant.post("/zaken", json=zaak).status_code == 201
        extra = consultant.post("/zaken", json=zaak | {"kenmerken": [{"kenmerk": "1", "bron": "x", "soort": "y"}]})
        assert extra.status_code == 400
        assert [p["name"] for p in extra.json()["invalidParams"]] == ["kenmerken.0.soort"]
        assert consultant.post("/zaken", json=zaak | {"startdatum": "morgen"}).status_code == 400
        assert consultant.get("/zaken", params={"gewijzigdNa": "2026-12-01"}).status_code == 400
        unsigned = httpx.get(f"{municipality.url}/zaken", headers={"Accept-Crs": "EPSG:4326"})
        assert unsigned.status_code == 403
    assert len(municipality.system.violations) == 3
    municipality.system.violations.clear()


def test_a_zgw_partner_needs_its_client_id_and_secret(tmp_path: Path) -> None:
    (tmp_path / "zaaksysteem.json").write_text(json.dumps(MAPPING))
    entry = {
        "name": "zaaksysteem",
        "kind": "zgw",
        "organisationId": str(uuid.uuid4()),
        "baseUrl": "https://zaken.gemeente.test/zaken/api/v1",
        "tokenEnv": SECRET_ENV,
        "mapping": "zaaksysteem.json",
    }
    (tmp_path / "partners.json").write_text(json.dumps([entry], indent=2))
    with pytest.raises(Exception, match=r"\[0\]\.clientId: a zgw partner needs it"):
        partners(str(tmp_path / "partners.json"))
    unknown = MAPPING | {"zaak": MAPPING["zaak"] | {"statustypen": {"open": STATUS["active"]}}}
    (tmp_path / "zaaksysteem.json").write_text(json.dumps(unknown, indent=2))
    (tmp_path / "partners.json").write_text(json.dumps([entry | {"clientId": "wr"}], indent=2))
    with pytest.raises(Exception, match=r"zaak\.statustypen"):
        partners(str(tmp_path / "partners.json"))


def test_the_readme_example_is_a_partners_entry_and_mapping_that_the_worker_takes(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```json\n")[1:]]
    entry = json.loads(next(b for b in blocks if '"kind": "zgw"' in b))
    mapping = json.loads(next(b for b in blocks if b.lstrip().startswith('{"zaak"')))
    (tmp_path / entry["mapping"]).write_text(json.dumps(mapping))
    entry["organisationId"], entry["teamId"] = str(uuid.uuid4()), str(uuid.uuid4())
    (tmp_path / "partners.json").write_text(json.dumps([entry]))
    [(partner, checked)] = partners(str(tmp_path / "partners.json"))
    assert partner.kind == "zgw" and checked.model_dump(by_alias=True)["pull"]["reference"] == "identificatie"
