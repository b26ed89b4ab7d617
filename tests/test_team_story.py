"""A whole story as a neighbourhood team plays it, each step by the organisation that would take it.

A housing corporation signals a household that GGZ already helps; both are told of each other; the
coordinator takes the signal up with a pair, who make contact within the target; GGZ leads, assesses,
plans and keeps the journal; debt assistance gets a referral, accepts and completes it; the second
assessment shows improvement and the case closes as handled by the team. Outsiders see none of it.
"""

from datetime import date, timedelta

from tests.conftest import FIRST_VERSION, World, new_address, new_member, register_signal


def test_a_household_from_signal_to_closure(world: World) -> None:
    today = date.today()
    address = new_address()
    ggz, housing, debt, coordinator = world.ggz, world.housing, world.debt, world.coordinator

    # GGZ already helps the household: its own signal, its own case, its own client number.
    ggz_signal = register_signal(
        ggz,
        world,
        household={"address": address, "members": [new_member()]},
        source="team_organisation",
        lifeDomains=["mental_health"],
    )
    opened = ggz.post(
        "/v1/cases",
        json={
            "householdId": ggz_signal["householdId"],
            "signalIds": [ggz_signal["id"]],
            "basis": "statutory_task",
            "basisReference": "Wmo 2015",
            "ownReference": "GGZ-88",
        },
    )
    assert opened.status_code == 201
    case_id = opened.json()["id"]
    household_id = ggz_signal["householdId"]

    # 1. The housing corporation signals the household and hears at once that GGZ is involved — not why.
    reference = {k: address[k] for k in ("postcode", "houseNumber", "houseNumberAddition")}
    signal = register_signal(housing, world, household={"address": reference}, lifeDomains=["finances", "housing"])
    known = signal["alreadyKnown"]
    assert known["known"] is True
    assert [o["organisationId"] for o in known["involvedOrganisations"]] == [str(world.orgs["ggz"])]
    assert "GGZ-88" not in str(known) and "mental_health" not in str(known)

    # 2. Both organisations get the match; the coordinator sees it has no recorded contact yet.
    def match_for(caller, **params):  # type: ignore[no-untyped-def]
        return caller.get("/v1/matches", params={"householdId": household_id} | params).json()["items"]

    housing_match = match_for(housing)
    assert [(m["organisation"]["organisationId"], m["counterpart"]["organisationId"]) for m in housing_match] == [
        (str(world.orgs["housing"]), str(world.orgs["ggz"]))
    ]
    assert housing_match[0]["counterpart"]["contactPhone"] == "010-1234567"
    assert [m["id"] for m in match_for(ggz)] == [housing_match[0]["id"]]
    assert match_for(ggz)[0]["signalId"] is None  # GGZ learns who to call, not the signal itself
    assert [m["id"] for m in match_for(coordinator, contactRecorded="false")] == [housing_match[0]["id"]]
    contacted = ggz.post(f"/v1/matches/{housing_match[0]['id']}/contact")
    assert contacted.status_code == 200 and contacted.json()["contactRecordedByOrganisationId"] == str(
        world.orgs["ggz"]
    )
    assert match_for(coordinator, contactRecorded="false") == []

    # 3. The coordinator sees the signal in the queue, asks who has the expertise, and sends a pair.
    queue = coordinator.get(f"/v1/teams/{world.team['id']}/triage-queue").json()
    item = next(i for i in queue["items"] if i["id"] == signal["id"])
    assert item["ageDays"] == 0 and item["firstContactDueOn"] == (today + timedelta(days=3)).isoformat()
    suggested = coordinator.get(f"/v1/signals/{signal['id']}/suggested-professionals").json()
    assert suggested[0]["professionalId"] == world.professionals["debt"]["id"]
    assert suggested[0]["matchingDomains"] == ["finances"]
    pair = [world.professionals["ggz"]["id"], world.professionals["social"]["id"]]
    claimed = coordinator.act(
        f"/v1/signals/{signal['id']}/claim", json={"professionalIds": pair, "plannedFirstContactOn": today.isoformat()}
    )
    assert claimed.status_code == 200 and claimed.json()["status"] == "in_triage"
    assert claimed.json()["assignedProfessionalIds"] == pair

    # 4. GGZ, one of the pair, records the first contact — within the team's target.
    contact = ggz.act(f"/v1/signals/{signal['id']}/first-contact", json={"contactedOn": today.isoformat()})
    assert contact.status_code == 200, contact.text
    queue = coordinator.get(f"/v1/teams/{world.team['id']}/triage-queue").json()
    assert next(i for i in queue["items"] if i["id"] == signal["id"])["firstContactWithinTarget"] is True

    # 5. The coordinator accepts: the signal joins the household's open case. GGZ becomes the lead.
    accepted = coordinator.act(f"/v1/signals/{signal['id']}/accept", json={})
    assert accepted.json()["status"] == "accepted" and accepted.json()["caseId"] == case_id
    actions = [a["action"] for a in housing.get(f"/v1/signals/{signal['id']}/triage-actions").json()]
    assert actions == ["claimed", "first_contact_made", "accepted"]
    etag = ggz.get(f"/v1/cases/{case_id}").headers["ETag"]
    lead = coordinator.put(
        f"/v1/cases/{case_id}/lead-professional",
        json={"professionalId": world.professionals["ggz"]["id"]},
        headers={"If-Match": etag},
    )
    assert lead.status_code == 200
    etag = lead.headers["ETag"]

    # 6. GGZ assesses on the domains that matter, sets a target, and agrees a plan with the household.
    first = ggz.post(
        f"/v1/cases/{case_id}/assessments",
        json={
            "instrument": "zrm",
            "instrumentVersion": "2017",
            "kind": "measured",
            "assessedOn": (today - timedelta(days=1)).isoformat(),
            "scores": [{"domain": "finances", "score": 2}, {"domain": "housing", "score": 3}],
        },
    )
    assert first.status_code == 201
    ggz.post(
        f"/v1/cases/{case_id}/assessments",
        json={
            "instrument": "zrm",
            "instrumentVersion": "2017",
            "kind": "target",
            "assessedOn": today.isoformat(),
            "scores": [{"domain": "finances", "score": 4}],
        },
    )
    plan = ggz.put(
        f"/v1/cases/{case_id}/plan",
        json={
            "goals": [
                {
                    "lifeDomain": "finances",
                    "iWant": "Rust in mijn geldzaken",
                    "iCan": "Post openen",
                    "iNeed": "Hulp bij een regeling",
                    "result": "Geen nieuwe achterstand",
                    "activities": [
                        {
                            "description": "Aanmelden bij schuldhulp",
                            "performer": {"kind": "organisation", "organisationId": str(world.orgs["debt"])},
                        }
                    ],
                }
            ],
            "agreedDate": today.isoformat(),
        },
        headers=FIRST_VERSION,
    )
    assert plan.status_code == 200

    # 7. The journal: a shared home visit, and a note GGZ keeps to itself.
    for visibility, text in [("all_involved", "Huisbezoek met de corporatie."), ("own_organisation", "GGZ-notitie.")]:
        entry = ggz.post(
            f"/v1/cases/{case_id}/journal",
            json={
                "kind": "home_visit" if visibility == "all_involved" else "note",
                "occurredAt": f"{today.isoformat()}T10:00:00+01:00",
                "text": text,
                "visibility": visibility,
            },
        )
        assert entry.status_code == 201
    assert [e["text"] for e in ggz.get(f"/v1/cases/{case_id}/journal").json()] == [
        "Huisbezoek met de corporatie.",
        "GGZ-notitie.",
    ]
    assert [e["text"] for e in coordinator.get(f"/v1/cases/{case_id}/journal").json()] == [
        "Huisbezoek met de corporatie."
    ]

    # 8. A referral to debt assistance: received, accepted, in progress, completed — by debt itself.
    referral = ggz.post(
        f"/v1/cases/{case_id}/referrals",
        json={
            "organisationId": str(world.orgs["debt"]),
            "reason": "Schulden; betalingsregeling nodig.",
            "basis": "statutory_task",
            "basisReference": "Wet gemeentelijke schuldhulpverlening",
        },
    ).json()
    assert referral["status"] == "requested"
    inbox = debt.get("/v1/referrals", params={"received": "true", "status": "requested", "limit": 100}).json()
    assert referral["id"] in [r["id"] for r in inbox["items"]]
    assert debt.get(f"/v1/cases/{case_id}").status_code == 404  # not involved yet
    for step in ("received", "accepted", "in_progress"):
        moved = debt.act(f"/v1/referrals/{referral['id']}/status", json={"status": step})
        assert moved.status_code == 200, moved.text
    assert debt.get(f"/v1/cases/{case_id}").status_code == 200  # accepting made debt assistance involved
    done = debt.act(f"/v1/referrals/{referral['id']}/status", json={"status": "completed", "outcome": "got_help"})
    assert done.json()["outcome"] == "got_help"
    seen_by_sender = ggz.get(f"/v1/referrals/{referral['id']}").json()
    assert [s["status"] for s in seen_by_sender["history"]] == [
        "requested",
        "received",
        "accepted",
        "in_progress",
        "completed",
    ]

    # 9. The second measurement shows improvement; one cannot be taken on a day still to come.
    second = {
        "instrument": "zrm",
        "instrumentVersion": "2017",
        "kind": "measured",
        "assessedOn": (today + timedelta(days=1)).isoformat(),
        "scores": [{"domain": "finances", "score": 4}],
    }
    ahead = ggz.post(f"/v1/cases/{case_id}/assessments", json=second)
    assert ahead.status_code == 400 and ahead.json()["invalidParams"][0]["name"] == "assessedOn"
    taken = ggz.post(f"/v1/cases/{case_id}/assessments", json=second | {"assessedOn": today.isoformat()})
    assert taken.status_code == 201, taken.text
    trend = ggz.get(f"/v1/cases/{case_id}/assessments/trend").json()
    finances = next(d for d in trend[0]["domains"] if d["domain"] == "finances")
    assert [p["score"] for p in finances["measured"]] == [2, 4] and finances["change"] == 2
    assert finances["target"]["score"] == 4

    # 10. GGZ, the lead, closes the case as handled by the team, with what it learned.
    closed = ggz.post(
        f"/v1/cases/{case_id}/close",
        headers={"If-Match": etag},
        json={"reason": "goal_reached", "handledBy": "team", "learningNote": "Snel samen op huisbezoek werkte."},
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["handledBy"] == "team"

    # Organisations outside the case saw none of it.
    for outsider in (world.outsider, world.other_coordinator):
        for path in (
            f"/v1/cases/{case_id}",
            f"/v1/cases/{case_id}/journal",
            f"/v1/cases/{case_id}/assessments",
            f"/v1/cases/{case_id}/referrals",
            f"/v1/referrals/{referral['id']}",
            f"/v1/signals/{signal['id']}",
        ):
            assert outsider.get(path).status_code == 404, path
        assert match_for(outsider) == []
    assert housing.get(f"/v1/cases/{case_id}").status_code == 404  # it signalled, it does not follow the case
