"""The team's week, as a coordinator and the professionals of a neighbourhood team work it: two signals for
one household before triage are matched, the queue shows both, a professional takes one up, the case is
opened, the whole file is one read, the work lists remind, a returning household gets its former lead,
and the history tells it all."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlmodel import select

from tests.conftest import FIRST_VERSION, Caller, World, new_address, new_member, register_signal, run_async
from tests.test_events import _read, _tail
from wijkregistratie.cases.models import Case
from wijkregistratie.core.clock import today, utcnow
from wijkregistratie.worklists.jobs import announce_due

PREFIX = "nl.wijkregistratie."


def _as(caller: Caller, professional: dict[str, Any]) -> dict[str, str]:
    """Headers for a request the partner system makes on behalf of one of its professionals."""
    return {"Authorization": f"Bearer {caller.token(actor=professional['id'])}", "Purpose-Of-Use": "care"}


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"].removeprefix(PREFIX) for e in events]


def _version(response: httpx.Response) -> dict[str, str]:
    return {"If-Match": response.headers["ETag"]}


def test_the_teams_week(world: World) -> None:
    ggz_pro, social_pro = world.professionals["ggz"], world.professionals["social"]
    school_tail, ggz_tail, coordinator_tail = _tail(world.housing), _tail(world.ggz), _tail(world.coordinator)
    address = new_address()
    mother = new_member(surname="Yilmaz", givenNames="Ayse")

    # Monday: a school's signal; Tuesday: the GGZ's signal for the same household. Both still in triage.
    school = register_signal(
        world.housing,
        world,
        source="school",
        household={"address": address, "members": [mother]},
        reporter={"kind": "school", "name": "Mw. Smit", "organisation": "Basisschool De Brug", "wantsFeedback": True},
    )
    assert school["alreadyKnown"]["known"] is False
    child = new_member(surname="Yilmaz", givenNames="Emre", dateOfBirth="2015-04-01", role="child")
    ggz = register_signal(
        world.ggz,
        world,
        source="team_organisation",
        lifeDomains=["mental_health"],
        household={"address": _reference(address), "members": [mother, child]},
    )
    assert ggz["householdId"] == school["householdId"]
    # The GGZ is told that the school reported the household, and whom to call — never why.
    (match,) = ggz["alreadyKnown"]["matches"]
    assert match["relation"] == "reported_open_signal" and ggz["alreadyKnown"]["known"] is True
    assert match["counterpart"]["organisationId"] == str(world.orgs["housing"])
    assert school["description"] not in str(ggz["alreadyKnown"])
    # ... and so is the school, which still does not see the household.
    seen_by_school = world.housing.get("/v1/matches", params={"householdId": school["householdId"]}).json()["items"]
    assert [m["id"] for m in seen_by_school] == [match["id"]]
    assert seen_by_school[0]["signalId"] is None  # which signal made the match is the GGZ's to know
    assert world.housing.get(f"/v1/households/{school['householdId']}").status_code == 404
    for caller, tail in ((world.housing, school_tail), (world.ggz, ggz_tail)):
        found = [e for e in _read(caller, tail)[0] if e["type"] == PREFIX + "match.found"]
        assert [e["data"]["matchId"] for e in found] == [match["id"]]
        assert "description" not in str(found)
    # The child sent with the second signal is added to the known household, not dropped.
    members = world.coordinator.get(f"/v1/households/{school['householdId']}").json()["members"]
    assert sorted(m["givenNames"] for m in members) == ["Ayse", "Emre"]

    # The coordinator's queue shows both in one call, with names.
    queue = world.coordinator.get(f"/v1/teams/{world.team['id']}/triage-queue").json()["items"]
    ours = [i for i in queue if i["householdId"] == school["householdId"]]
    assert {i["id"] for i in ours} == {school["id"], ggz["id"]}
    assert all(i["householdName"] == "Yilmaz" for i in ours)
    matches = world.coordinator.get("/v1/matches", params={"householdId": school["householdId"]}).json()["items"]
    assert [m["id"] for m in matches] == [match["id"]]

    # Wednesday: the social worker sees what is open to take up — not whose it is — and takes the school's.
    open_signals = world.coordinator.get(f"/v1/teams/{world.team['id']}/open-signals").json()
    shown = next(s for s in open_signals if s["id"] == school["id"])
    assert "householdId" not in shown and "description" not in shown and shown["takenUpBy"] == 0
    taken = world.coordinator.post(
        f"/v1/signals/{school['id']}/take-up",
        headers=_as(world.coordinator, social_pro) | {"If-Match": f'"{shown["version"]}"'},
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["assignedProfessionalIds"] == [social_pro["id"]] and taken.json()["status"] == "in_triage"
    # A pair visit: the GGZ professional joins, through a team organisation that could not see it before.
    open_to_ggz = world.ggz.get(f"/v1/teams/{world.team['id']}/open-signals").json()
    assert school["id"] in [s["id"] for s in open_to_ggz]
    joined = world.ggz.post(f"/v1/signals/{school['id']}/take-up", headers=_as(world.ggz, ggz_pro) | _version(taken))
    assert joined.status_code == 200, joined.text
    assert world.ggz.get(f"/v1/signals/{school['id']}").status_code == 200
    third = world.debt.post(
        f"/v1/signals/{school['id']}/take-up",
        headers=_as(world.debt, world.professionals["debt"]) | _version(joined),
    )
    assert third.status_code == 409  # two make a pair
    assert school["id"] not in [s["id"] for s in world.debt.get(f"/v1/teams/{world.team['id']}/open-signals").json()]

    # Thursday: the coordinator accepts both; the case is opened, the social worker leads.
    accepted = world.coordinator.act(f"/v1/signals/{school['id']}/accept", json={})
    assert accepted.status_code == 200, accepted.text
    case_id = accepted.json()["caseId"]
    assert world.coordinator.act(f"/v1/signals/{ggz['id']}/accept", json={}).json()["caseId"] == case_id
    record = world.coordinator.get(f"/v1/cases/{case_id}")
    lead = world.coordinator.put(
        f"/v1/cases/{case_id}/lead-professional",
        json={"professionalId": social_pro["id"]},
        headers=_version(record) | _as(world.coordinator, social_pro),
    )
    assert lead.status_code == 200, lead.text
    yesterday = (today() - timedelta(days=1)).isoformat()
    plan = {
        "goals": [
            {
                "lifeDomain": "finances",
                "iWant": "Rust over geld.",
                "result": "Een betalingsregeling.",
                "activities": [
                    {
                        "description": "Samen de post openen",
                        "performer": {"kind": "professional", "professionalId": social_pro["id"]},
                        "dueDate": yesterday,
                    }
                ],
            }
        ],
        "evaluationDate": today().isoformat(),
    }
    saved = world.coordinator.put(
        f"/v1/cases/{case_id}/plan", json=plan, headers=FIRST_VERSION | _as(world.coordinator, social_pro)
    )
    assert saved.status_code in (200, 201), saved.text
    note = {"kind": "phone", "occurredAt": utcnow().isoformat(), "text": "Moeder gebeld.", "visibility": "all_involved"}
    assert world.coordinator.post(f"/v1/cases/{case_id}/journal", json=note).status_code == 201
    joined_case = world.coordinator.post(
        f"/v1/cases/{case_id}/involvements",
        json={
            "organisationId": str(world.orgs["ggz"]),
            "role": "carries_out",
            "basis": "statutory_task",
            "basisReference": "Wmo 2015",
        },
    )
    assert joined_case.status_code == 201, joined_case.text
    private = note | {"text": "Eigen aantekening GGZ.", "visibility": "own_organisation"}
    assert world.ggz.post(f"/v1/cases/{case_id}/journal", json=private).status_code == 201
    referral = world.coordinator.post(
        f"/v1/cases/{case_id}/referrals",
        json={
            "organisationId": str(world.orgs["debt"]),
            "reason": "Schulden.",
            "basis": "statutory_task",
            "basisReference": "Wet gemeentelijke schuldhulpverlening",
        },
    )
    assert referral.status_code == 201, referral.text

    # The whole file in one call, everything expanded.
    whole = world.coordinator.get(
        f"/v1/cases/{case_id}", params={"expand": "journal,assessments,referrals,attachments,matches"}
    )
    assert whole.status_code == 200, whole.text
    file = whole.json()
    assert [e["text"] for e in file["journal"]["items"]] == ["Moeder gebeld."]  # not the GGZ's own note
    assert file["referrals"]["total"] == 1 and file["assessments"]["items"] == []
    assert file["attachments"]["total"] == 0 and file["matches"]["total"] >= 1
    assert file["journal"]["href"] == f"/v1/cases/{case_id}/journal"
    assert world.ggz.get(f"/v1/cases/{case_id}", params={"expand": "journal"}).json()["journal"]["total"] == 2
    one = world.coordinator.get(f"/v1/cases/{case_id}", params={"expand": "journal", "expandLimit": 1}).json()
    assert len(one["journal"]["items"]) == 1 and one["journal"]["total"] == 1 and one["referrals"] is None
    unknown = world.coordinator.get(f"/v1/cases/{case_id}", params={"expand": "journal,secrets"})
    assert unknown.status_code == 400 and unknown.json()["invalidParams"][0]["name"] == "expand"

    # The caseload and the due list show the evaluation that has come due, and the late activity.
    caseload = world.coordinator.get(f"/v1/professionals/{social_pro['id']}/caseload")
    assert caseload.status_code == 200, caseload.text
    (led,) = [c for c in caseload.json()["cases"] if c["caseId"] == case_id]
    assert led["nextEvaluationOn"] == today().isoformat() and led["activitiesOverdue"] == 1
    assert led["householdName"] == "Yilmaz"
    assert world.housing.get(f"/v1/professionals/{social_pro['id']}/caseload").status_code == 403
    team_load = world.coordinator.get(f"/v1/teams/{world.team['id']}/caseload").json()["professionals"]
    row = next(r for r in team_load if r["professionalId"] == social_pro["id"])
    assert row["casesLed"] >= 1 and row["evaluationsDue"] >= 1
    assert world.ggz.get(f"/v1/teams/{world.team['id']}/caseload").status_code == 403
    due = world.coordinator.get(f"/v1/teams/{world.team['id']}/due").json()["items"]
    ours_due = {(d["kind"], d["dueOn"]) for d in due if d.get("caseId") == case_id}
    assert ("evaluation_due", today().isoformat()) in ours_due and ("activity_due", yesterday) in ours_due
    evaluation = next(d for d in due if d.get("caseId") == case_id and d["kind"] == "evaluation_due")
    assert evaluation["professionalId"] == social_pro["id"] and evaluation["daysLate"] == 0
    assert all(
        d.get("caseId") != case_id for d in world.housing.get(f"/v1/teams/{world.team['id']}/due").json()["items"]
    )
    # ... and the worker announces each once, as an event for those involved.
    ggz_before = _tail(world.ggz)
    assert run_async(world.api.database_url, announce_due) >= 2
    assert run_async(world.api.database_url, announce_due) == 0  # once per item and day
    told = [e for e in _read(world.ggz, ggz_before)[0] if e["data"].get("caseId") == case_id]
    assert {"plan.evaluation-due", "plan.activity-due"} <= set(_types(told))
    assert all("Samen de post" not in str(e["data"]) for e in told)  # ids, not the plan's words

    # The case is closed; a year later the household comes back and its former lead is suggested.
    current = world.coordinator.get(f"/v1/cases/{case_id}")
    closed = world.coordinator.post(
        f"/v1/cases/{case_id}/close",
        json={"reason": "goal_reached", "handledBy": "team"},
        headers=_version(current),
    )
    assert closed.status_code == 200, closed.text
    _closed_days_ago(world, case_id, 365)
    back = register_signal(world.debt, world, source="team_organisation", household={"address": _reference(address)})
    former = [m for m in back["alreadyKnown"]["matches"] if m["relation"] == "former_lead"]
    assert [m["counterpart"]["professionalId"] for m in former] == [social_pro["id"]]
    assert back["formerLeadProfessionalId"] == social_pro["id"]
    suggested = world.coordinator.get(f"/v1/signals/{back['id']}/suggested-professionals").json()
    assert suggested[0]["professionalId"] == social_pro["id"] and suggested[0]["formerLead"] is True
    # Past the team's period, a household is new again.
    assert world.coordinator.act(f"/v1/signals/{back['id']}/decline", json={"reason": "Dubbel."}).status_code == 200
    _closed_days_ago(world, case_id, 800)
    later = register_signal(world.debt, world, source="team_organisation", household={"address": _reference(address)})
    assert later["formerLeadProfessionalId"] is None and later["alreadyKnown"]["matches"] == []

    # The history lists it all, with who did what; the GGZ's own note only for the GGZ.
    history = _history(world.coordinator, case_id)
    kinds = _types(history)
    for expected in (
        "signal.registered",
        "signal.status-changed",
        "case.opened",
        "lead-professional.changed",
        "plan.updated",
        "journal.entry-added",
        "referral.requested",
        "plan.evaluation-due",
        "case.closed",
    ):
        assert expected in kinds, expected
    assert kinds.count("journal.entry-added") == 1
    assert len([t for t in _types(_history(world.ggz, case_id)) if t == "journal.entry-added"]) == 2
    by_social = [h for h in history if h["professionalId"] == social_pro["id"]]
    assert by_social and all(h["professionalName"] == social_pro["name"] for h in by_social)
    assert "plan.updated" in _types(by_social)
    assert world.housing.get(f"/v1/cases/{case_id}/history").status_code == 404
    # `signal.feedback-due`: the school wanted to hear back once the team decided.
    assert school["id"] in [
        e["data"]["signalId"]
        for e in _read(world.housing, school_tail)[0]
        if e["type"] == PREFIX + "signal.feedback-due"
    ]
    assert coordinator_tail


def _history(caller: Caller, case_id: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        page = caller.get(f"/v1/cases/{case_id}/history", params=params)
        assert page.status_code == 200, page.text
        entries += page.json()["items"]
        cursor = page.json()["nextCursor"]
        if cursor is None:
            return entries


def _closed_days_ago(world: World, case_id: str, days: int) -> None:
    async def age(session: Any) -> None:
        case = (await session.exec(select(Case).where(Case.id == uuid.UUID(case_id)))).one()
        case.closed_at = utcnow() - timedelta(days=days)
        session.add(case)

    run_async(world.api.database_url, age)


def test_only_the_teams_professionals_take_a_signal_up(world: World) -> None:
    signal = register_signal(world.housing, world, household={"address": new_address(), "members": [new_member()]})
    # An organisation in no team does not see the signal: 404, and none are listed. One that takes part (West's
    # coordinator's organisation is in this team too) but whose token acts for no professional: 403.
    assert world.stranger.get(f"/v1/teams/{world.team['id']}/open-signals").json() == []
    for caller in (world.stranger, world.other_coordinator):
        refused = caller.post(f"/v1/signals/{signal['id']}/take-up", headers={"If-Match": '"1"'})
        assert refused.status_code == (404 if caller is world.stranger else 403)
    # A team organisation's token that acts for no professional, or for one outside the team: 403.
    no_one = world.housing.post(f"/v1/signals/{signal['id']}/take-up", headers={"If-Match": '"1"'})
    assert no_one.status_code == 403
    outsider = world.admin.post(
        "/v1/professionals",
        json={
            "organisationId": str(world.orgs["housing"]),
            "name": "Buiten het team",
            "teamIds": [world.other_team["id"]],
        },
    ).json()
    elsewhere = world.housing.post(
        f"/v1/signals/{signal['id']}/take-up", headers=_as(world.housing, outsider) | {"If-Match": '"1"'}
    )
    assert elsewhere.status_code == 403
    stale = world.housing.post(
        f"/v1/signals/{signal['id']}/take-up", headers=_as(world.housing, outsider) | {"If-Match": '"9"'}
    )
    assert stale.status_code in (403, 412)


def _reference(address: dict[str, Any]) -> dict[str, Any]:
    return {k: address[k] for k in ("postcode", "houseNumber", "houseNumberAddition")}
