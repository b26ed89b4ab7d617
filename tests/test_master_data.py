"""Master data that can change — municipalities, organisations, teams and their members, professionals who
leave — and a household's data that can be corrected; every change versioned, announced and logged."""

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from tests.conftest import Api, Caller, Story, World, new_address, new_member, register_signal, run_async
from wijkregistratie.core.models import AccessLogEntry

TODAY = date.today()
# Figures are published for ended periods: last year always has.
ENDED_YEAR = str(TODAY.year - 1)


def _events(caller: Caller, type_: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = 0
    while True:
        page = caller.get("/v1/events", params={"after": after, "limit": 200}).json()
        items += [e for e in page["items"] if e["type"] == f"nl.wijkregistratie.{type_}"]
        if not page["items"]:
            return items
        after = page["items"][-1]["sequence"]


@pytest.fixture(scope="module")
def amsterdam(world: World) -> dict[str, Any]:
    """A second municipality in the deployment, with a team of its own and a figures client."""
    created = world.admin.post("/v1/municipalities", json={"code": "GM0363", "name": "Amsterdam"})
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/v1/municipalities/GM0363" and created.headers["ETag"] == '"1"'
    team = world.admin.post(
        "/v1/teams",
        json={"name": "Buurtteam Centrum", "municipalityCode": "GM0363", "areaCodes": ["WK036301"]},
    )
    assert team.status_code == 201, team.text
    credentials = world.admin.post(
        "/v1/clients",
        json={
            "organisationId": str(world.orgs["municipality"]),
            "name": "Cijfers Amsterdam",
            "scopes": ["figures:read"],
            "municipalityCode": "GM0363",
        },
    )
    assert credentials.status_code == 201, credentials.text
    reader = Caller(
        world.api.http, credentials.json()["clientId"], credentials.json()["clientSecret"], world.orgs["municipality"]
    )
    return {"team": team.json(), "reader": reader}


def test_a_deployment_holds_several_municipalities(world: World, amsterdam: dict[str, Any]) -> None:
    assert world.admin.post("/v1/municipalities", json={"code": "GM0363", "name": "Amsterdam"}).status_code == 409
    assert world.housing.post("/v1/municipalities", json={"code": "GM0344", "name": "Utrecht"}).status_code == 403
    listed, cursor = [], None
    while True:  # a page at a time: the list is keyed by code, not by a uuid
        page = world.housing.get("/v1/municipalities", params={"limit": 1} | ({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        listed += [m["code"] for m in page.json()["items"]]
        if not (cursor := page.json()["nextCursor"]):
            break
    assert {"GM0599", "GM0363"} <= set(listed) and len(listed) == len(set(listed))
    assert world.housing.get("/v1/municipalities/GM0344").status_code == 404
    refused = [
        ({"municipalityCode": "GM0344", "areaCodes": ["WK034401"]}, "municipalityCode"),  # not registered
        ({"municipalityCode": "GM0363", "areaCodes": ["WK036301", "WK059901"]}, "areaCodes[1]"),  # Rotterdam's
        ({"municipalityCode": "Amsterdam", "areaCodes": ["WK036301"]}, "municipalityCode"),
    ]
    for body, field in refused:
        response = world.admin.post("/v1/teams", json={"name": "Buurtteam X"} | body)
        assert response.status_code == 400, response.text
        assert response.json()["invalidParams"][0]["name"] == field
    teams = world.housing.get("/v1/teams", params={"municipalityCode": "GM0363", "limit": 100}).json()["items"]
    assert [t["name"] for t in teams] == ["Buurtteam Centrum"]


def test_a_figures_client_reads_its_own_municipality_only(world: World, amsterdam: dict[str, Any]) -> None:
    rotterdam, reader = world.municipality, amsterdam["reader"]
    for caller, params, field in [
        (reader, {"teamId": world.team["id"]}, "teamId"),  # Rotterdam's team is as good as unknown to Amsterdam
        (reader, {"areaCode": "WK059901"}, "areaCode"),
        (reader, {"areaCode": "GM0599"}, "areaCode"),
        (rotterdam, {"teamId": amsterdam["team"]["id"]}, "teamId"),
        (rotterdam, {"areaCode": "WK036301"}, "areaCode"),
    ]:
        response = caller.get("/v1/figures", params={"period": ENDED_YEAR} | params)
        assert response.status_code == 400, (params, response.text)
        assert response.json()["invalidParams"][0]["name"] == field
    # Without a selection, the whole of its own municipality.
    register_signal(world.housing, world)
    whole = rotterdam.get("/v1/figures", params={"period": ENDED_YEAR})
    explicit = rotterdam.get("/v1/figures", params={"period": ENDED_YEAR, "areaCode": "GM0599"})
    assert whole.status_code == explicit.status_code == 200 and whole.json() == explicit.json()
    unbound = world.admin.post(
        "/v1/clients",
        json={"organisationId": str(world.orgs["municipality"]), "name": "x", "scopes": ["figures:read"]},
    )
    assert unbound.status_code == 400 and unbound.json()["invalidParams"][0]["name"] == "municipalityCode"


def test_an_organisation_changes_with_its_version(world: World) -> None:
    path = f"/v1/organisations/{world.orgs['debt']}"
    current = world.outsider.get(path)
    assert current.headers["ETag"] == f'"{current.json()["version"]}"'
    change = {"contactName": "Joost Bakker", "contactPhone": "010-7654321"}
    assert world.admin.patch(path, json=change).status_code == 428
    assert world.admin.patch(path, json=change, headers={"If-Match": '"999"'}).status_code == 412
    assert world.debt.patch(path, json=change, headers={"If-Match": current.headers["ETag"]}).status_code == 403
    assert (
        world.admin.patch(path, json={"name": None}, headers={"If-Match": current.headers["ETag"]}).status_code == 400
    )
    nothing = world.admin.patch(path, json={}, headers={"If-Match": current.headers["ETag"]})
    assert nothing.status_code == 200 and nothing.headers["ETag"] == current.headers["ETag"]  # no new version
    changed = world.admin.patch(path, json=change, headers={"If-Match": current.headers["ETag"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["contactName"] == "Joost Bakker" and changed.json()["name"] == current.json()["name"]
    assert changed.headers["ETag"] == f'"{current.json()["version"] + 1}"'
    told = _events(world.outsider, "organisation.changed")
    assert any(e["data"]["organisationId"] == str(world.orgs["debt"]) for e in told)
    assert all("Joost" not in str(e["data"]) for e in told)  # which fields, not their values
    # Who changed the directory is kept with the access log (it names no household, so it is read there).

    async def logged(session: Any) -> set[tuple[str | None, str | None, int]]:
        entries = await session.exec(
            select(AccessLogEntry).where(AccessLogEntry.route == "/v1/organisations/{organisationId}")
        )
        return {(e.client_id, e.resource_id, e.status) for e in entries.all() if e.action == "change"}

    assert run_async(world.api.database_url, logged) >= {
        (world.admin.client_id, str(world.orgs["debt"]), 200),
        (world.debt.client_id, str(world.orgs["debt"]), 403),
    }


def test_an_organisation_joins_a_team_and_leaves_it(world: World, api: Api) -> None:
    newcomer = api.new_organisation(f"CJG {uuid.uuid4().hex[:6]}", "youth_care")
    cjg = api.new_caller(newcomer, ["record:read", "record:write"])
    team = f"/v1/teams/{world.team['id']}"

    def signal() -> int | str:
        """201, or the field a refusal names."""
        body = {
            "household": {"address": new_address(), "members": [new_member()]},
            "teamId": world.team["id"],
            "source": "school",
            "lifeDomains": ["domestic_relations"],
            "description": "Zorgen over de opvoeding.",
            "residentAware": True,
        }
        answer = cjg.post("/v1/signals", json=body)
        return answer.status_code if answer.status_code == 201 else answer.json()["invalidParams"][0]["name"]

    assert signal() == "teamId"  # not in the team: it registers nothing there
    since = (TODAY - timedelta(days=10)).isoformat()
    joined = world.admin.post(f"{team}/memberships", json={"organisationId": str(newcomer), "since": since})
    assert joined.status_code == 201, joined.text
    membership = joined.json()
    assert joined.headers["Location"] == f"{team}/memberships/{membership['id']}"
    assert world.admin.post(f"{team}/memberships", json={"organisationId": str(newcomer)}).status_code == 409
    unknown = world.admin.post(f"{team}/memberships", json={"organisationId": str(uuid.uuid4())})
    assert unknown.status_code == 400 and unknown.json()["invalidParams"][0]["name"] == "organisationId"
    assert world.housing.post(f"{team}/memberships", json={"organisationId": str(newcomer)}).status_code == 403
    assert str(newcomer) in world.housing.get(team).json()["organisationIds"]
    assert signal() == 201

    leaving = f"{team}/memberships/{membership['id']}"
    early = world.admin.patch(leaving, json={"until": (TODAY - timedelta(days=11)).isoformat()})
    assert early.status_code == 400 and early.json()["invalidParams"][0]["name"] == "until"
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    assert world.admin.patch(leaving, json={"until": yesterday}).json()["until"] == yesterday
    assert world.admin.patch(leaving, json={"until": yesterday}).status_code == 409
    now = world.housing.get(team).json()
    assert str(newcomer) not in now["organisationIds"]
    assert any(m["id"] == membership["id"] and m["until"] == yesterday for m in now["memberships"])
    assert signal() == "teamId"
    kinds = {e["type"].rsplit(".", 1)[1] for e in _events(world.outsider, "team.organisation-joined")}
    kinds |= {e["type"].rsplit(".", 1)[1] for e in _events(world.outsider, "team.organisation-left")}
    assert kinds == {"organisation-joined", "organisation-left"}


def test_a_team_changes_its_area_within_its_municipality(world: World) -> None:
    path = f"/v1/teams/{world.other_team['id']}"
    current = world.admin.get(path)
    outside = world.admin.patch(path, json={"areaCodes": ["WK036301"]}, headers={"If-Match": current.headers["ETag"]})
    assert outside.status_code == 400 and outside.json()["invalidParams"][0]["name"] == "areaCodes[0]"
    changed = world.admin.patch(path, json={"firstContactTargetDays": 5}, headers={"If-Match": current.headers["ETag"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["firstContactTargetDays"] == 5 and changed.json()["areaCodes"] == ["BU05990201"]
    assert world.admin.patch(path, json={"name": "x"}, headers={"If-Match": current.headers["ETag"]}).status_code == 412


def test_a_professional_who_left_is_assigned_nothing_and_their_cases_wait_for_the_coordinator(
    world: World, story: Story
) -> None:
    created = world.admin.post(
        "/v1/professionals",
        json={
            "organisationId": str(world.orgs["ggz"]),
            "name": "Pim de Leeuw",
            "expertise": ["mental_health"],
            "teamIds": [world.team["id"]],
        },
    )
    assert created.status_code == 201 and created.headers["Location"].endswith(created.json()["id"])
    professional = created.json()["id"]
    case = f"/v1/cases/{story.case['id']}"
    handed = world.coordinator.put(
        f"{case}/lead-professional", json={"professionalId": professional}, headers={"If-Match": story.etag}
    )
    assert handed.status_code == 200, handed.text
    assert story.case["id"] in str(
        world.coordinator.get("/v1/cases", params={"leadProfessionalId": professional}).json()
    )

    path = f"/v1/professionals/{professional}"
    etag = created.headers["ETag"]
    assert world.debt.patch(path, json={"leftOn": "2026-01-01"}, headers={"If-Match": etag}).status_code == 403
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    left = world.ggz.patch(path, json={"leftOn": yesterday, "expertise": ["finances"]}, headers={"If-Match": etag})
    assert left.status_code == 200, left.text
    assert left.json()["leftOn"] == yesterday and left.json()["expertise"] == ["finances"]
    assert any(e["data"]["professionalId"] == professional for e in _events(world.outsider, "professional.left"))

    waiting = world.coordinator.get("/v1/cases", params={"leadLeft": "true", "limit": 100}).json()["items"]
    assert story.case["id"] in [c["id"] for c in waiting]
    others = world.coordinator.get("/v1/cases", params={"leadLeft": "false", "limit": 100}).json()["items"]
    assert story.case["id"] not in [c["id"] for c in others]

    open_signal = register_signal(world.housing, world)
    claim = world.coordinator.act(f"/v1/signals/{open_signal['id']}/claim", json={"professionalIds": [professional]})
    assert claim.status_code == 400 and claim.json()["invalidParams"][0]["name"] == "professionalIds[0]"
    back = world.coordinator.put(
        f"{case}/lead-professional",
        json={"professionalId": world.professionals["ggz"]["id"]},
        headers={"If-Match": handed.headers["ETag"]},
    )
    assert back.status_code == 200
    again = world.coordinator.put(
        f"{case}/lead-professional", json={"professionalId": professional}, headers={"If-Match": back.headers["ETag"]}
    )
    assert again.status_code == 400 and again.json()["invalidParams"][0]["name"] == "professionalId"
    waiting = world.coordinator.get("/v1/cases", params={"leadLeft": "true", "limit": 100}).json()["items"]
    assert story.case["id"] not in [c["id"] for c in waiting]


def test_a_household_moves_and_its_members_are_corrected(world: World, story: Story) -> None:
    household = f"/v1/households/{story.signal['householdId']}"
    current = world.ggz.get(household)
    member = current.json()["members"][0]
    moved_to = new_address("BU05990102")
    abroad = moved_to | {"postcode": "75001"}
    refused = world.ggz.patch(household, json={"address": abroad}, headers={"If-Match": current.headers["ETag"]})
    assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "address.postcode"
    assert world.ggz.patch(household, json={"address": moved_to}).status_code == 428
    moved = world.ggz.patch(household, json={"address": moved_to}, headers={"If-Match": current.headers["ETag"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["address"]["buurtCode"] == "BU05990102"
    assert moved.headers["ETag"] == f'"{current.json()["version"] + 1}"'
    # The signal stays where it was registered: the figures of the past do not move with the household.
    assert (
        world.coordinator.get(f"/v1/signals/{story.signal['id']}").json()["householdId"] == story.signal["householdId"]
    )

    person = f"{household}/members/{member['id']}"
    seen = world.ggz.get(person)
    assert seen.headers["ETag"] == '"1"'
    assert world.ggz.patch(person, json={}, headers={"If-Match": '"1"'}).headers["ETag"] == '"1"'
    corrected = world.ggz.patch(person, json={"surname": "Jansen-de Boer"}, headers={"If-Match": seen.headers["ETag"]})
    assert corrected.status_code == 200 and corrected.json()["surname"] == "Jansen-de Boer"
    assert world.ggz.patch(person, json={"surname": None}, headers={"If-Match": '"2"'}).status_code == 400
    left = world.coordinator.patch(person, json={"leftOn": TODAY.isoformat()}, headers={"If-Match": '"2"'})
    assert left.status_code == 200 and left.json()["leftOn"] == TODAY.isoformat()

    elsewhere = register_signal(world.housing, world)
    stranger = world.coordinator.get(f"/v1/households/{elsewhere['householdId']}").json()["members"][0]["id"]
    wrong = world.ggz.patch(f"{household}/members/{stranger}", json={"surname": "X"}, headers={"If-Match": '"1"'})
    assert wrong.status_code == 404
    assert world.coordinator.get(f"/v1/households/{elsewhere['householdId']}").json()["members"][0]["surname"] != "X"

    told = [
        e
        for e in _events(world.coordinator, "household.corrected")
        if e["data"]["householdId"] == story.signal["householdId"]
    ]
    assert told and told[-1]["data"]["fields"] == ["address"]
    corrections = [e for e in _events(world.ggz, "member.corrected") if e["data"].get("memberId") == member["id"]]
    assert [c["data"]["fields"] for c in corrections] == [["surname"], ["leftOn"]]

    officer = world.api.new_caller(world.orgs["municipality"], ["rights:handle"])
    exported = officer.get(f"{person}/export", headers={"Purpose-Of-Use": "household_request"})
    assert exported.status_code == 200, exported.text
    kept = exported.json()["tables"]["household_corrections"]
    assert sorted(tuple(c["fields"]) for c in kept) == [("address",), ("leftOn",), ("surname",)]
