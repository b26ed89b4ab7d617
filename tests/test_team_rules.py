"""The rules of the team's way of working, and the bad input each one refuses without changing anything."""

import hashlib
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import Story, World, register_signal

TODAY = date.today().isoformat()


def _assessment(**overrides: Any) -> dict[str, Any]:
    return {
        "instrument": "zrm",
        "instrumentVersion": "2017",
        "kind": "measured",
        "assessedOn": TODAY,
        "scores": [{"domain": "finances", "score": 3}],
    } | overrides


def test_a_settled_signal_takes_no_more_triage(world: World) -> None:
    signal = register_signal(world.housing, world)
    declined = world.coordinator.act(f"/v1/signals/{signal['id']}/decline", json={"reason": "Dubbele melding."})
    assert declined.status_code == 200 and declined.json()["triageReason"] == "Dubbele melding."
    for action, body in [
        ("decline", {"reason": "x"}),
        ("accept", {}),
        ("forward", {"organisationId": str(world.orgs["debt"]), "reason": "x"}),
        ("claim", {"professionalIds": [world.professionals["ggz"]["id"]]}),
    ]:
        response = world.coordinator.post(f"/v1/signals/{signal['id']}/{action}", json=body)
        assert response.status_code == 409, action
    after = world.coordinator.get(f"/v1/signals/{signal['id']}").json()
    assert after["status"] == "declined" and after["version"] == declined.json()["version"]


def test_triage_is_the_coordinators(world: World) -> None:
    signal = register_signal(world.housing, world)
    assert world.housing.act(f"/v1/signals/{signal['id']}/decline", json={"reason": "x"}).status_code == 403
    assert world.other_coordinator.act(f"/v1/signals/{signal['id']}/decline", json={"reason": "x"}).status_code == 404
    assert world.housing.get(f"/v1/teams/{world.team['id']}/triage-queue").status_code == 403
    claim = world.coordinator.act(
        f"/v1/signals/{signal['id']}/claim", json={"professionalIds": [world.professionals["outsider"]["id"]]}
    )
    assert claim.status_code == 400 and claim.json()["invalidParams"][0]["name"] == "professionalIds[0]"
    three = world.coordinator.act(
        f"/v1/signals/{signal['id']}/claim",
        json={"professionalIds": [world.professionals[p]["id"] for p in ("ggz", "debt", "social")]},
    )
    assert three.status_code == 400
    stale = world.coordinator.act(
        f"/v1/signals/{signal['id']}/decline", json={"reason": "x"}, headers={"If-Match": '"7"'}
    )
    assert stale.status_code == 412
    assert world.coordinator.get(f"/v1/signals/{signal['id']}").json()["status"] == "open"


def test_a_forwarded_signal_is_seen_by_its_receiver(world: World) -> None:
    signal = register_signal(world.housing, world)
    assert world.debt.get(f"/v1/signals/{signal['id']}").status_code == 404
    forwarded = world.coordinator.act(
        f"/v1/signals/{signal['id']}/forward", json={"organisationId": str(world.orgs["debt"]), "reason": "Geldvraag."}
    )
    assert forwarded.json()["forwardedToOrganisationId"] == str(world.orgs["debt"])
    assert world.debt.get(f"/v1/signals/{signal['id']}").json()["status"] == "forwarded"


def test_first_contact_is_measured_against_the_target(world: World) -> None:
    signal = register_signal(world.housing, world)
    future = world.coordinator.act(
        f"/v1/signals/{signal['id']}/first-contact",
        json={"contactedOn": (date.today() + timedelta(days=1)).isoformat()},
    )
    assert future.status_code == 400 and future.json()["invalidParams"][0]["name"] == "contactedOn"
    assert (
        world.coordinator.act(f"/v1/signals/{signal['id']}/first-contact", json={"contactedOn": TODAY}).status_code
        == 200
    )
    again = world.coordinator.act(f"/v1/signals/{signal['id']}/first-contact", json={"contactedOn": TODAY})
    assert again.status_code == 409


