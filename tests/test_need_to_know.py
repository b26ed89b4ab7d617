"""Need to know, route by route, reads and writes, for every identity: whoever may not see a resource gets
404, whoever sees it but may not do this gets 403, and nothing changes; those who need to know get through.

The identities: the involved organisations (GGZ leads the story's case), the coordinator of the case's
team, the organisation that reported the signal (the housing corporation: it sees its signal, not the
household's file), an organisation of the team that is not involved, the coordinator of another team, an
organisation in no team, and the municipality (figures only). The route table is walked, so a new route
that takes an id fails this test until it is added here.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from tests.conftest import FIRST_VERSION, Caller, Story, World, new_member, register_signal
from wijkregistratie.main import create_app

PLAN = {"goals": [{"lifeDomain": "finances", "iWant": "Rust", "result": "Geen schulden"}]}

# (method, route template) -> how to call it for the story's case; the body and headers must be such that an
# involved organisation would succeed, so a refusal can only come from need-to-know.
Call = Callable[[Story, dict[str, Any]], tuple[str, dict[str, Any]]]
# The version of what the context made just now: every change names it.
FIRST_SEEN = {"If-Match": '"1"'}
RECORD_ROUTES: dict[tuple[str, str], Call] = {
    ("GET", "/v1/signals/{signalId}"): lambda s, x: (f"/v1/signals/{s.signal['id']}", {}),
    ("GET", "/v1/cases/{caseId}"): lambda s, x: (f"/v1/cases/{s.case['id']}", {}),
    ("POST", "/v1/cases/{caseId}/close"): lambda s, x: (
        f"/v1/cases/{s.case['id']}/close",
        {"json": {"reason": "goal_reached", "handledBy": "team"}, "headers": {"If-Match": s.etag}},
    ),
    ("GET", "/v1/cases/{caseId}/lead-professional"): lambda s, x: (f"/v1/cases/{s.case['id']}/lead-professional", {}),
    ("PUT", "/v1/cases/{caseId}/lead-professional"): lambda s, x: (
        f"/v1/cases/{s.case['id']}/lead-professional",
        {"json": {"professionalId": x["debt_professional"]}, "headers": {"If-Match": s.etag}},
    ),
    ("GET", "/v1/cases/{caseId}/involvements"): lambda s, x: (f"/v1/cases/{s.case['id']}/involvements", {}),
    ("POST", "/v1/cases/{caseId}/involvements"): lambda s, x: (
        f"/v1/cases/{s.case['id']}/involvements",
        {"json": {"organisationId": x["debt"], "role": "consulted", "basis": "statutory_task", "basisReference": "x"}},
    ),
    ("PATCH", "/v1/cases/{caseId}/involvements/{involvementId}"): lambda s, x: (
        f"/v1/cases/{s.case['id']}/involvements/{x['involvement']}",
        {"json": {"role": "consulted"}, "headers": {"If-Match": '"1"'}},
    ),
    ("GET", "/v1/cases/{caseId}/plan"): lambda s, x: (f"/v1/cases/{s.case['id']}/plan", {}),
    ("PUT", "/v1/cases/{caseId}/plan"): lambda s, x: (
        f"/v1/cases/{s.case['id']}/plan",
        {"json": PLAN, "headers": {"If-Match": '"1"'}},
    ),
    ("GET", "/v1/cases/{caseId}/plan/versions"): lambda s, x: (f"/v1/cases/{s.case['id']}/plan/versions", {}),
    ("GET", "/v1/cases/{caseId}/plan/versions/{version}"): lambda s, x: (
        f"/v1/cases/{s.case['id']}/plan/versions/1",
        {},
    ),
    ("GET", "/v1/households/{householdId}"): lambda s, x: (f"/v1/households/{s.signal['householdId']}", {}),
    ("GET", "/v1/households/{householdId}/members"): lambda s, x: (
        f"/v1/households/{s.signal['householdId']}/members",
        {},
    ),
    ("POST", "/v1/households/{householdId}/members"): lambda s, x: (
        f"/v1/households/{s.signal['householdId']}/members",
        {"json": new_member(givenNames="Indringer")},
    ),
    ("PATCH", "/v1/households/{householdId}"): lambda s, x: (
        f"/v1/households/{s.signal['householdId']}",
        {"json": {"phone": "010-1112233"}, "headers": {"If-Match": x["household_etag"]}},
    ),
    ("GET", "/v1/households/{householdId}/members/{memberId}"): lambda s, x: (
        f"/v1/households/{s.signal['householdId']}/members/{x['member']}",
        {},
    ),
    ("PATCH", "/v1/households/{householdId}/members/{memberId}"): lambda s, x: (
        f"/v1/households/{s.signal['householdId']}/members/{x['member']}",
        {"json": {"phone": "06-11122233"}, "headers": {"If-Match": x["member_etag"]}},
    ),
}
# The story's household as the reporter sees it: not at all (registering shows nothing of the file).
HOUSEHOLD_ROUTES = {route for route in RECORD_ROUTES if route[1].startswith("/v1/households")}
RECORD_ROUTES |= {
    ("GET", "/v1/signals/{signalId}/triage-actions"): lambda s, x: (
        f"/v1/signals/{x['open_signal']}/triage-actions",
        {},
    ),
    ("GET", "/v1/signals/{signalId}/suggested-professionals"): lambda s, x: (
        f"/v1/signals/{x['open_signal']}/suggested-professionals",
        {},
    ),
    ("POST", "/v1/signals/{signalId}/claim"): lambda s, x: (
        f"/v1/signals/{x['open_signal']}/claim",
        {"json": {"professionalIds": [x["ggz_professional"]]}, "headers": FIRST_SEEN},
    ),
    ("POST", "/v1/signals/{signalId}/first-contact"): lambda s, x: (
        f"/v1/signals/{x['open_signal']}/first-contact",
        {"json": {"contactedOn": x["today"]}, "headers": FIRST_SEEN},
    ),
    ("POST", "/v1/signals/{signalId}/accept"): lambda s, x: (
        f"/v1/signals/{x['open_signal']}/accept",
        {"json": {}, "headers": FIRST_SEEN},
    ),
    ("POST", "/v1/signals/{signalId}/decline"): lambda s, x: (
        f"/v1/signals/{x['open_signal']}/decline",
        {"json": {"reason": "Dubbel gemeld."}, "headers": FIRST_SEEN},
    ),
    ("POST", "/v1/signals/{signalId}/forward"): lambda s, x: (
        f"/v1/signals/{x['open_signal']}/forward",
        {"json": {"organisationId": x["debt"], "reason": "Alleen een geldvraag."}, "headers": FIRST_SEEN},
    ),
    ("POST", "/v1/matches/{matchId}/contact"): lambda s, x: (f"/v1/matches/{x['match']}/contact", {}),
    ("POST", "/v1/cases/{caseId}/assessments"): lambda s, x: (
        f"/v1/cases/{s.case['id']}/assessments",
        {"json": ASSESSMENT},
    ),
    ("GET", "/v1/cases/{caseId}/assessments"): lambda s, x: (f"/v1/cases/{s.case['id']}/assessments", {}),
    ("GET", "/v1/cases/{caseId}/assessments/trend"): lambda s, x: (f"/v1/cases/{s.case['id']}/assessments/trend", {}),
    ("POST", "/v1/cases/{caseId}/journal"): lambda s, x: (f"/v1/cases/{s.case['id']}/journal", {"json": JOURNAL}),
    ("GET", "/v1/cases/{caseId}/journal"): lambda s, x: (f"/v1/cases/{s.case['id']}/journal", {}),
    ("GET", "/v1/cases/{caseId}/journal/{entryId}"): lambda s, x: (
        f"/v1/cases/{s.case['id']}/journal/{x['journal_entry']}",
        {},
    ),
    ("GET", "/v1/cases/{caseId}/assessments/{assessmentId}"): lambda s, x: (
        f"/v1/cases/{s.case['id']}/assessments/{x['assessment']}",
        {},
    ),
    ("GET", "/v1/cases/{caseId}/involvements/{involvementId}"): lambda s, x: (
        f"/v1/cases/{s.case['id']}/involvements/{x['involvement']}",
        {},
    ),
    ("GET", "/v1/households/{householdId}/consents/{consentId}"): lambda s, x: (
        f"/v1/households/{s.signal['householdId']}/consents/{x['consent']}",
        {},
    ),
    ("POST", "/v1/cases/{caseId}/referrals"): lambda s, x: (
        f"/v1/cases/{s.case['id']}/referrals",
        {"json": {"organisationId": x["debt"], "reason": "Schulden", "basis": "statutory_task", "basisReference": "x"}},
    ),
    ("GET", "/v1/cases/{caseId}/referrals"): lambda s, x: (f"/v1/cases/{s.case['id']}/referrals", {}),
    ("GET", "/v1/referrals/{referralId}"): lambda s, x: (f"/v1/referrals/{x['referral']}", {}),
    ("POST", "/v1/referrals/{referralId}/status"): lambda s, x: (
        f"/v1/referrals/{x['referral']}/status",
        {"json": {"status": "cancelled", "reason": "Niet meer nodig."}, "headers": FIRST_SEEN},
    ),
    ("POST", "/v1/households/{householdId}/consents"): lambda s, x: (
        f"/v1/households/{s.signal['householdId']}/consents",
        {"json": {"memberId": x["member"], "organisationId": x["debt"], "purpose": "x", "givenOn": x["today"]}},
    ),
    ("GET", "/v1/households/{householdId}/consents"): lambda s, x: (
        f"/v1/households/{s.signal['householdId']}/consents",
        {},
    ),
    ("POST", "/v1/households/{householdId}/consents/{consentId}/withdraw"): lambda s, x: (
        f"/v1/households/{s.signal['householdId']}/consents/{x['consent']}/withdraw",
        {"json": {"withdrawnOn": x["today"]}, "headers": FIRST_SEEN},
    ),
    ("POST", "/v1/cases/{caseId}/attachments"): lambda s, x: (
        f"/v1/cases/{s.case['id']}/attachments",
        {"files": {"file": ("notitie.txt", b"Afspraken van het huisbezoek.", "text/plain")}},
    ),
    ("GET", "/v1/cases/{caseId}/attachments"): lambda s, x: (f"/v1/cases/{s.case['id']}/attachments", {}),
    ("GET", "/v1/cases/{caseId}/history"): lambda s, x: (f"/v1/cases/{s.case['id']}/history", {}),
    ("GET", "/v1/cases/{caseId}/attachments/{attachmentId}/content"): lambda s, x: (
        f"/v1/cases/{s.case['id']}/attachments/{x['attachment']}/content",
        {},
    ),
}
# Signal triage is the coordinator's work: whoever else sees the signal gets 403, not 404.
COORDINATOR_ONLY = {
    route
    for route in RECORD_ROUTES
    if route[1].startswith("/v1/signals/{signalId}/") and route[1] != "/v1/signals/{signalId}/triage-actions"
}
# The address book and the service directory: who works where, whom to call, what is offered. Not personal
# data of households, readable by every authenticated client on purpose; editing is tested in their own tests.
DIRECTORY_ROUTES = {
    ("GET", "/v1/municipalities/{code}"),
    ("GET", "/v1/organisations/{organisationId}"),
    ("GET", "/v1/teams/{teamId}"),
    ("GET", "/v1/assessment-instruments/{code}/{version}"),
    ("GET", "/v1/professionals/{professionalId}"),
    ("PATCH", "/v1/professionals/{professionalId}"),
    ("GET", "/v1/services/{serviceId}"),
    ("PUT", "/v1/services/{serviceId}"),
}
# The team's queue is the coordinator's; tests/test_doors.py checks that everyone else is refused.
COORDINATOR_ROUTES = {("GET", "/v1/teams/{teamId}/triage-queue")}
# The team's work lists, its learning and taking a signal up: tests/test_team_week.py and
# tests/test_team_learning.py check who gets through, that the
# others are refused, and that each list shows only what the caller may see.
TEAM_WORK_ROUTES = {
    ("GET", "/v1/teams/{teamId}/caseload"),
    ("GET", "/v1/teams/{teamId}/due"),
    ("GET", "/v1/teams/{teamId}/open-signals"),
    ("GET", "/v1/professionals/{professionalId}/caseload"),
    ("POST", "/v1/signals/{signalId}/take-up"),
    ("GET", "/v1/teams/{teamId}/case-discussions"),
    ("GET", "/v1/teams/{teamId}/learning-notes"),
}
# Client credentials and the directory's master data are the administrator's; tests/test_doors.py and
# tests/test_master_data.py check that record clients are refused.
ADMIN_ROUTES = {
    ("POST", "/v1/assessment-instruments/{code}/{version}/retire"),
    ("GET", "/v1/figures/refreshes/{refreshId}"),
    ("PATCH", "/v1/organisations/{organisationId}"),
    ("PATCH", "/v1/teams/{teamId}"),
    ("POST", "/v1/teams/{teamId}/memberships"),
    ("PATCH", "/v1/teams/{teamId}/memberships/{membershipId}"),
    ("GET", "/v1/clients/{clientId}"),
    ("PATCH", "/v1/clients/{clientId}"),
    ("POST", "/v1/clients/{clientId}/secret-rotations"),
}
# Webhook subscriptions belong to the organisation that made them; tests/test_webhooks.py checks that
# every other organisation gets 404 on each of these.
OWNED_ROUTES = {
    ("GET", "/v1/webhooks/{webhookId}"),
    ("PATCH", "/v1/webhooks/{webhookId}"),
    ("GET", "/v1/webhooks/{webhookId}/deliveries"),
    ("POST", "/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliveries"),
}
# Handling a household's request to see or erase its data is a role of its own (the rights:handle scope),
# not a matter of involvement; tests/test_household_rights.py checks that record clients are refused.
PRIVILEGED_ROUTES = {
    ("GET", "/v1/households/{householdId}/members/{memberId}/export"),
    ("GET", "/v1/households/{householdId}/erasures/{erasureId}"),
    ("POST", "/v1/households/{householdId}/erasures"),
}
ASSESSMENT = {
    "instrument": "zrm",
    "instrumentVersion": "2017",
    "kind": "measured",
    "assessedOn": "2026-03-10",
    "scores": [{"domain": "finances", "score": 2}],
}
JOURNAL = {"kind": "phone", "occurredAt": "2026-03-05T10:00:00+01:00", "text": "Gebeld.", "visibility": "all_involved"}


def _routes_with_ids() -> set[tuple[str, str]]:
    """Every operation of the application whose path takes an id, from its OpenAPI document."""
    paths = create_app().openapi()["paths"]
    return {(method.upper(), f"/v1{path}") for path, item in paths.items() if "{" in path for method in item}


def test_every_route_with_an_id_has_a_need_to_know_test() -> None:
    covered = (
        set(RECORD_ROUTES)
        | DIRECTORY_ROUTES
        | OWNED_ROUTES
        | PRIVILEGED_ROUTES
        | COORDINATOR_ROUTES
        | ADMIN_ROUTES
        | TEAM_WORK_ROUTES
    )
    assert _routes_with_ids() == covered


@pytest.fixture
def context(world: World, story: Story) -> dict[str, Any]:
    """Something behind every route: a plan, a match, a referral, a consent, an attachment, an open signal."""
    case = f"/v1/cases/{story.case['id']}"
    assert world.ggz.put(f"{case}/plan", json=PLAN, headers=FIRST_VERSION).status_code == 200
    involvements = world.ggz.get(f"{case}/involvements").json()
    social = next(i for i in involvements if i["organisationId"] == str(world.orgs["social"]))
    register_signal(world.debt, world, household={"address": story.address_reference()}, source="team_organisation")
    matches = world.ggz.get("/v1/matches", params={"householdId": story.signal["householdId"]}).json()["items"]
    match = next(m for m in matches if m["counterpart"]["organisationId"] == str(world.orgs["ggz"]))
    referral = world.ggz.post(
        f"{case}/referrals",
        json={
            "organisationId": str(world.orgs["debt"]),
            "reason": "Schulden",
            "basis": "statutory_task",
            "basisReference": "x",
        },
    ).json()
    household = world.ggz.get(f"/v1/households/{story.signal['householdId']}")
    member = household.json()["members"][0]["id"]
    member_etag = world.ggz.get(f"/v1/households/{story.signal['householdId']}/members/{member}").headers["ETag"]
    today = date.today().isoformat()
    consent = world.ggz.post(
        f"/v1/households/{story.signal['householdId']}/consents",
        json={"memberId": member, "organisationId": str(world.orgs["debt"]), "purpose": "x", "givenOn": today},
    ).json()
    attachment = world.ggz.post(f"{case}/attachments", files={"file": ("a.txt", b"Verslag.", "text/plain")}).json()
    entry = world.ggz.post(f"{case}/journal", json=JOURNAL).json()
    assessment = world.ggz.post(f"{case}/assessments", json=ASSESSMENT).json()
    open_signal = register_signal(world.housing, world)
    return {
        "debt": str(world.orgs["debt"]),
        "debt_professional": world.professionals["debt"]["id"],
        "ggz_professional": world.professionals["ggz"]["id"],
        "involvement": social["id"],
        "match": match["id"],
        "referral": referral["id"],
        "member": member,
        "household_etag": household.headers["ETag"],
        "member_etag": member_etag,
        "consent": consent["id"],
        "attachment": attachment["id"],
        "journal_entry": entry["id"],
        "assessment": assessment["id"],
        "open_signal": open_signal["id"],
        "today": today,
    }


def _snapshot(world: World, story: Story) -> dict[str, Any]:
    case = world.coordinator.get(f"/v1/cases/{story.case['id']}").json()
    signal = world.coordinator.get(f"/v1/signals/{story.signal['id']}").json()
    return {"case": case, "signal": signal}


@pytest.mark.parametrize("route", sorted(RECORD_ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_outsiders_get_404_and_change_nothing(
    world: World, story: Story, context: dict[str, Any], route: tuple[str, str]
) -> None:
    before = _snapshot(world, story)
    path, options = RECORD_ROUTES[route](story, context)
    outsiders: list[Caller] = [world.outsider, world.other_coordinator, world.stranger]
    if not route[1].startswith("/v1/signals"):
        outsiders.append(world.housing)  # it signalled the household: it sees its signal, not the file
    for caller in outsiders:
        response = caller.request(route[0], path, **options)
        assert response.status_code == 404, (caller.client_id, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    refused = world.municipality.request(route[0], path, **options)
    assert refused.status_code == 403
    if route in COORDINATOR_ONLY:
        # The reporter sees its signal, so it may learn the action exists, but not take it.
        assert world.housing.request(route[0], path, **options).status_code == 403
    assert _snapshot(world, story) == before


@pytest.mark.parametrize("route", sorted(RECORD_ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_those_who_need_to_know_get_through(
    world: World, story: Story, context: dict[str, Any], route: tuple[str, str]
) -> None:
    path, options = RECORD_ROUTES[route](story, context)
    caller = world.coordinator if route[1].startswith("/v1/signals") else world.ggz
    if route == ("PATCH", "/v1/cases/{caseId}/involvements/{involvementId}"):
        caller = world.coordinator  # the coordinator may change another organisation's involvement
    response = caller.request(route[0], path, **options)
    assert response.status_code in (200, 201), response.text


def test_lists_show_outsiders_nothing(world: World, story: Story) -> None:
    for caller in (world.outsider, world.other_coordinator):
        for path in ("/v1/cases", "/v1/signals", "/v1/households"):
            listed = caller.get(path, params={"limit": 100}).json()["items"]
            assert story.case["id"] not in str(listed) and story.signal["householdId"] not in str(listed)
    assert world.municipality.get("/v1/cases").status_code == 403


def test_the_directory_is_readable_by_every_client(world: World) -> None:
    for caller in (world.outsider, world.municipality):
        assert caller.get(f"/v1/teams/{world.team['id']}").status_code == 200
        assert caller.get(f"/v1/organisations/{world.orgs['ggz']}").status_code == 200
    assert world.outsider.get(f"/v1/professionals/{world.professionals['ggz']['id']}").status_code == 200
    # Professionals are people: the figures-only client does not see them.
    assert world.municipality.get(f"/v1/professionals/{world.professionals['ggz']['id']}").status_code == 403
