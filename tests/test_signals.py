"""Registering a signal: finding or registering the household, and the immediate already-known answer."""

import random
from typing import Any

import pytest

from tests.conftest import SENT_BSNS, Story, World, new_address, new_member, open_case, register_signal
from wijkregistratie.core.identifiers import is_valid_bsn


def fresh_bsn() -> str:
    """A BSN no other test uses (the 11-check itself is tested against known numbers elsewhere)."""
    while True:
        candidate = str(random.randrange(100_000_000, 999_999_999))
        if is_valid_bsn(candidate) and candidate not in _used_bsns:
            _used_bsns.add(candidate)
            SENT_BSNS.add(candidate)
            return candidate


_used_bsns: set[str] = set()


def _post(world: World, body: dict[str, Any]) -> Any:
    return world.housing.post("/v1/signals", json=body)


def _body(**overrides: Any) -> dict[str, Any]:
    return {
        "household": {"address": new_address(), "members": [new_member()]},
        "source": "housing_corporation",
        "lifeDomains": ["finances"],
        "description": "Huurachterstand.",
        "residentAware": True,
    } | overrides


def _invalid(response: Any) -> list[str]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and body["type"].endswith("invalid-input") and body["instance"] == "/v1/signals"
    return [p["name"] for p in body["invalidParams"]]


def test_a_new_household_is_registered_with_the_signal(world: World) -> None:
    signal = register_signal(world.housing, world)
    assert "householdCreated" not in signal  # the answer never says whether the household was known
    assert signal["status"] == "open"
    assert signal["reportingOrganisationId"] == str(world.orgs["housing"])
    assert signal["alreadyKnown"] == {
        "known": False,
        "involvedOrganisations": [],
        "leadProfessional": None,
        "matches": [],
    }
    assert world.coordinator.get(f"/v1/households/{signal['householdId']}").json()["members"][0]["surname"] == "Jansen"


def test_the_same_address_finds_the_same_household(world: World) -> None:
    address = new_address()
    first = register_signal(world.housing, world, household={"address": address, "members": [new_member()]})
    again = register_signal(world.housing, world, household={"address": address | {"postcode": address["postcode"]}})
    assert again["householdId"] == first["householdId"]


def test_a_bsn_finds_the_household_for_another_organisation(world: World) -> None:
    bsn = fresh_bsn()
    first = register_signal(
        world.housing, world, household={"address": new_address(), "members": [new_member(bsn=bsn)]}
    )
    # A BSN comes with an address and the person, so the answer is the same whether the BSN is known or not.
    household = {"bsn": bsn, "address": new_address(), "members": [new_member(bsn=bsn)]}
    by_bsn = register_signal(world.ggz, world, household=household, source="team_organisation")
    assert by_bsn["householdId"] == first["householdId"]


def test_the_already_known_answer_names_who_to_call_and_never_why(world: World, story: Story) -> None:
    reference = story.address_reference()
    signal = register_signal(world.debt, world, household={"address": reference}, source="team_organisation")
    known = signal["alreadyKnown"]
    assert known["known"] is True
    assert known["leadProfessional"]["name"] == "Professional ggz"
    assert known["leadProfessional"]["phone"] == "06-12345678"
    organisations = {o["organisationId"]: o for o in known["involvedOrganisations"]}
    assert set(organisations) == {str(world.orgs["ggz"]), str(world.orgs["social"])}
    assert organisations[str(world.orgs["social"])]["contactPhone"] == "010-1234567"
    # Contact, never content: no description, plan, journal, role, status or case id crosses over.
    assert set(known) == {"known", "involvedOrganisations", "leadProfessional", "matches"}
    assert all(
        set(o) <= {"organisationId", "name", "contactName", "contactPhone", "contactEmail"}
        for o in organisations.values()
    )
    assert {m["counterpart"]["organisationId"] for m in known["matches"]} == set(organisations)
    assert all(m["relation"] == "involved_in_open_case" for m in known["matches"])
    assert story.case["id"] not in str(known)
    # ... and the signaller still cannot read the case itself.
    assert world.debt.get(f"/v1/cases/{story.case['id']}").status_code == 404


