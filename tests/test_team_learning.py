"""The team's learning and its instruments: case discussions and learning notes gathered per team and
period (for the municipality without anything that points to a household), closure that says who handled
the case, and assessment instruments an administrator adds and retires."""

import random
import uuid
from datetime import date, timedelta
from typing import Any

from tests.conftest import Caller, Story, World, new_address, new_member, open_case, register_signal
from wijkregistratie.core.clock import today, utcnow

YEAR = str(date.today().year)


def _new_team(world: World) -> tuple[dict[str, Any], Caller, str]:
    """A team of its own, so what it counts is this test's alone: the team, its coordinator, its neighbourhood."""
    district = f"WK0599{random.randrange(50, 99)}"
    team = world.admin.post(
        "/v1/teams",
        json={
            "name": f"Buurtteam Leren {uuid.uuid4().hex[:6]}",
            "municipalityCode": "GM0599",
            "areaCodes": [district],
            "organisationIds": [str(world.orgs["social"])],
        },
    ).json()
    coordinator = world.api.new_caller(world.orgs["social"], ["record:read", "record:write"], [uuid.UUID(team["id"])])
    return team, coordinator, f"BU{district[2:]}01"


def _closed_case(coordinator: Caller, world: World, team: dict[str, Any], buurt: str, note: str, **member: Any) -> str:
    signal = register_signal(
        coordinator,
        world,
        teamId=team["id"],
        household={"address": new_address(buurt) | {"street": "Kastanjelaan"}, "members": [new_member(**member)]},
    )
    opened = open_case(coordinator, signal)
    assert opened.status_code == 201, opened.text
    case = opened.json()
    discussion = {
        "kind": "case_discussion",
        "occurredAt": utcnow().isoformat(),
        "text": "Intake besproken: wie gaat op huisbezoek?",
        "visibility": "all_involved",
    }
    assert coordinator.post(f"/v1/cases/{case['id']}/journal", json=discussion).status_code == 201
    closed = coordinator.act(
        f"/v1/cases/{case['id']}/close", json={"reason": "handled_by_team", "handledBy": "team", "learningNote": note}
    )
    assert closed.status_code == 200, closed.text
    return str(case["id"])


def test_the_team_learns_from_its_cases_and_the_municipality_reads_without_households(world: World) -> None:
    team, coordinator, buurt = _new_team(world)
    note = "Familie Yilmaz (Ayse) belde 06-12345678, ayse@example.org; Kastanjelaan bleef lastig. Samen werkte."
    first = _closed_case(coordinator, world, team, buurt, note, surname="Yilmaz", givenNames="Ayse")

    discussions = coordinator.get(f"/v1/teams/{team['id']}/case-discussions", params={"period": YEAR}).json()
    assert [(d["caseId"], d["householdName"]) for d in discussions["items"]] == [(first, "Yilmaz")]
    notes = coordinator.get(f"/v1/teams/{team['id']}/learning-notes", params={"period": YEAR}).json()["items"]
    assert [(n["caseId"], n["learningNote"], n["handledBy"]) for n in notes] == [(first, note, "team")]
    # Another organisation sees none of the team's cases, so none of their discussions or notes.
    for path in ("case-discussions", "learning-notes"):
        assert world.stranger.get(f"/v1/teams/{team['id']}/{path}", params={"period": YEAR}).json()["items"] == []
    refused = coordinator.get(f"/v1/teams/{team['id']}/learning-notes", params={"period": "vorig jaar"})
    assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "period"

    # The municipality: too few notes to be shown without pointing to a case ...
    shared = world.municipality.get("/v1/figures/learning-notes", params={"period": YEAR, "teamId": team["id"]})
    assert shared.status_code == 200, shared.text
    assert shared.json()["withheld"] is True and shared.json()["notes"] == []
    # ... and once there are enough, the notes without names, street, numbers or addresses.
    minimum = shared.json()["minimumNotes"]
    for i in range(minimum - 1):
        _closed_case(coordinator, world, team, buurt, f"Vaste contactpersoon werkte ({i}).", surname=f"Bakker{i}")
    shown = world.municipality.get("/v1/figures/learning-notes", params={"period": YEAR, "teamId": team["id"]}).json()
    assert shown["withheld"] is False and len(shown["notes"]) == minimum
    text = " ".join(n["learningNote"] for n in shown["notes"])
    for secret in ("Yilmaz", "Ayse", "06-12345678", "ayse@example.org", "Kastanjelaan", "Bakker"):
        assert secret.casefold() not in text.casefold(), secret
    assert "Samen werkte." in text
    assert all(set(n) == {"month", "closureReason", "handledBy", "learningNote"} for n in shown["notes"])
    assert all(n["month"] == today().strftime("%Y-%m") for n in shown["notes"])
    # A record client is not the municipality; another municipality's team is unknown to it.
    assert world.ggz.get("/v1/figures/learning-notes", params={"period": YEAR}).status_code == 403
    unknown = world.municipality.get("/v1/figures/learning-notes", params={"period": YEAR, "teamId": str(uuid.uuid4())})
    assert unknown.status_code == 400 and unknown.json()["invalidParams"][0]["name"] == "teamId"