def test_a_new_involvement_at_a_known_household_makes_a_match(world: World, story: Story) -> None:
    joined = world.coordinator.post(
        f"/v1/cases/{story.case['id']}/involvements",
        json={
            "organisationId": str(world.orgs["debt"]),
            "role": "consulted",
            "basis": "statutory_task",
            "basisReference": "Participatiewet",
        },
    )
    assert joined.status_code == 201
    matches = world.debt.get("/v1/matches", params={"householdId": story.signal["householdId"]}).json()["items"]
    assert {m["counterpart"]["organisationId"] for m in matches} == {str(world.orgs["ggz"]), str(world.orgs["social"])}
    assert all(m["trigger"] == "involvement" for m in matches)
    again = world.debt.post(f"/v1/matches/{matches[0]['id']}/contact")
    assert again.status_code == 200
    assert world.debt.post(f"/v1/matches/{matches[0]['id']}/contact").status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_assessment(scores=[{"domain": "finances", "score": 6}]), "scores[0].score"),
        (_assessment(scores=[{"domain": "finances", "score": 0}]), "scores[0].score"),
        (_assessment(scores=[{"domain": "daytime_activities", "score": 3}]), "scores[0].domain"),
        (
            _assessment(scores=[{"domain": "finances", "score": 3}, {"domain": "finances", "score": 4}]),
            "scores[1].domain",
        ),
        (_assessment(scores=[]), "scores"),
        (_assessment(instrumentVersion="2099"), "instrumentVersion"),
        (_assessment(kind="guess"), "kind"),
    ],
)
def test_invalid_assessments_are_refused(world: World, story: Story, body: dict[str, Any], field: str) -> None:
    response = world.ggz.post(f"/v1/cases/{story.case['id']}/assessments", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["invalidParams"][0]["name"] == field
    assert world.ggz.get(f"/v1/cases/{story.case['id']}/assessments").json() == []


def test_the_2013_matrix_has_its_own_domains(world: World, story: Story) -> None:
    instruments = world.ggz.get("/v1/assessment-instruments").json()
    assert {(i["version"], len(i["domains"])) for i in instruments} == {("2013", 11), ("2017", 13)}
    ok = world.ggz.post(
        f"/v1/cases/{story.case['id']}/assessments",
        json=_assessment(instrumentVersion="2013", scores=[{"domain": "daytime_activities", "score": 2}]),
    )
    assert ok.status_code == 201


def test_referral_steps_follow_each_other(world: World, story: Story) -> None:
    referral = world.ggz.post(
        f"/v1/cases/{story.case['id']}/referrals",
        json={
            "organisationId": str(world.orgs["debt"]),
            "reason": "Schulden",
            "basis": "statutory_task",
            "basisReference": "Wet gemeentelijke schuldhulpverlening",
        },
    ).json()
    path = f"/v1/referrals/{referral['id']}/status"
    assert world.debt.act(path, json={"status": "completed"}).status_code == 409
    assert world.debt.act(path, json={"status": "in_progress"}).status_code == 409
    assert world.ggz.act(path, json={"status": "received"}).status_code == 403  # the receiver's step
    no_reason = world.debt.act(path, json={"status": "rejected"})
    assert no_reason.status_code == 400 and no_reason.json()["invalidParams"][0]["name"] == "reason"
    assert world.debt.act(path, json={"status": "cancelled", "reason": "x"}).status_code == 403
    assert world.debt.get(f"/v1/referrals/{referral['id']}").json()["status"] == "requested"
    rejected = world.debt.act(path, json={"status": "rejected", "reason": "Geen plek.", "outcome": "no_capacity"})
    assert rejected.status_code == 200
    assert world.ggz.act(path, json={"status": "cancelled", "reason": "x"}).status_code == 409
    seen = world.ggz.get(f"/v1/referrals/{referral['id']}").json()
    assert seen["statusReason"] == "Geen plek." and seen["outcome"] == "no_capacity"
    # A rejected referral does not make the receiver involved.
    assert world.debt.get(f"/v1/cases/{story.case['id']}").status_code == 404


def test_consent_belongs_to_the_household_and_can_be_withdrawn(world: World, story: Story) -> None:
    other = register_signal(world.ggz, world)
    stranger = world.coordinator.get(f"/v1/households/{other['householdId']}").json()["members"][0]["id"]
    path = f"/v1/households/{story.signal['householdId']}/consents"
    body = {"memberId": stranger, "organisationId": str(world.orgs["debt"]), "purpose": "Schuldhulp", "givenOn": TODAY}
    refused = world.ggz.post(path, json=body)
    assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "memberId"
    assert world.ggz.get(path).json() == []
    member = world.ggz.get(f"/v1/households/{story.signal['householdId']}").json()["members"][0]["id"]
    consent = world.ggz.post(path, json=body | {"memberId": member}).json()
    assert consent["active"] is True
    involvement = world.ggz.post(
        f"/v1/cases/{story.case['id']}/involvements",
        json={
            "organisationId": str(world.orgs["debt"]),
            "role": "carries_out",
            "basis": "consent",
            "basisReference": "toestemming",
            "consentId": consent["id"],
        },
    )
    assert involvement.status_code == 201 and involvement.json()["consentActive"] is True
    assert world.debt.get(f"/v1/cases/{story.case['id']}/journal").status_code == 200
    withdrawn = world.ggz.act(f"{path}/{consent['id']}/withdraw", json={"withdrawnOn": TODAY})
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    involvements = world.ggz.get(f"/v1/cases/{story.case['id']}/involvements").json()
    debt = next(i for i in involvements if i["organisationId"] == str(world.orgs["debt"]))
    assert debt["consentId"] == consent["id"] and debt["consentActive"] is False
    # What rested on the consent ended with it, and the sight it gave: at once, with an event.
    assert debt["until"] == (date.today() - timedelta(days=1)).isoformat()
    assert world.debt.get(f"/v1/cases/{story.case['id']}/journal").status_code == 404
    feed = world.ggz.get("/v1/events", params={"after": "0", "limit": 500}).json()["items"]
    ended = [
        e for e in feed if e["type"].endswith("involvement.changed") and e["data"].get("consentId") == consent["id"]
    ]
    assert ended and ended[-1]["data"]["reason"] == "consent_ended"
    assert world.ggz.act(f"{path}/{consent['id']}/withdraw", json={"withdrawnOn": TODAY}).status_code == 409


def test_a_withdrawn_consent_is_no_basis(world: World, story: Story) -> None:
    path = f"/v1/households/{story.signal['householdId']}/consents"
    member = world.ggz.get(f"/v1/households/{story.signal['householdId']}").json()["members"][0]["id"]
    consent = world.ggz.post(
        path, json={"memberId": member, "organisationId": str(world.orgs["debt"]), "purpose": "x", "givenOn": TODAY}
    ).json()
    world.ggz.act(f"{path}/{consent['id']}/withdraw", json={"withdrawnOn": TODAY})
    response = world.ggz.post(
        f"/v1/cases/{story.case['id']}/involvements",
        json={
            "organisationId": str(world.orgs["debt"]),
            "role": "carries_out",
            "basis": "consent",
            "basisReference": "x",
            "consentId": consent["id"],
        },
    )
    assert response.status_code == 400 and response.json()["invalidParams"][0]["name"] == "consentId"


PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def test_attachments_are_checked_stored_and_streamed(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}/attachments"
    uploaded = world.ggz.post(path, files={"file": ("../../etc/regeling.pdf", PDF, "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    attachment = uploaded.json()
    assert attachment["name"] == "regeling.pdf" and attachment["size"] == len(PDF)
    assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
    download = world.coordinator.get(f"{path}/{attachment['id']}/content")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["Repr-Digest"].startswith("sha-256=:")
    assert [a["id"] for a in world.ggz.get(path).json()] == [attachment["id"]]


@pytest.mark.parametrize(
    ("file", "status"),
    [
        (("tool.exe", b"MZ\x90\x00", "application/x-msdownload"), 415),
        (("fake.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"), 415),
        (("big.pdf", b"%PDF-" + b"0" * 400_000, "application/pdf"), 413),
        (("empty.txt", b"", "text/plain"), 400),
        (("latin1.txt", "café".encode("latin-1"), "text/plain"), 415),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_kept(
    world: World, story: Story, file: tuple[str, bytes, str], status: int
) -> None:
    path = f"/v1/cases/{story.case['id']}/attachments"
    response = world.ggz.post(path, files={"file": file})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert world.ggz.get(path).json() == []


def test_the_service_directory(world: World) -> None:
    body = {
        "organisationId": str(world.orgs["debt"]),
        "name": "Schuldhulpmaatje",
        "description": "Een vrijwilliger helpt met de administratie.",
        "lifeDomains": ["finances"],
        "areaCodes": ["WK059901"],
        "pc4Areas": ["3072"],
    }
    assert world.ggz.post("/v1/services", json=body).status_code == 403  # not its own
    created = world.debt.post("/v1/services", json=body)
    assert created.status_code == 201
    service = created.json()
    for params in (
        {"lifeDomain": "finances"},
        {"postcode": "3072AB"},
        {"areaCode": "BU05990101"},
        {"areaCode": "WK059901"},
    ):
        found = world.outsider.get("/v1/services", params=params | {"organisationId": service["organisationId"]})
        assert [s["id"] for s in found.json()["items"]] == [service["id"]], params
    for params in ({"lifeDomain": "housing"}, {"postcode": "9999ZZ"}, {"areaCode": "BU05990201"}):
        found = world.outsider.get("/v1/services", params=params | {"organisationId": service["organisationId"]})
        assert found.json()["items"] == [], params
    path = f"/v1/services/{service['id']}"
    assert world.ggz.put(path, json=body, headers={"If-Match": '"1"'}).status_code == 403
    assert world.debt.put(path, json=body | {"name": "x"}).status_code == 428
    assert world.debt.put(path, json=body | {"name": "x"}, headers={"If-Match": '"0"'}).status_code == 412
    changed = world.debt.put(path, json=body | {"name": "Schuldhulpmaatje Zuid"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'
    assert world.municipality.get(path).json()["name"] == "Schuldhulpmaatje Zuid"
    invalid = world.debt.post("/v1/services", json=body | {"pc4Areas": ["307"]})
    assert invalid.status_code == 400 and invalid.json()["invalidParams"][0]["name"] == "pc4Areas[0]"


def test_closing_records_who_handled_it(world: World, story: Story) -> None:
    closed = world.ggz.post(
        f"/v1/cases/{story.case['id']}/close",
        json={"reason": "referred_to_specialist_care", "handledBy": "specialist_care"},
        headers={"If-Match": story.etag},
    )
    assert closed.json()["handledBy"] == "specialist_care"
