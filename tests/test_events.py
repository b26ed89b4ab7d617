"""The change feed: every change with its event, in order, for those who may know of it — and never a gap."""

import asyncio
import json
import threading
import uuid
from typing import Any

import pytest

from tests.conftest import FIRST_VERSION, Caller, World, open_case, register_signal
from wijkregistratie.core.database import create_engine, create_sessionmaker
from wijkregistratie.core.security import Principal
from wijkregistratie.events import service as events
from wijkregistratie.events.codes import EventType

PREFIX = "nl.wijkregistratie."


def _read(caller: Caller, after: str) -> tuple[list[dict[str, Any]], str]:
    """Everything after the cursor, page by page; returns the events and the cursor to resume from."""
    seen: list[dict[str, Any]] = []
    while True:
        response = caller.get("/v1/events", params={"after": after, "limit": 500})
        assert response.status_code == 200, response.text
        page = response.json()
        seen += page["items"]
        if not page["items"]:
            return seen, page["nextCursor"]
        after = page["nextCursor"]


def _tail(caller: Caller) -> str:
    return _read(caller, "0")[1]


def _about(events: list[dict[str, Any]], case_id: str) -> list[str]:
    return [e["type"].removeprefix(PREFIX) for e in events if e["subject"] == f"cases/{case_id}"]


PLAN = {"goals": [{"lifeDomain": "finances", "iWant": "Rust in de financiën.", "result": "Geen nieuwe schulden."}]}


def test_those_involved_are_told_in_order_and_a_newcomer_starts_from_a_snapshot(world: World) -> None:
    cursors = {name: _tail(getattr(world, name)) for name in ("housing", "ggz", "outsider", "coordinator")}
    signal = register_signal(world.housing, world)
    opened = open_case(world.housing, signal)
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    assert world.housing.put(f"/v1/cases/{case_id}/plan", json=PLAN, headers=FIRST_VERSION).status_code == 200
    joined = world.coordinator.post(
        f"/v1/cases/{case_id}/involvements",
        json={
            "organisationId": str(world.orgs["ggz"]),
            "role": "carries_out",
            "basis": "statutory_task",
            "basisReference": "Wmo 2015",
        },
    )
    assert joined.status_code == 201, joined.text
    second = world.housing.put(f"/v1/cases/{case_id}/plan", json=PLAN, headers={"If-Match": '"1"'})
    assert second.status_code == 200, second.text

    housing, _ = _read(world.housing, cursors["housing"])
    registered = [e for e in housing if e["subject"] == f"signals/{signal['id']}"]
    assert [e["type"] for e in registered] == [EventType.signal_registered]
    assert registered[0]["data"]["householdId"] == signal["householdId"]
    assert _about(housing, case_id) == [
        "case.opened",
        "case.snapshot",
        "involvement.started",
        "plan.updated",
        "involvement.started",
        "plan.updated",
    ]
    ggz, _ = _read(world.ggz, cursors["ggz"])
    assert _about(ggz, case_id) == ["case.snapshot", "involvement.started", "plan.updated"]
    snapshot = next(e for e in ggz if e["type"] == EventType.case_snapshot)
    assert snapshot["data"]["planVersion"] == 1 and snapshot["data"]["caseId"] == case_id
    assert {i["organisationId"] for i in snapshot["data"]["involvements"]} == {
        str(world.orgs["housing"]),
        str(world.orgs["ggz"]),
    }
    assert ggz[-1]["data"] == {"caseId": case_id, "version": 2}
    outsider, _ = _read(world.outsider, cursors["outsider"])
    assert _about(outsider, case_id) == []
    coordinator, _ = _read(world.coordinator, cursors["coordinator"])
    assert "plan.updated" in _about(coordinator, case_id)

    sequences = [int(e["sequence"]) for e in housing]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    for event in housing:
        assert event["specversion"] == "1.0" and event["datacontenttype"] == "application/json"
        assert uuid.UUID(event["id"]) and event["time"] and event["source"]
    assert signal["description"] not in json.dumps(housing)  # ids and what changed, no free text


def test_a_refused_write_leaves_no_event(world: World) -> None:
    signal = register_signal(world.housing, world)
    assert open_case(world.housing, signal).status_code == 201
    cursor = _tail(world.housing)
    again = open_case(world.housing, signal, signalIds=[])
    assert again.status_code == 409
    assert _read(world.housing, cursor)[0] == []


