"""The case: one open case per household, one lead, involvements as the identity map, closure."""

import uuid
from typing import Any

from tests.conftest import FIRST_VERSION, Story, World, open_case, register_signal


def _record(world: World, story: Story) -> dict[str, Any]:
    response = world.ggz.get(f"/v1/cases/{story.case['id']}")
    assert response.status_code == 200
    return dict(response.json())


def test_opening_a_case(world: World) -> None:
    signal = register_signal(world.housing, world)
    response = open_case(world.coordinator, signal, ownReference=f"REF-{uuid.uuid4().hex[:8]}")
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["status"] == "registered" and case["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/v1/cases/{case['id']}"


def test_one_open_case_per_household(world: World, story: Story) -> None:
    second = register_signal(world.debt, world, household={"address": story.address_reference()})
    # The debt counsellor may take its own signal up in a case, but the household has one already.
    response = open_case(world.debt, second)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    cases = world.coordinator.get("/v1/cases", params={"householdId": story.signal["householdId"]}).json()
    assert [c["id"] for c in cases["items"]] == [story.case["id"]]
    assert world.debt.get(f"/v1/signals/{second['id']}").json()["status"] == "open"


def test_the_whole_record_in_one_read(world: World, story: Story) -> None:
    plan = world.ggz.put(
        f"/v1/cases/{story.case['id']}/plan",
        json={"goals": [{"lifeDomain": "finances", "iWant": "Rust in mijn geldzaken", "result": "Geen schulden"}]},
        headers=FIRST_VERSION,
    )
    assert plan.status_code == 200, plan.text
    response = world.ggz.get(f"/v1/cases/{story.case['id']}")
    record = response.json()
    assert response.headers["ETag"] == f'"{record["version"]}"' == story.etag
    assert record["status"] == "active"
    assert record["teamName"] == world.team["name"]
    assert record["household"]["id"] == story.signal["householdId"]
    assert record["household"]["members"][0]["surname"] == "Jansen"
    assert record["leadProfessional"]["professionalId"] == world.professionals["ggz"]["id"]
    assert [p["professional"]["name"] for p in record["leadHistory"]] == ["Professional ggz"]
    roles = {i["organisationId"]: i["role"] for i in record["involvements"]}
    assert roles == {str(world.orgs["social"]): "carries_out", str(world.orgs["ggz"]): "lead"}
    assert record["plan"]["goals"][0]["iWant"] == "Rust in mijn geldzaken"
    assert [s["id"] for s in record["signals"]] == [story.signal["id"]]


def test_handover_keeps_the_history(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}/lead-professional"
    handover = world.ggz.put(
        path, json={"professionalId": world.professionals["debt"]["id"]}, headers={"If-Match": story.etag}
    )
    assert handover.status_code == 200, handover.text
    assert handover.json()["professional"]["organisationName"].startswith("debt")
    record = _record(world, story)
    history = record["leadHistory"]
    assert [p["professional"]["name"] for p in history] == ["Professional ggz", "Professional debt"]
    assert history[0]["endedAt"] is not None and history[1]["endedAt"] is None
    roles = {i["organisationId"]: i["role"] for i in record["involvements"]}
    assert roles[str(world.orgs["debt"])] == "lead" and roles[str(world.orgs["ggz"])] == "carries_out"
    assert list(roles.values()).count("lead") == 1
    assert world.debt.get(path).json()["professional"]["name"] == "Professional debt"


def test_a_stale_or_missing_if_match_changes_nothing(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}/lead-professional"
    body = {"professionalId": world.professionals["debt"]["id"]}
    stale = world.coordinator.put(path, json=body, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    missing = world.coordinator.put(path, json=body)
    assert missing.status_code == 428
    assert _record(world, story)["leadProfessional"]["professionalId"] == world.professionals["ggz"]["id"]
    close = world.coordinator.post(
        f"/v1/cases/{story.case['id']}/close",
        json={"reason": "goal_reached", "handledBy": "team"},
        headers={"If-Match": '"1"'},
    )
    assert close.status_code == 412
    assert _record(world, story)["status"] == "active"


def test_the_lead_comes_from_the_team(world: World, story: Story) -> None:
    response = world.coordinator.put(
        f"/v1/cases/{story.case['id']}/lead-professional",
        json={"professionalId": world.professionals["outsider"]["id"]},
        headers={"If-Match": story.etag},
    )
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] == "professionalId"


def test_there_is_never_a_second_lead(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}"
    as_lead = world.coordinator.post(
        f"{path}/involvements",
        json={
            "organisationId": str(world.orgs["debt"]),
            "role": "lead",
            "basis": "statutory_task",
            "basisReference": "Participatiewet",
        },
    )
    assert as_lead.status_code == 409
    same = world.coordinator.put(
        f"{path}/lead-professional",
        json={"professionalId": world.professionals["ggz"]["id"]},
        headers={"If-Match": story.etag},
    )
    assert same.status_code == 409
    ggz = next(i for i in _record(world, story)["involvements"] if i["organisationId"] == str(world.orgs["ggz"]))
    demote = world.ggz.patch(
        f"{path}/involvements/{ggz['id']}", json={"role": "consulted"}, headers={"If-Match": f'"{ggz["version"]}"'}
    )
    assert demote.status_code == 409
    leave = world.ggz.patch(
        f"{path}/involvements/{ggz['id']}", json={"until": "2099-01-01"}, headers={"If-Match": f'"{ggz["version"]}"'}
    )
    assert leave.status_code == 409
    assert [i["role"] for i in _record(world, story)["involvements"]].count("lead") == 1


def test_only_the_lead_or_the_coordinator_closes(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}/close"
    joined = world.coordinator.post(
        f"/v1/cases/{story.case['id']}/involvements",
        json={
            "organisationId": str(world.orgs["debt"]),
            "role": "consulted",
            "basis": "statutory_task",
            "basisReference": "Wet gemeentelijke schuldhulpverlening",
        },
    )
    assert joined.status_code == 201
    assert (
        world.debt.post(
            path, json={"reason": "goal_reached", "handledBy": "team"}, headers={"If-Match": story.etag}
        ).status_code
        == 403
    )
    closed = world.ggz.post(
        path,
        json={
            "reason": "handled_by_team",
            "handledBy": "team",
            "learningNote": "Korte lijnen met de corporatie werkten.",
        },
        headers={"If-Match": story.etag},
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["closureReason"] == "handled_by_team"
    record = _record(world, story)
    assert record["learningNote"] == "Korte lijnen met de corporatie werkten."
    assert record["leadProfessional"] is None and record["leadHistory"][0]["endedAt"] is not None
    etag = closed.headers["ETag"]
    assert (
        world.ggz.post(
            path, json={"reason": "goal_reached", "handledBy": "team"}, headers={"If-Match": etag}
        ).status_code
        == 409
    )
    relead = world.coordinator.put(
        f"/v1/cases/{story.case['id']}/lead-professional",
        json={"professionalId": world.professionals["debt"]["id"]},
        headers={"If-Match": etag},
    )
    assert relead.status_code == 409


def test_a_closed_case_makes_room_for_a_new_one(world: World, story: Story) -> None:
    closed = world.ggz.post(
        f"/v1/cases/{story.case['id']}/close",
        json={"reason": "goal_reached", "handledBy": "team"},
        headers={"If-Match": story.etag},
    )
    assert closed.status_code == 200
    again = register_signal(world.housing, world, household={"address": story.address_reference()})
    # No open case any more; the household comes back, so its former lead is named as whom to call.
    assert again["alreadyKnown"]["involvedOrganisations"] == [] and again["alreadyKnown"]["leadProfessional"] is None
    (former,) = again["alreadyKnown"]["matches"]
    assert former["relation"] == "former_lead" and former["counterpart"]["contactName"] == "Professional ggz"
    assert again["formerLeadProfessionalId"] == world.professionals["ggz"]["id"]
    assert open_case(world.coordinator, again).status_code == 201


def test_a_case_is_found_by_the_callers_own_reference(world: World) -> None:
    reference = f"CL-{uuid.uuid4().hex[:8]}"
    signal = register_signal(world.housing, world)
    case = open_case(world.housing, signal, ownReference=reference).json()
    found = world.housing.get("/v1/cases", params={"reference": reference}).json()["items"]
    assert [c["id"] for c in found] == [case["id"]]
    # Another organisation's reference means nothing to the coordinator, who sees the case anyway.
    assert world.coordinator.get("/v1/cases", params={"reference": reference}).json()["items"] == []
    involvements = world.coordinator.get(f"/v1/cases/{case['id']}/involvements").json()
    assert [i["ownReference"] for i in involvements] == [None]
    mine = world.housing.get(f"/v1/cases/{case['id']}/involvements").json()
    assert [i["ownReference"] for i in mine] == [reference]
    # The same own reference cannot point at a second case of the same organisation.
    other = register_signal(world.housing, world)
    assert open_case(world.housing, other, ownReference=reference).status_code == 409


def test_an_involvement_sets_its_own_reference_and_ends(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}/involvements"
    joined = world.coordinator.post(
        path,
        json={
            "organisationId": str(world.orgs["debt"]),
            "role": "carries_out",
            "basis": "statutory_task",
            "basisReference": "Wet gemeentelijke schuldhulpverlening",
        },
    )
    assert joined.status_code == 201 and joined.headers["ETag"] == '"1"'
    involvement = joined.json()
    own = world.debt.patch(f"{path}/{involvement['id']}", json={"ownReference": "SH-77"}, headers={"If-Match": '"1"'})
    assert own.status_code == 200 and own.json()["ownReference"] == "SH-77" and own.headers["ETag"] == '"2"'
    assert world.debt.get("/v1/cases", params={"reference": "SH-77"}).json()["items"][0]["id"] == story.case["id"]
    # The coordinator may end it, but not set another organisation's reference.
    foreign = world.coordinator.patch(
        f"{path}/{involvement['id']}", json={"ownReference": "X"}, headers={"If-Match": '"2"'}
    )
    assert foreign.status_code == 400
    before_start = world.coordinator.patch(
        f"{path}/{involvement['id']}", json={"until": "2000-01-01"}, headers={"If-Match": '"2"'}
    )
    assert before_start.status_code == 400
    ended = world.coordinator.patch(
        f"{path}/{involvement['id']}", json={"until": "2000-01-01"}, headers={"If-Match": '"2"'}
    )
    assert ended.status_code == 400
    yesterday = world.debt.patch(
        f"{path}/{involvement['id']}", json={"until": own.json()["since"]}, headers={"If-Match": '"2"'}
    )
    assert yesterday.status_code == 200
    twice = world.coordinator.post(
        path,
        json={
            "organisationId": str(world.orgs["ggz"]),
            "role": "consulted",
            "basis": "statutory_task",
            "basisReference": "Wmo",
        },
    )
    assert twice.status_code == 409


def test_case_lists_page_deterministically(world: World) -> None:
    for _ in range(3):
        open_case(world.coordinator, register_signal(world.housing, world))
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = world.coordinator.get("/v1/cases", params=params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page.get("nextCursor")
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 3
    everything = world.coordinator.get("/v1/cases", params={"limit": 100}).json()["items"]
    if len(everything) < 100:
        assert seen == [c["id"] for c in everything]


def test_an_involvement_always_has_a_role(world: World, story: Story) -> None:
    involvements = world.coordinator.get(f"/v1/cases/{story.case['id']}/involvements").json()
    social = next(i for i in involvements if i["organisationId"] == str(world.orgs["social"]))
    response = world.coordinator.patch(
        f"/v1/cases/{story.case['id']}/involvements/{social['id']}",
        json={"role": None},
        headers={"If-Match": f'"{social["version"]}"'},
    )
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] == "role"
