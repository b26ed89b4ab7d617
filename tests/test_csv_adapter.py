"""The CSV adapter against a real drop folder: files as Dutch office software writes them, each applied
once, each row on its own with a reject file naming the row and field, and changes written back as one
file per round that appears whole."""

import asyncio
import csv
import hashlib
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIRST_VERSION, World, accept_signal, involve, new_address, run_async
from wijkregistratie.adapters.models import AdapterCheckpoint
from wijkregistratie.worker.runner import Worker

HEADER = "Clientnummer;Achternaam;Voornamen;Geboortedatum;Postcode;Huisnummer;Buurtcode;Reden;Toelichting;Telefoon\r\n"


def _partner(world: World, tmp_path: Path) -> tuple[str, Path, Path]:
    name = f"welzijn-{uuid.uuid4().hex[:8]}"  # checkpoints are kept per partner name
    folder = tmp_path / "welzijn"
    config = [
        {
            "name": name,
            "kind": "csv",
            "organisationId": str(world.orgs["housing"]),
            "teamId": world.team["id"],
            "folder": str(folder),
            "mapping": "welzijn-csv.json",
        }
    ]
    partners_file = tmp_path / "partners.json"
    partners_file.write_text(json.dumps(config))
    (folder / "import").mkdir(parents=True)
    return name, folder, partners_file


def _work(world: World, partners_file: Path) -> None:
    settings = world.api.settings.model_copy(update={"adapters_file": str(partners_file)})
    job = f"adapters.{json.loads(partners_file.read_text())[0]['name']}"

    async def run() -> None:
        worker = Worker(settings)
        try:
            await worker.run_once([job])
        finally:
            await worker.close()

    asyncio.run(run())


def _row(number: str, *, postcode: str | None = None, toelichting: str = "Voelt zich alleen.", phone: str = "") -> str:
    address = new_address()
    cells = [
        number,
        "Jansen",
        "Piet",
        "03-04-1950",  # dd-mm-jjjj
        postcode or address["postcode"],
        str(address["houseNumber"]),
        address["buurtCode"],
        "EENZAAM",
        toelichting,
        phone,
    ]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def _signals(world: World, number_prefix: str) -> list[dict[str, Any]]:
    listed = world.coordinator.get("/v1/signals", params={"limit": 100}).json()["items"]
    return [s for s in listed if s["description"].startswith(number_prefix)]


def test_a_windows_file_is_applied_once_row_by_row_with_a_reject_file(world: World, tmp_path: Path) -> None:
    _, folder, partners_file = _partner(world, tmp_path)
    tag = uuid.uuid4().hex[:6]
    text = (
        HEADER
        + _row(f"W1-{tag}", toelichting=f"{tag} Eenzaam, zegt de buurvrouw;\nbelt niemand.")  # a newline inside
        + _row(f"W2-{tag}", postcode="geen postcode", toelichting=f"{tag} kapot")
        + _row(f"W3-{tag}", toelichting=f"{tag} Café-bezoek gestopt.")  # é in Windows-1252
    )
    data = text.encode("cp1252")
    (folder / "import" / "aanmeldingen.csv").write_bytes(data)
    _work(world, partners_file)

    signals = _signals(world, tag)
    assert sorted(s["description"] for s in signals) == [
        f"{tag} Café-bezoek gestopt.",
        f"{tag} Eenzaam, zegt de buurvrouw;\nbelt niemand.",
    ]
    assert all(s["status"] == "open" and s["caseId"] is None for s in signals)
    rejects = (folder / "rejected" / "aanmeldingen.afgewezen.csv").read_text(encoding="utf-8-sig")
    [header, refused] = list(csv.reader(io.StringIO(rejects), delimiter=";"))
    assert header == ["regel", "veld", "reden"]
    assert refused[0] == "4"  # the header, the first row over two lines, then this one
    assert "postcode" in refused[1] and refused[2]
    assert "kapot" not in rejects  # the reason, never the row's content
    assert not list((folder / "import").iterdir())
    checksum = hashlib.sha256(data).hexdigest()
    assert [p.name for p in (folder / "applied").iterdir()] == [f"{checksum[:16]}-aanmeldingen.csv"]

    (folder / "import" / "nogmaals.csv").write_bytes(data)  # the same file dropped again
    _work(world, partners_file)
    assert len(_signals(world, tag)) == 2
    again = (folder / "rejected" / "nogmaals.afgewezen.csv").read_text(encoding="utf-8-sig")
    assert "al eerder verwerkt" in again