def test_the_team_follows_from_the_neighbourhood(world: World) -> None:
    body = _body(household={"address": new_address("BU05990101"), "members": [new_member()]})
    response = _post(world, body)
    assert response.status_code == 201, response.text
    assert response.json()["teamId"] == world.team["id"]
    # West's coordinator registers for its own neighbourhood; the housing corporation takes no part in West.
    west = _body(household={"address": new_address("BU05990201"), "members": [new_member()]})
    assert world.other_coordinator.post("/v1/signals", json=west).json()["teamId"] == world.other_team["id"]
    assert _invalid(_post(world, west)) == ["teamId"]
    assert _invalid(_post(world, west | {"teamId": world.team["id"]})) == ["teamId"]  # not the team's area


def test_a_neighbourhood_no_team_serves_needs_a_team(world: World) -> None:
    body = _body(household={"address": new_address("BU09999999"), "members": [new_member()]})
    assert _invalid(_post(world, body)) == ["teamId"]


def test_an_unknown_team_is_refused(world: World) -> None:
    assert _invalid(_post(world, _body(teamId="00000000-0000-4000-8000-000000000000"))) == ["teamId"]


@pytest.mark.parametrize(
    ("household", "field"),
    [
        ({"address": new_address() | {"postcode": "123AB"}, "members": [new_member()]}, "household.address.postcode"),
        ({"address": new_address() | {"postcode": "1234SA"}, "members": [new_member()]}, "household.address.postcode"),
        ({"address": new_address() | {"houseNumber": 0}, "members": [new_member()]}, "household.address.houseNumber"),
        (
            {"address": new_address() | {"buurtCode": "WK059901"}, "members": [new_member()]},
            "household.address.buurtCode",
        ),
        ({"address": new_address(), "members": [new_member(bsn="123456789")]}, "household.members[0].bsn"),
        ({"address": new_address(), "members": [{"surname": "Jansen"}]}, "household.members[0]"),
        (
            {"address": new_address(), "members": [new_member(dateOfBirth="2999-01-01")]},
            "household.members[0].dateOfBirth",
        ),
        ({"bsn": "12345678X"}, "household.bsn"),
        ({}, "household"),
        ({"id": "not-a-uuid"}, "household.id"),
    ],
)
def test_invalid_household_input_names_the_field(world: World, household: dict[str, Any], field: str) -> None:
    assert field in _invalid(_post(world, _body(teamId=world.team["id"], household=household)))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lifeDomains": "finances"}, "lifeDomains"),
        ({"lifeDomains": []}, "lifeDomains"),
        ({"lifeDomains": ["finances", "finances"]}, "lifeDomains"),
        ({"lifeDomains": ["astrology"]}, "lifeDomains[0]"),
        ({"residentAware": "maybe"}, "residentAware"),
        ({"source": "rumour"}, "source"),
        ({"description": ""}, "description"),
        ({"description": "x" * 4001}, "description"),
        ({"status": "accepted"}, "status"),
        ({"reportingOrganisationId": "00000000-0000-4000-8000-000000000000"}, "reportingOrganisationId"),
    ],
)
def test_invalid_signal_input_names_the_field(world: World, overrides: dict[str, Any], field: str) -> None:
    assert field in _invalid(_post(world, _body(teamId=world.team["id"]) | overrides))


def test_an_unknown_bsn_without_an_address_is_refused(world: World) -> None:
    assert _invalid(_post(world, _body(teamId=world.team["id"], household={"bsn": fresh_bsn()}))) == [
        "household.address"
    ]


def test_an_unknown_household_id_is_refused(world: World) -> None:
    other = register_signal(world.ggz, world)
    # The household exists, but the housing corporation has nothing to do with it.
    response = _post(world, _body(teamId=world.team["id"], household={"id": other["householdId"]}))
    assert _invalid(response) == ["household.id"]


