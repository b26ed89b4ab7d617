"""The access log (NEN 7513): every look and every change, refusals included, with its purpose; append-only."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, text, update
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from tests.conftest import FIRST_VERSION, Caller, Server, Story, World, run_async, settings_for_tests
from wijkregistratie.core.access_log import purge
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.models import AccessLogEntry


@pytest.fixture(scope="module")
def auditor(world: World) -> Caller:
    return world.api.new_caller(world.orgs["municipality"], ["audit:read"])


def _log(auditor: Caller, **params: Any) -> list[dict[str, Any]]:
    response = auditor.get("/v1/access-log", params=params | {"limit": 100}, headers={"Purpose-Of-Use": "audit"})
    assert response.status_code == 200, response.text
    return list(response.json())


def test_a_read_of_personal_data_states_its_purpose(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}"
    for purpose in (None, "curiosity"):
        headers = {"Purpose-Of-Use": purpose} if purpose else {}
        if purpose is None:
            headers = {"Authorization": f"Bearer {world.ggz.token()}"}
            response = world.api.http.get(path, headers=headers)
        else:
            response = world.ggz.get(path, headers=headers)
        assert response.status_code == 400, response.text
        assert response.json()["invalidParams"][0]["name"] == "Purpose-Of-Use"
    assert world.ggz.get(path, headers={"Purpose-Of-Use": "coordination"}).status_code == 200
    # The directory holds no personal data of households: no purpose needed there.
    directory = world.api.http.get(
        f"/v1/teams/{world.team['id']}", headers={"Authorization": f"Bearer {world.ggz.token()}"}
    )
    assert directory.status_code == 200


def test_every_look_and_change_is_logged_with_who_what_why_and_where(
    world: World, story: Story, auditor: Caller
) -> None:
    case_id = story.case["id"]
    assert world.ggz.get(f"/v1/cases/{case_id}", headers={"Purpose-Of-Use": "coordination"}).status_code == 200
    assert world.outsider.get(f"/v1/cases/{case_id}").status_code == 404
    plan = {"goals": [{"lifeDomain": "finances", "iWant": "Rust", "result": "Geen schulden"}]}
    assert world.ggz.put(f"/v1/cases/{case_id}/plan", json=plan, headers=FIRST_VERSION).status_code == 200
    entries = _log(auditor, caseId=case_id)
    read = next(e for e in entries if e["organisationId"] == str(world.orgs["ggz"]) and e["action"] == "read")
    assert read["route"] == "/v1/cases/{caseId}" and read["resourceId"] == case_id
    assert read["purpose"] == "coordination" and read["outcome"] == "allowed" and read["status"] == 200
    assert read["sourceAddress"] == "127.0.0.1" and read["clientId"] == world.ggz.client_id
    assert read["organisationName"]
    refused = next(e for e in entries if e["organisationId"] == str(world.orgs["outsider"]))
    assert refused["outcome"] == "refused" and refused["status"] == 404
    change = next(e for e in entries if e["action"] == "change")
    assert change["resourceType"] == "plan" and change["organisationId"] == str(world.orgs["ggz"])


def test_a_look_is_logged_in_the_transaction_that_reads(world: World, story: Story) -> None:
    """One session per logged read: its entry is stored with the request's own commit, and the file its
    address names is not looked up a second time for it."""
    with Server(settings_for_tests(world.api.database_url)) as server, httpx.Client(base_url=server.url) as http:
        caller = Caller(http, world.ggz.client_id, world.ggz.secret, world.ggz.organisation_id)
        caller.token()
        application: Any = server.server.config.app
        opened, sessionmaker = [], application.state.sessionmaker
        application.state.sessionmaker = lambda: opened.append(1) or sessionmaker()
        statements: list[str] = []
        engine = application.state.engine.sync_engine
        listener = lambda *arguments: statements.append(arguments[2])  # noqa: E731
        sqlalchemy_event.listen(engine, "before_cursor_execute", listener)
        try:
            response = caller.get(f"/v1/cases/{story.case['id']}", headers={"Purpose-Of-Use": "coordination"})
        finally:
            sqlalchemy_event.remove(engine, "before_cursor_execute", listener)
            application.state.sessionmaker = sessionmaker
    assert response.status_code == 200, response.text
    assert len(opened) == 1
    assert sum(1 for s in statements if "INSERT INTO access_log" in s) == 1

    async def latest(session: Any) -> AccessLogEntry:
        statement = select(AccessLogEntry).where(AccessLogEntry.client_id == world.ggz.client_id)
        return (await session.exec(statement.order_by(AccessLogEntry.id.desc()))).first()  # type: ignore[union-attr]

    entry = run_async(world.api.database_url, latest)
    assert (entry.action, entry.status, str(entry.case_id)) == ("read", 200, story.case["id"])
    assert str(entry.household_id) == story.case["householdId"]


def test_a_household_can_be_shown_who_looked_at_its_file(world: World, story: Story, auditor: Caller) -> None:
    household = world.ggz.get(f"/v1/households/{story.signal['householdId']}").json()
    member_id = household["members"][0]["id"]
    world.coordinator.get(f"/v1/signals/{story.signal['id']}", headers={"Purpose-Of-Use": "coordination"})
    by_person = _log(auditor, memberId=member_id)
    assert {e["route"] for e in by_person} >= {"/v1/households/{householdId}", "/v1/signals/{signalId}"}
    assert _log(auditor, householdId=story.signal["householdId"]) == by_person
    assert world.ggz.get("/v1/access-log", params={"caseId": story.case["id"]}).status_code == 403
    both = auditor.get(
        "/v1/access-log",
        params={"caseId": story.case["id"], "memberId": member_id},
        headers={"Purpose-Of-Use": "audit"},
    )
    assert both.status_code == 400


def test_the_log_cannot_be_changed_or_emptied(world: World, story: Story) -> None:
    world.ggz.get(f"/v1/cases/{story.case['id']}")

    async def change(session: Any) -> None:
        await session.exec(update(AccessLogEntry).values(purpose="audit"))

    async def remove(session: Any) -> None:
        await session.exec(delete(AccessLogEntry))

    for attempt in (change, remove):
        with pytest.raises(DBAPIError, match="append-only"):
            run_async(world.api.database_url, attempt)


def test_entries_past_retention_are_purged_and_the_rest_kept(world: World, story: Story) -> None:
    old = AccessLogEntry(
        at=utcnow() - timedelta(days=6 * 366),
        action="read",
        method="GET",
        route="/v1/cases/{caseId}",
        resource_type="cases",
        status=200,
        outcome="allowed",
    )

    async def add(session: Any) -> None:
        session.add(old)

    async def count(session: Any) -> int:
        return int(await session.scalar(text("SELECT COUNT(*) FROM access_log")))

    run_async(world.api.database_url, add)
    before = run_async(world.api.database_url, count)
    removed = run_async(world.api.database_url, lambda s: purge(s, 1830))
    assert removed == 1
    assert run_async(world.api.database_url, count) == before - 1


def test_every_read_of_personal_data_documents_the_purpose(world: World) -> None:
    document = world.api.http.get("/openapi.json").json()
    for path, item in document["paths"].items():
        operation = item.get("get")
        personal = path.startswith(("/cases", "/signals", "/households", "/matches", "/referrals", "/events"))
        if operation and personal:
            names = {p["name"]: p for p in operation["parameters"]}
            assert names["Purpose-Of-Use"]["required"] is True, path