def test_a_private_journal_entry_is_announced_to_its_author_only(world: World) -> None:
    signal = register_signal(world.housing, world)
    case_id = open_case(world.housing, signal).json()["id"]
    world.coordinator.post(
        f"/v1/cases/{case_id}/involvements",
        json={
            "organisationId": str(world.orgs["ggz"]),
            "role": "carries_out",
            "basis": "statutory_task",
            "basisReference": "Wmo 2015",
        },
    )
    cursors = {name: _tail(getattr(world, name)) for name in ("housing", "ggz", "coordinator")}
    for visibility in ("own_organisation", "all_involved"):
        entry = world.housing.post(
            f"/v1/cases/{case_id}/journal",
            json={
                "kind": "note",
                "occurredAt": "2026-03-02T10:00:00+01:00",
                "text": "Notitie.",
                "visibility": visibility,
            },
        )
        assert entry.status_code == 201, entry.text
    told = {name: _read(getattr(world, name), cursor)[0] for name, cursor in cursors.items()}
    assert [e["data"]["visibility"] for e in told["housing"]] == ["own_organisation", "all_involved"]
    assert [e["data"]["visibility"] for e in told["ggz"]] == ["all_involved"]
    assert [e["data"]["visibility"] for e in told["coordinator"]] == ["all_involved"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"after": "-1"}, "after"), ({"after": "abc"}, "after"), ({"limit": 501}, "limit"), ({"limit": 0}, "limit")],
)
def test_bad_feed_positions_are_refused(world: World, params: dict[str, Any], field: str) -> None:
    response = world.housing.get("/v1/events", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["invalidParams"][0]["name"] == field


def test_the_feed_needs_a_record_reader(world: World) -> None:
    assert world.municipality.get("/v1/events").status_code == 403
    assert world.housing.http.get("/v1/events").status_code == 401


def test_writers_do_not_wait_for_each_other_and_a_lower_place_never_follows_a_higher_one(world: World) -> None:
    """Writer A writes its event and holds its transaction open; writer B commits meanwhile. On PostgreSQL
    B does not wait for A, but no reader may give B's event a place while A's could still come before it,
    or a reader would step past A's for ever: the reader waits for A, then both get the next places in
    the order they were written. (SQLite runs one writing transaction at a time: B waits for A.)"""
    organisation = world.orgs["housing"]
    principal = Principal(client_id="test", organisation_id=organisation, scopes=frozenset({"record:read"}))
    postgresql = world.api.backend == "postgresql"

    async def scenario() -> tuple[bool, bool, list[dict[str, Any]]]:
        engine = create_engine(world.api.database_url)
        maker = create_sessionmaker(engine)
        try:
            async with maker() as reader:
                start = int((await events.read_feed(reader, principal, None, 1)).next_cursor)
                while page := (await events.read_feed(reader, principal, str(start), 500)).items:
                    start = int(page[-1].sequence)
            async with maker() as first, maker() as second, maker() as reader:
                events.emit(first, EventType.plan_updated, {"writer": "A"}, recipients={organisation})
                await first.run_sync(events._write_outbox)  # written, not committed
                events.emit(second, EventType.plan_updated, {"writer": "B"}, recipients={organisation})
                committing = asyncio.create_task(second.commit())
                await asyncio.sleep(0.5)
                b_committed = committing.done()
                reading = asyncio.create_task(events.read_feed(reader, principal, str(start), 500))
                await asyncio.sleep(0.5)
                read_while_open = reading.done() and bool(reading.result().items)
                await first.commit()
                await committing
                await reading
                await reader.rollback()
                page = await events.read_feed(reader, principal, str(start), 500)
            return b_committed, read_while_open, [e.model_dump() for e in page.items]
        finally:
            await engine.dispose()

    b_committed, read_while_open, after = asyncio.run(scenario())
    assert b_committed is postgresql
    assert not read_while_open  # nothing may be read past A's event while it can still come
    assert [e["data"]["writer"] for e in after] == ["A", "B"]
    first_place, second_place = (int(e["sequence"]) for e in after)
    assert second_place == first_place + 1


def test_a_reader_keeping_up_with_concurrent_writers_misses_nothing(world: World) -> None:
    signal = register_signal(world.housing, world)
    case_id = open_case(world.housing, signal).json()["id"]
    cursor = _tail(world.housing)
    writers, per_writer = 6, 15
    done = threading.Event()
    seen: list[dict[str, Any]] = []

    def write() -> None:
        for _ in range(per_writer):
            response = world.housing.post(
                f"/v1/cases/{case_id}/journal",
                json={
                    "kind": "note",
                    "occurredAt": "2026-03-02T10:00:00+01:00",
                    "text": "x",
                    "visibility": "all_involved",
                },
            )
            assert response.status_code == 201, response.text

    def read() -> None:
        after = cursor
        while True:
            finished = done.is_set()
            page, after = _read(world.housing, after)
            seen.extend(page)
            if finished:
                return

    reader = threading.Thread(target=read)
    reader.start()
    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reader.join()
    everything, _ = _read(world.housing, cursor)
    assert [e["id"] for e in seen] == [e["id"] for e in everything]
    assert len([e for e in everything if e["type"] == EventType.journal_entry_added]) == writers * per_writer


def test_directory_changes_are_told_to_every_organisation(world: World) -> None:
    cursors = {name: _tail(getattr(world, name)) for name in ("outsider", "housing")}
    created = world.admin.post(
        "/v1/professionals",
        json={
            "organisationId": str(world.orgs["debt"]),
            "name": "Professional nieuw",
            "phone": "06-12345678",
            "email": "nieuw@example.org",
            "expertise": ["justice"],
            "teamIds": [],  # in no team, so no other test's team changes
        },
    )
    assert created.status_code == 201, created.text
    for name, cursor in cursors.items():
        told = [e for e in _read(getattr(world, name), cursor)[0] if e["type"] == EventType.professional_registered]
        assert [e["data"]["professionalId"] for e in told] == [created.json()["id"]], name
