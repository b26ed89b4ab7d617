"""Household rights: everything held about a person in one answer, and erasure of the file, on request and
after the retention period, leaving the figures and the access log intact."""

import uuid
from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlmodel import SQLModel

from tests.conftest import FIRST_VERSION, Caller, Story, World, new_address, new_member, register_signal, run_async
from wijkregistratie.cases.models import Case
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.discovery import import_all_models
from wijkregistratie.figures.models import FigureLeadTime, FigureRollup
from wijkregistratie.figures.rollups import refresh
from wijkregistratie.households.models import Household, Member
from wijkregistratie.journal.models import JournalEntry
from wijkregistratie.privacy.erasure import erase_expired
from wijkregistratie.privacy.export import LEFT_OUT
from wijkregistratie.privacy.inventory import NOT_PERSONAL, PERSONAL_TABLES, Erase
from wijkregistratie.privacy.models import Erasure
from wijkregistratie.signals.models import Signal

PLAN = {"goals": [{"lifeDomain": "finances", "iWant": "Rust in mijn hoofd over geld.", "result": "Geen schulden"}]}


@pytest.fixture(scope="module")
def officer(world: World) -> Caller:
    return world.api.new_caller(world.orgs["municipality"], ["rights:handle"])


@pytest.fixture(scope="module")
def auditor(world: World) -> Caller:
    return world.api.new_caller(world.orgs["municipality"], ["audit:read"])


def _export(officer: Caller, household_id: str, member_id: str, **headers: str) -> Any:
    return officer.get(
        f"/v1/households/{household_id}/members/{member_id}/export",
        headers={"Purpose-Of-Use": "household_request"} | headers,
    )


def _erase(officer: Caller, household_id: str) -> Any:
    return officer.post(f"/v1/households/{household_id}/erasures", json={"requestReference": "AVG-2026-0042"})


def _close(world: World, story: Story) -> None:
    closed = world.coordinator.post(
        f"/v1/cases/{story.case['id']}/close",
        json={"reason": "goal_reached", "handledBy": "team", "learningNote": "Wekelijks huisbezoek werkte."},
        headers={"If-Match": story.etag},
    )
    assert closed.status_code == 200, closed.text


def _rows(world: World, statement: Any) -> list[tuple[Any, ...]]:
    async def read(session: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in (await (await session.connection()).execute(statement)).all()]

    return run_async(world.api.database_url, read)


def _members(world: World, household_id: str) -> int:
    statement = select(func.count()).where(Member.household_id == uuid.UUID(household_id))
    return int(_rows(world, statement)[0][0])


def _totals(world: World) -> list[tuple[Any, ...]]:
    """The figures' running totals as rebuilt now from the whole history, unperturbed."""
    run_async(world.api.database_url, partial(refresh, full=True))
    rollups, lead_times = FigureRollup.__table__, FigureLeadTime.__table__  # type: ignore[attr-defined]
    ordered = [select(t).order_by(*t.primary_key.columns) for t in (rollups, lead_times)]
    return [row for statement in ordered for row in _rows(world, statement)]


def test_every_table_is_covered_by_export_and_erasure_or_said_to_hold_no_personal_data() -> None:
    import_all_models()
    tables = set(SQLModel.metadata.tables)
    assert not set(PERSONAL_TABLES) & set(NOT_PERSONAL)
    assert tables == set(PERSONAL_TABLES) | set(NOT_PERSONAL), "a new table: export and erase it, or say why not"
    for name, entry in PERSONAL_TABLES.items():
        columns = set(SQLModel.metadata.tables[name].c.keys())
        assert set(entry.emptied) <= columns, name
        assert (entry.erase is Erase.keep) == bool(entry.reason), f"{name}: a kept table says why"
        assert (entry.erase is Erase.empty) == bool(entry.emptied), f"{name}: an emptied table says with what"


