"""The team's daily work: a queue a screen can show in one call, and finding a household by name."""

from typing import Any

from tests.conftest import Story, World, new_address, new_member, register_signal


def _queue(world: World, **params: Any) -> Any:
    return world.coordinator.get(f"/v1/teams/{world.team['id']}/triage-queue", params=params)


def test_the_queue_names_what_a_screen_shows_most_urgent_first(world: World, story: Story) -> None:
    street = {"street": "Maasboulevard", "city": "Rotterdam"}
    normal = register_signal(
        world.housing, world, household={"address": new_address() | street, "members": [new_member(surname="Bakker")]}
    )
    crisis = register_signal(
        world.debt, world, urgency="crisis", lifeDomains=["mental_health"], source="team_organisation"
    )
    known = register_signal(
        world.ggz, world, household={"address": story.address_reference()}, source="team_organisation"
    )
    claimed = world.coordinator.act(
        f"/v1/signals/{normal['id']}/claim", json={"professionalIds": [world.professionals["ggz"]["id"]]}
    )
    assert claimed.status_code == 200, claimed.text

    answer = _queue(world)
    assert answer.status_code == 200, answer.text
    items = {i["id"]: i for i in answer.json()["items"]}
    order = [i["id"] for i in answer.json()["items"]]
    assert order.index(crisis["id"]) < order.index(normal["id"])  # urgency before age
    urgencies = [i["urgency"] for i in answer.json()["items"]]
    assert urgencies == sorted(urgencies, key=["crisis", "high", "normal"].index)
    shown = items[normal["id"]]
    assert shown["householdName"] == "Bakker" and shown["addressLine"].startswith("Maasboulevard ")
    assert shown["reportingOrganisationName"].startswith("housing")
    assert shown["assignedProfessionals"] == [
        {"professionalId": world.professionals["ggz"]["id"], "name": world.professionals["ggz"]["name"]}
    ]
    assert shown["status"] == "in_triage" and shown["overdue"] is False and shown["ageDays"] == 0
    assert items[known["id"]]["householdHasOpenCase"] is True and shown["householdHasOpenCase"] is False

    only_crisis = [i["id"] for i in _queue(world, urgency="crisis").json()["items"]]
    assert crisis["id"] in only_crisis and normal["id"] not in only_crisis
    by_domain = [i["id"] for i in _queue(world, lifeDomain="mental_health").json()["items"]]
    assert crisis["id"] in by_domain and normal["id"] not in by_domain
    in_triage = [i["id"] for i in _queue(world, status="in_triage").json()["items"]]
    assert normal["id"] in in_triage and crisis["id"] not in in_triage
    assert normal["id"] in [i["id"] for i in _queue(world, overdue="false").json()["items"]]
    assert normal["id"] not in [i["id"] for i in _queue(world, overdue="true").json()["items"]]
    for params, field in [
        ({"status": "accepted"}, "status"),
        ({"urgency": "soon"}, "urgency"),
        ({"leefgebied": "x"}, "leefgebied"),
    ]:
        refused = _queue(world, **params)
        assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == field


def test_a_household_is_found_by_a_members_name_and_date_of_birth(world: World, story: Story) -> None:
    household = world.ggz.get(f"/v1/households/{story.signal['householdId']}").json()
    person = household["members"][0]
    query = {"surname": person["surname"].upper(), "dateOfBirth": person["dateOfBirth"]}
    found = world.ggz.post("/v1/households/search", json=query)
    assert found.status_code == 200 and household["id"] in [h["id"] for h in found.json()]
    narrowed = world.ggz.post("/v1/households/search", json=query | {"givenNames": person["givenNames"][:3]})
    assert household["id"] in [h["id"] for h in narrowed.json()]
    elsewhere = world.ggz.post("/v1/households/search", json=query | {"postcode": "9999ZZ"})
    assert household["id"] not in [h["id"] for h in elsewhere.json()]
    # A partial address: the house number narrows the name; postcode and number without the addition find it.
    address = household["address"]
    numbered = world.ggz.post("/v1/households/search", json=query | {"houseNumber": address["houseNumber"]})
    assert household["id"] in [h["id"] for h in numbered.json()]
    other_number = world.ggz.post("/v1/households/search", json=query | {"houseNumber": address["houseNumber"] + 1})
    assert household["id"] not in [h["id"] for h in other_number.json()]
    partial = {"postcode": address["postcode"], "houseNumber": address["houseNumber"]}
    assert household["id"] in [h["id"] for h in world.ggz.post("/v1/households/search", json=partial).json()]
    # Only households the caller may see: the reporter and outsiders find nothing by name.
    for caller in (world.housing, world.outsider):
        assert household["id"] not in [h["id"] for h in caller.post("/v1/households/search", json=query).json()]
    alone = world.ggz.post("/v1/households/search", json={"surname": person["surname"]})
    assert alone.status_code == 400
    unsaid = world.ggz.post("/v1/households/search", json=query, headers={"Purpose-Of-Use": ""})
    assert unsaid.status_code == 400


def test_a_signal_keeps_who_reported_it_and_says_when_they_want_to_hear_back(world: World) -> None:
    gp = {"name": "Dr. M. de Groot", "organisation": "Huisartsenpraktijk Noord", "phone": "010-1234567"}
    asked = register_signal(world.housing, world, source="general_practitioner", reporter=gp | {"wantsFeedback": True})
    quiet = register_signal(world.housing, world, source="school", reporter={"name": "Mw. Smit"})
    assert asked["reporter"] == gp | {"kind": "other", "email": None, "wantsFeedback": True}
    assert world.coordinator.get(f"/v1/signals/{asked['id']}").json()["reporter"]["name"] == "Dr. M. de Groot"
    assert world.outsider.get(f"/v1/signals/{asked['id']}").status_code == 404
    bad = world.housing.post(
        "/v1/signals",
        json={
            "household": {"address": new_address(), "members": [new_member()]},
            "source": "general_practitioner",
            "lifeDomains": ["finances"],
            "description": "x",
            "residentAware": True,
            "reporter": {"name": "Dr. X", "phone": "bel me"},
        },
    )
    assert bad.status_code == 400 and bad.json()["invalidParams"][0]["name"] == "reporter.phone"
    for signal in (asked, quiet):
        assert (
            world.coordinator.act(f"/v1/signals/{signal['id']}/decline", json={"reason": "Dubbel."}).status_code == 200
        )
    due = world.housing.get("/v1/events", params={"after": 0, "limit": 200})
    events = []
    page = due.json()
    while page["items"]:
        events += [e for e in page["items"] if e["type"] == "nl.wijkregistratie.signal.feedback-due"]
        page = world.housing.get("/v1/events", params={"after": page["items"][-1]["sequence"], "limit": 200}).json()
    told = [e["data"]["signalId"] for e in events]
    assert asked["id"] in told and quiet["id"] not in told
    assert all("Groot" not in str(e["data"]) for e in events)  # who reported it stays on the signal