def test_a_closure_says_who_handled_it(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}/close"
    for body, field in [
        ({"reason": "goal_reached"}, "handledBy"),
        ({"reason": "referred_to_specialist_care", "handledBy": "team"}, "handledBy"),
        ({"reason": "handled_by_team", "handledBy": "specialist_care"}, "handledBy"),
    ]:
        refused = world.ggz.post(path, json=body, headers={"If-Match": story.etag})
        assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == field, refused.text
    closed = world.ggz.post(path, json={"reason": "moved", "handledBy": "team"}, headers={"If-Match": story.etag})
    assert closed.status_code == 200 and closed.json()["handledBy"] == "team"


LEEFGEBIEDEN = [
    "finances",
    "work",
    "education",
    "housing",
    "domestic_relations",
    "mental_health",
    "physical_health",
    "substance_use",
    "daily_living",
    "social_network",
    "participation",
    "justice",
    "language",
    "parenting",
    "safety",
]


def test_an_administrator_adds_and_retires_an_instrument(world: World, story: Story) -> None:
    code = f"leefgebieden_{uuid.uuid4().hex[:6]}"
    body = {
        "code": code,
        "version": "2026",
        "name": "15 leefgebieden",
        "domains": [{"code": d, "name": d.replace("_", " ").capitalize()} for d in LEEFGEBIEDEN],
    }
    assert world.ggz.post("/v1/assessment-instruments", json=body).status_code == 403
    twice = body | {"domains": [*body["domains"], {"code": "safety", "name": "Veiligheid"}]}
    refused = world.admin.post("/v1/assessment-instruments", json=twice)
    assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "domains"
    created = world.admin.post("/v1/assessment-instruments", json=body)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/v1/assessment-instruments/{code}/2026"
    assert len(created.json()["domains"]) == 15 and created.json()["scores"]["1"] == "acute problematiek"
    assert world.admin.post("/v1/assessment-instruments", json=body).status_code == 409
    listed = {(i["code"], i["version"]) for i in world.ggz.get("/v1/assessment-instruments").json()}
    assert {("zrm", "2013"), ("zrm", "2017"), (code, "2026")} <= listed

    assessments = f"/v1/cases/{story.case['id']}/assessments"
    taken = {
        "instrument": code,
        "instrumentVersion": "2026",
        "kind": "measured",
        "assessedOn": (today() - timedelta(days=1)).isoformat(),
        "scores": [{"domain": "language", "score": 2}, {"domain": "parenting", "score": 3}],
    }
    assert world.ggz.post(assessments, json=taken).status_code == 201
    future = world.ggz.post(assessments, json=taken | {"assessedOn": (today() + timedelta(days=1)).isoformat()})
    assert future.status_code == 400 and future.json()["invalidParams"][0]["name"] == "assessedOn"

    retired = world.admin.post(f"/v1/assessment-instruments/{code}/2026/retire", json={})
    assert retired.status_code == 200 and retired.json()["retiredOn"] == today().isoformat()
    assert world.admin.post(f"/v1/assessment-instruments/{code}/2026/retire", json={}).status_code == 409
    after = world.ggz.post(assessments, json=taken | {"assessedOn": today().isoformat()})
    assert after.status_code == 400 and after.json()["invalidParams"][0]["name"] == "instrumentVersion"
    # What was measured with it keeps its version, and its trend stays readable.
    trend = world.ggz.get(f"{assessments}/trend").json()
    (ours,) = [t for t in trend if t["instrument"] == code]
    assert {d["domain"] for d in ours["domains"]} == {"language", "parenting"} and ours["instrumentVersion"] == "2026"
    assert world.ggz.get(f"/v1/assessment-instruments/{code}/2026").json()["retiredOn"] == today().isoformat()
    assert world.ggz.get(f"/v1/assessment-instruments/{code}/1999").status_code == 404