def test_a_person_gets_everything_held_about_them(world: World, story: Story, officer: Caller) -> None:
    household_id, case_id = story.signal["householdId"], story.case["id"]
    note = {"kind": "note", "occurredAt": "2026-03-05T10:00:00+01:00", "text": "Eigen notitie GGZ."}
    assert world.ggz.post(f"/v1/cases/{case_id}/journal", json=note).status_code == 201
    household = world.ggz.get(f"/v1/households/{household_id}").json()
    member_id = household["members"][0]["id"]
    response = _export(officer, household_id, member_id)
    assert response.status_code == 200, response.text
    tables = response.json()["tables"]
    assert [m["id"] for m in tables["members"]] == [member_id]  # the person, not the others
    assert [c["id"] for c in tables["cases"]] == [case_id]
    assert story.signal["id"] in {s["id"] for s in tables["signals"]}
    assert "Eigen notitie GGZ." in {j["text"] for j in tables["journal_entries"]}  # every organisation's notes
    assert {i["organisation_id"] for i in tables["involvements"]} >= {str(world.orgs["ggz"])}
    assert any(e["type"].endswith("case.opened") for e in tables["events"])
    assert len({e["sequence"] for e in tables["events"]}) == len(tables["events"])  # each event once
    assert any(a["route"] == "/v1/households/{householdId}" for a in tables["access_log"])
    for name, rows in tables.items():
        for row in rows:
            assert not LEFT_OUT.get(name, set()) & set(row), name  # no keys, hashes or file contents


def test_only_the_rights_officer_exports_and_erases(world: World, story: Story, officer: Caller) -> None:
    household_id = story.signal["householdId"]
    member_id = world.ggz.get(f"/v1/households/{household_id}").json()["members"][0]["id"]
    for caller in (world.ggz, world.coordinator, world.municipality):
        assert _export(caller, household_id, member_id).status_code == 403
        assert _erase(caller, household_id).status_code == 403
    stranger = "00000000-0000-4000-8000-000000000000"
    assert _export(officer, household_id, stranger).status_code == 404
    assert _export(officer, stranger, member_id).status_code == 404
    assert _erase(officer, stranger).status_code == 404
    assert _export(officer, household_id, member_id, **{"Purpose-Of-Use": ""}).status_code == 400
    missing = officer.post(f"/v1/households/{household_id}/erasures", json={})
    assert missing.status_code == 400
    assert [p["name"] for p in missing.json()["invalidParams"]] == ["requestReference"]


def test_a_file_in_progress_is_not_erased(world: World, story: Story, officer: Caller) -> None:
    household_id = story.signal["householdId"]
    refused = _erase(officer, household_id)
    assert refused.status_code == 409
    assert "open case" in refused.json()["detail"]
    assert world.ggz.get(f"/v1/households/{household_id}").status_code == 200  # nothing changed
    in_triage = register_signal(world.housing, world)
    assert _erase(officer, in_triage["householdId"]).status_code == 409