def test_a_comma_file_with_a_byte_order_mark_and_a_worker_that_stopped_halfway(world: World, tmp_path: Path) -> None:
    name, folder, partners_file = _partner(world, tmp_path)
    tag = uuid.uuid4().hex[:6]
    rows = [_row(f"B{n}-{tag}", toelichting=f"{tag} rij {n}").replace(";", ",") for n in (1, 2, 3)]
    data = ("\ufeff" + HEADER.replace(";", ",") + "".join(rows)).encode("utf-8")
    (folder / "import" / "export.csv").write_bytes(data)
    checksum = hashlib.sha256(data).hexdigest()

    async def stopped_after_two_rows(session: Any) -> None:  # as a worker leaves it that died after row 2
        organisation = world.orgs["housing"]
        session.add(AdapterCheckpoint(partner=name, organisation_id=organisation, pulled_up_to=f"{checksum}:2"))

    run_async(world.api.database_url, stopped_after_two_rows)
    _work(world, partners_file)
    assert [s["description"] for s in _signals(world, tag)] == [f"{tag} rij 3"]
    assert (folder / "applied" / f"{checksum[:16]}-export.csv").exists()


def test_what_the_team_does_is_written_back_as_one_whole_file_per_round(world: World, tmp_path: Path) -> None:
    _, folder, partners_file = _partner(world, tmp_path)
    tag = uuid.uuid4().hex[:6]
    number = f"X-{tag}"
    (folder / "import" / "nieuw.csv").write_text(HEADER + _row(number, toelichting=f"{tag} nieuw"), encoding="utf-8")
    _work(world, partners_file)
    [signal] = _signals(world, tag)
    case_id = accept_signal(world.coordinator, signal["id"])
    involve(world.coordinator, case_id, world.orgs["housing"])
    for_housing = {"kind": "organisation", "organisationId": str(world.orgs["housing"])}
    plan = {
        "goals": [
            {
                "lifeDomain": "social_network",
                "iWant": "Weer mensen zien",
                "result": "Twee keer per week naar de soos",
                "activities": [
                    {"description": "Meegaan naar de soos", "performer": for_housing, "dueDate": "2027-02-01"}
                ],
            }
        ]
    }
    assert world.coordinator.put(f"/v1/cases/{case_id}/plan", json=plan, headers=FIRST_VERSION).status_code == 200
    _work(world, partners_file)

    files = sorted((folder / "export").iterdir())
    assert [f.name.startswith("wijzigingen-") and f.suffix == ".csv" for f in files] == [True]  # no half file
    raw = files[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark spreadsheet programs look for
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    mine = [r for r in rows if r["dossier"] == case_id]
    assert [r["soort"] for r in mine] == ["DOSSIER", "BETROKKENE", "PLAN"]
    assert all(r["clientnummer"] == number for r in mine)
    plan_row = mine[-1]
    assert plan_row["doelen"] == "ik_wil: Weer mensen zien; resultaat: Twee keer per week naar de soos"
    assert plan_row["acties"] == "omschrijving: Meegaan naar de soos; datum: 01-02-2027"  # dd-mm-jjjj
    _work(world, partners_file)  # nothing new: no new file
    assert sorted((folder / "export").iterdir()) == files


@pytest.mark.parametrize("missing", ["folder", "mapping"])
def test_a_csv_partner_without_its_folder_or_with_a_wrong_mapping_is_refused(
    world: World, tmp_path: Path, missing: str
) -> None:
    from wijkregistratie.adapters.config import PartnersFileError
    from wijkregistratie.adapters.kinds import partners

    entry: dict[str, Any] = {
        "name": "welzijn",
        "kind": "csv",
        "organisationId": str(world.orgs["housing"]),
        "folder": str(tmp_path),
        "mapping": "welzijn-csv.json",
    }
    if missing == "folder":
        del entry["folder"]
    else:
        entry["mapping"] = "schuldhulp.json"  # a rest-json mapping: not what a csv partner needs
    file = tmp_path / "partners.json"
    file.write_text(json.dumps([entry], indent=2))
    with pytest.raises(PartnersFileError) as refused:
        partners(str(file))
    assert refused.value.field == ("[0].folder" if missing == "folder" else "import")