def test_malformed_json_is_a_bad_request(world: World) -> None:
    response = world.housing.post(
        "/v1/signals", content=b'{"household": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_an_oversized_body_is_refused_and_changes_nothing(world: World) -> None:
    before = world.housing.get("/v1/signals", params={"limit": 100}).json()["items"]
    body = _body(teamId=world.team["id"], description="x" * 300_000)
    response = _post(world, body)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert world.housing.get("/v1/signals", params={"limit": 100}).json()["items"] == before


def test_a_person_is_in_one_household_only(world: World) -> None:
    bsn = fresh_bsn()
    first = register_signal(
        world.housing, world, household={"address": new_address(), "members": [new_member(bsn=bsn)]}
    )
    elsewhere = new_address()
    response = _post(
        world, _body(teamId=world.team["id"], household={"address": elsewhere, "members": [new_member(bsn=bsn)]})
    )
    # The person is known: the signal goes to their household, and no second household is made of them.
    assert response.status_code == 201
    assert response.json()["householdId"] == first["householdId"]
    search = {k: elsewhere[k] for k in ("postcode", "houseNumber", "houseNumberAddition")}
    assert world.coordinator.post("/v1/households/search", json=search).json() == []


def test_signals_are_seen_by_their_reporter_and_the_team_coordinator_only(world: World) -> None:
    signal = register_signal(world.housing, world)
    assert world.housing.get(f"/v1/signals/{signal['id']}").status_code == 200
    assert world.coordinator.get(f"/v1/signals/{signal['id']}").json()["id"] == signal["id"]
    for caller in (world.outsider, world.ggz, world.other_coordinator):
        assert caller.get(f"/v1/signals/{signal['id']}").status_code == 404
        assert signal["id"] not in str(caller.get("/v1/signals", params={"limit": 100}).json())
    assert world.municipality.get(f"/v1/signals/{signal['id']}").status_code == 403


def test_the_bsn_is_masked_without_the_bsn_scope(world: World) -> None:
    bsn = fresh_bsn()
    signal = register_signal(
        world.housing, world, household={"address": new_address(), "members": [new_member(bsn=bsn)]}
    )
    path = f"/v1/households/{signal['householdId']}"
    assert world.housing.get(path).status_code == 404  # registering shows nothing of the household
    case = open_case(world.coordinator, signal).json()
    joined = world.coordinator.post(
        f"/v1/cases/{case['id']}/involvements",
        json={
            "organisationId": str(world.orgs["housing"]),
            "role": "consulted",
            "basis": "statutory_task",
            "basisReference": "x",
        },
    )
    assert joined.status_code == 201, joined.text
    assert world.housing.get(path).json()["members"][0]["bsn"] == "******" + bsn[-3:]
    assert world.coordinator.get(path).json()["members"][0]["bsn"] == bsn


def test_households_are_found_by_bsn_in_the_body(world: World) -> None:
    bsn = fresh_bsn()
    signal = register_signal(
        world.housing, world, household={"address": new_address(), "members": [new_member(bsn=bsn)]}
    )
    found = world.coordinator.post("/v1/households/search", json={"bsn": bsn})
    assert [h["id"] for h in found.json()] == [signal["householdId"]]
    # Someone with no part in the household finds nothing, nor does the one that only reported it.
    assert world.outsider.post("/v1/households/search", json={"bsn": bsn}).json() == []
    assert world.housing.post("/v1/households/search", json={"bsn": bsn}).json() == []


def test_members_can_be_added_with_the_fallback_set(world: World, story: Story) -> None:
    path = f"/v1/households/{story.signal['householdId']}/members"
    added = world.ggz.post(path, json={"givenNames": "Sem", "surname": "Jansen", "dateOfBirth": "2015-02-03"})
    assert added.status_code == 201, added.text
    assert [m["givenNames"] for m in world.ggz.get(path).json()][-1] == "Sem"
    missing = world.ggz.post(path, json={"surname": "Jansen"})
    assert missing.status_code == 400


def test_a_case_for_the_signal_accepts_it(world: World) -> None:
    signal = register_signal(world.housing, world)
    case = open_case(world.coordinator, signal).json()
    taken_up = world.coordinator.get(f"/v1/signals/{signal['id']}").json()
    assert taken_up["status"] == "accepted" and taken_up["caseId"] == case["id"]
    # A signal already taken up cannot be taken up again.
    again = open_case(world.coordinator, signal)
    assert again.status_code == 409