def test_erasure_on_request_takes_the_people_out_and_leaves_the_counts(
    world: World, story: Story, officer: Caller, auditor: Caller
) -> None:
    household_id, case_id = story.signal["householdId"], story.case["id"]
    assert world.ggz.put(f"/v1/cases/{case_id}/plan", json=PLAN, headers=FIRST_VERSION).status_code == 200
    note = {"kind": "home_visit", "occurredAt": "2026-03-05T10:00:00+01:00", "text": "Huisbezoek gedaan."}
    assert world.ggz.post(f"/v1/cases/{case_id}/journal", json=note).status_code == 201
    story.etag = world.coordinator.get(f"/v1/cases/{case_id}").headers["ETag"]
    _close(world, story)
    feed_before = world.ggz.get("/v1/events", params={"after": 0, "limit": 500}).json()["nextCursor"]
    totals = _totals(world)

    receipt = _erase(officer, household_id)

    assert receipt.status_code == 201, receipt.text
    body = receipt.json()
    assert body["grounds"] == "request" and body["requestReference"] == "AVG-2026-0042"
    assert body["rows"]["members"] == 1 and body["rows"]["journal_entries"] >= 1
    assert body["rows"]["plan_versions"] >= 1 and body["rows"]["cases"] == 1
    # Nobody sees the file any more, whoever was involved.
    for caller in (world.ggz, world.housing, world.coordinator):
        assert caller.get(f"/v1/households/{household_id}").status_code == 404
        assert caller.get(f"/v1/cases/{case_id}").status_code == 404
        assert caller.get(f"/v1/signals/{story.signal['id']}").status_code == 404
    assert _erase(officer, household_id).status_code == 404
    # What stays holds no person: no member, no address, no text.
    household, case = uuid.UUID(household_id), uuid.UUID(case_id)
    assert _members(world, household_id) == 0
    address = select(Household.postcode, Household.street, Household.buurt_code).where(Household.id == household)
    assert _rows(world, address) == [("", None, story.address["buurtCode"])]
    assert _rows(world, select(Case.learning_note, Case.closure_reason).where(Case.id == case)) == [
        (None, "goal_reached")
    ]
    assert _rows(world, select(Signal.description).where(Signal.household_id == household)) == [("",)]
    assert _rows(world, select(func.count()).where(JournalEntry.case_id == case)) == [(0,)]
    # The figures count exactly as before.
    assert _totals(world) == totals
    # Those who held the file are told to erase their copies.
    told = world.ggz.get("/v1/events", params={"after": feed_before, "limit": 500}).json()["items"]
    erased = [e for e in told if e["type"] == "nl.wijkregistratie.household.erased"]
    assert [e["data"]["householdId"] for e in erased] == [household_id]
    assert erased[0]["data"]["caseIds"] == [case_id]
    # Older events keep their number and lose their content.
    older = world.ggz.get("/v1/events", params={"after": 0, "limit": 500}).json()["items"]
    assert all(e["data"] == {} for e in older if e.get("subject") == f"cases/{case_id}")
    # The access log keeps every look at the file, and the erasure.
    log = auditor.get(
        "/v1/access-log", params={"householdId": household_id, "limit": 100}, headers={"Purpose-Of-Use": "audit"}
    ).json()
    assert {e["action"] for e in log} >= {"read", "create", "erase"}


def _age_file(world: World, household_id: str, years: int) -> None:
    """Move a household's file `years` into the past: created, signalled and closed then."""
    moment, household = utcnow() - timedelta(days=366 * years), uuid.UUID(household_id)

    async def apply(session: Any) -> None:
        connection = await session.connection()
        await connection.execute(update(Household).where(Household.id == household).values(created_at=moment))
        signals = update(Signal).where(Signal.household_id == household)
        await connection.execute(signals.values(registered_at=moment, status="declined"))

    run_async(world.api.database_url, apply)


def test_the_worker_erases_files_past_their_retention_period(world: World, auditor: Caller) -> None:
    child = (date.today() - timedelta(days=365 * 25)).isoformat()  # a child when the file ended 16 years ago
    households = {}
    for label, members, years in [
        ("adult, 16 years", [new_member()], 16),
        ("with a child, 16 years", [new_member(), new_member(givenNames="Noor", dateOfBirth=child)], 16),
        ("with a child, 21 years", [new_member(givenNames="Noor", dateOfBirth=child)], 21),
        ("adult, 14 years", [new_member()], 14),
    ]:
        signal = register_signal(world.housing, world, household={"address": new_address(), "members": members})
        _age_file(world, signal["householdId"], years)
        households[label] = signal["householdId"]

    erased = {str(h) for h in run_async(world.api.database_url, lambda s: erase_expired(s, world.api.settings))}

    assert households["adult, 16 years"] in erased  # a Wmo file: 15 years
    assert households["with a child, 21 years"] in erased  # a youth file: 20 years
    assert households["with a child, 16 years"] not in erased
    assert households["adult, 14 years"] not in erased
    for household_id in erased & set(households.values()):
        assert _members(world, household_id) == 0
        log = auditor.get(
            "/v1/access-log", params={"householdId": household_id}, headers={"Purpose-Of-Use": "audit"}
        ).json()
        assert [(e["action"], e["clientId"]) for e in log if e["action"] == "erase"] == [("erase", "worker")]
    adult = uuid.UUID(households["adult, 16 years"])
    assert _rows(world, select(Erasure.grounds).where(Erasure.household_id == adult)) == [("retention",)]
    assert not run_async(world.api.database_url, lambda s: erase_expired(s, world.api.settings))  # done once
