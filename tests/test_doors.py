"""The doors around the record, tried as a partner organisation with ordinary credentials would: signal
registration is no lookup, the access log has every look, consent and rights are enforced, clients can be
disabled, and the smaller doors (limits, forwarded addresses, callbacks, If-Match, docs) hold."""

import asyncio
import ipaddress
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.conftest import (
    Api,
    Caller,
    Server,
    Story,
    World,
    new_address,
    new_member,
    open_case,
    register_signal,
    run_async,
)
from tests.receiver import Receiver
from tests.test_signals import fresh_bsn
from tests.test_webhooks import _work
from wijkregistratie.core.models import IdempotencyRecord
from wijkregistratie.webhooks import callbacks


@pytest.fixture(scope="module")
def auditor(world: World) -> Caller:
    return world.api.new_caller(world.orgs["municipality"], ["audit:read", "rights:handle"])


def _log(auditor: Caller, **params: Any) -> list[dict[str, Any]]:
    response = auditor.get("/v1/access-log", params=params | {"limit": 100}, headers={"Purpose-Of-Use": "audit"})
    assert response.status_code == 200, response.text
    return list(response.json())


def _registration(household: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {
        "household": household,
        "source": "team_organisation",
        "lifeDomains": ["finances"],
        "description": "Een vraag van een partner.",
        "residentAware": True,
    } | overrides


def _comparable(answer: httpx.Response) -> tuple[int, Any]:
    """An answer with what necessarily differs between two registrations (ids, times) taken out."""
    body = answer.json()
    if answer.status_code != 201:
        return answer.status_code, {k: v for k, v in body.items() if k != "instance"}
    return 201, sorted(k for k in body if k != "alreadyKnown")


# --- 1. registering a signal is no lookup ---------------------------------------------------------


@pytest.fixture(scope="module")
def elsewhere(world: World) -> Caller:
    """An organisation that takes part in a team of another area only."""
    organisation = world.api.new_organisation(f"Zuid {uuid.uuid4().hex[:6]}", "welfare")
    team = world.admin.post(
        "/v1/teams",
        json={
            "name": f"Buurtteam Zuid {uuid.uuid4().hex[:6]}",
            "municipalityCode": "GM0599",
            "areaCodes": ["BU05990301"],
            "organisationIds": [str(organisation)],
        },
    )
    assert team.status_code == 201, team.text
    return world.api.new_caller(organisation, ["record:read", "record:write"])


def test_a_probe_from_outside_the_team_learns_nothing(world: World, story: Story, elsewhere: Caller) -> None:
    """An organisation in no team, and one of another team, get the same refusal for a known household as
    for an unknown one, by BSN and by address."""
    known_bsn = fresh_bsn()
    register_signal(world.housing, world, household={"address": new_address(), "members": [new_member(bsn=known_bsn)]})
    probes = {
        "known address": {"address": story.address_reference()},
        "unknown address": {"address": new_address()},
        "known BSN": {"bsn": known_bsn, "address": new_address(), "members": [new_member(bsn=known_bsn)]},
        "unknown BSN": {"bsn": (bsn := fresh_bsn()), "address": new_address(), "members": [new_member(bsn=bsn)]},
    }
    for caller in (world.stranger, elsewhere):
        answers = {name: _comparable(caller.post("/v1/signals", json=_registration(h))) for name, h in probes.items()}
        assert len(set(map(json.dumps, answers.values()))) == 1, answers
        assert next(iter(answers.values()))[0] == 400
        named = caller.post("/v1/signals", json=_registration(probes["known address"], teamId=world.team["id"]))
        assert named.status_code == 400 and named.json()["invalidParams"][0]["name"] == "teamId"


def test_a_bsn_alone_is_refused_alike_whether_known_or_not(world: World) -> None:
    known = fresh_bsn()
    register_signal(world.housing, world, household={"address": new_address(), "members": [new_member(bsn=known)]})
    answers = [
        _comparable(world.outsider.post("/v1/signals", json=_registration({"bsn": b}))) for b in (known, fresh_bsn())
    ]
    assert answers[0] == answers[1] and answers[0][0] == 400


def test_a_team_member_learns_whom_to_call_and_can_neither_read_nor_change_the_file(world: World, story: Story) -> None:
    """The outsider organisation takes part in the team but is not involved: its signal for a known household
    answers like one for an unknown household but for `alreadyKnown`, and gives it no sight of the file."""
    known = world.outsider.post("/v1/signals", json=_registration({"address": story.address_reference()}))
    unknown = world.outsider.post(
        "/v1/signals", json=_registration({"address": new_address(), "members": [new_member()]})
    )
    assert _comparable(known) == _comparable(unknown)
    assert known.json()["alreadyKnown"]["known"] is True and unknown.json()["alreadyKnown"]["known"] is False
    household = story.signal["householdId"]
    assert known.json()["householdId"] == household
    member = world.ggz.get(f"/v1/households/{household}").json()["members"][0]["id"]
    for path in (
        f"/v1/households/{household}",
        f"/v1/households/{household}/members",
        f"/v1/households/{household}/consents",
    ):
        assert world.outsider.get(path).status_code == 404, path
    assert world.outsider.get(f"/v1/cases/{story.case['id']}").status_code == 404
    assert story.case["id"] not in str(world.outsider.get("/v1/cases", params={"limit": 100}).json())
    consent = {
        "memberId": member,
        "organisationId": str(world.orgs["outsider"]),
        "purpose": "x",
        "givenOn": "2026-01-01",
    }
    writes = [
        world.outsider.post(f"/v1/households/{household}/members", json=new_member(givenNames="Indringer")),
        world.outsider.post(f"/v1/households/{household}/consents", json=consent),
        world.outsider.post(
            "/v1/cases", json={"householdId": household, "basis": "statutory_task", "basisReference": "x"}
        ),
    ]
    assert [w.status_code for w in writes] == [404, 404, 404]
    members = world.ggz.get(f"/v1/households/{household}/members").json()
    assert "Indringer" not in str(members)


def test_another_organisations_consent_cannot_be_withdrawn_by_a_reporter(world: World, story: Story) -> None:
    household = story.signal["householdId"]
    member = world.ggz.get(f"/v1/households/{household}").json()["members"][0]["id"]
    consent = world.ggz.post(
        f"/v1/households/{household}/consents",
        json={"memberId": member, "organisationId": str(world.orgs["ggz"]), "purpose": "GGZ", "givenOn": "2026-01-01"},
    ).json()
    # The housing corporation reported the household, and registers another signal: still no file of its own.
    register_signal(world.housing, world, household={"address": story.address_reference()})
    refused = world.housing.act(
        f"/v1/households/{household}/consents/{consent['id']}/withdraw", json={"withdrawnOn": "2026-02-01"}
    )
    assert refused.status_code == 404
    assert world.ggz.get(f"/v1/households/{household}/consents").json()[0]["active"] is True


def test_registrations_are_limited_per_client(api: Api, world: World) -> None:
    settings = api.settings.model_copy(update={"signal_rate_limit_per_minute": 2})
    with Server(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        caller = Caller(http, world.housing.client_id, world.housing.secret, world.housing.organisation_id)
        body = _registration({"address": new_address(), "members": [new_member()]}, teamId=world.team["id"])
        statuses = [caller.post("/v1/signals", json=body).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]


# --- 3. every read of personal data in the household's access log ---------------------------------


def test_registration_search_and_the_queue_are_in_the_households_access_log(world: World, auditor: Caller) -> None:
    bsn = fresh_bsn()
    signal = register_signal(
        world.housing, world, household={"address": new_address(), "members": [new_member(bsn=bsn)]}
    )
    household = signal["householdId"]
    queue = world.coordinator.get(
        f"/v1/teams/{world.team['id']}/triage-queue", headers={"Purpose-Of-Use": "coordination"}
    )
    assert queue.status_code == 200
    assert (
        world.coordinator.get(f"/v1/teams/{world.team['id']}/triage-queue", headers={"Purpose-Of-Use": ""}).status_code
        == 400
    )
    found = world.coordinator.post("/v1/households/search", json={"bsn": bsn})
    assert [h["id"] for h in found.json()] == [household]
    entries = _log(auditor, householdId=household)
    by_route = {(e["action"], e["route"]): e for e in entries}
    registered = by_route[("create", "/v1/signals")]
    assert registered["organisationId"] == str(world.orgs["housing"])
    listed = by_route[("list", "/v1/teams/{teamId}/triage-queue")]
    assert listed["purpose"] == "coordination" and listed["outcome"] == "allowed"
    searched = by_route[("create", "/v1/households/search")]
    assert searched["organisationId"] == str(world.orgs["social"])


def test_a_refused_oversized_body_is_logged_as_refused(world: World, story: Story, auditor: Caller) -> None:
    path = f"/v1/cases/{story.case['id']}/journal"
    big = {
        "kind": "phone",
        "occurredAt": "2026-03-05T10:00:00+01:00",
        "text": "x" * 300_000,
        "visibility": "all_involved",
    }
    assert world.ggz.post(path, json=big).status_code == 413
    entry = next(e for e in _log(auditor, caseId=story.case["id"]) if e["status"] == 413)
    assert entry["outcome"] == "refused"


def test_the_export_is_for_a_households_request_only(world: World, story: Story, auditor: Caller) -> None:
    household = story.signal["householdId"]
    member = world.ggz.get(f"/v1/households/{household}").json()["members"][0]["id"]
    path = f"/v1/households/{household}/members/{member}/export"
    refused = auditor.get(path, headers={"Purpose-Of-Use": "care"})
    assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "Purpose-Of-Use"
    assert auditor.get(path, headers={"Purpose-Of-Use": "household_request"}).status_code == 200


# --- 4. consent and who joins a case --------------------------------------------------------------


def test_an_involvement_on_consent_names_a_consent_in_force(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}/involvements"
    body = {"organisationId": str(world.orgs["debt"]), "role": "consulted", "basis": "consent", "basisReference": "x"}
    refused = world.coordinator.post(path, json=body)
    assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "consentId"
    referral = world.ggz.post(
        f"/v1/cases/{story.case['id']}/referrals",
        json={"organisationId": str(world.orgs["debt"]), "reason": "x", "basis": "consent", "basisReference": "x"},
    )
    assert referral.status_code == 400 and referral.json()["invalidParams"][0]["name"] == "consentId"


def test_only_the_coordinator_brings_in_an_organisation_from_outside_the_team(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}/involvements"
    stranger = {
        "organisationId": str(world.stranger.organisation_id),
        "role": "consulted",
        "basis": "statutory_task",
        "basisReference": "x",
    }
    assert world.ggz.post(path, json=stranger).status_code == 403
    assert world.stranger.get(f"/v1/cases/{story.case['id']}").status_code == 404
    colleague = stranger | {"organisationId": str(world.orgs["debt"])}
    assert world.ggz.post(path, json=colleague).status_code == 201  # an organisation of the team
    assert world.coordinator.post(path, json=stranger).status_code == 201


def test_the_coordinator_assigns_the_first_lead(world: World) -> None:
    signal = register_signal(world.ggz, world)
    opened = open_case(world.ggz, signal)  # GGZ takes its own signal up in a case
    assert opened.status_code == 201, opened.text
    path = f"/v1/cases/{opened.json()['id']}/lead-professional"
    body = {"professionalId": world.professionals["ggz"]["id"]}
    assert world.ggz.put(path, json=body, headers={"If-Match": opened.headers["ETag"]}).status_code == 403
    assert world.coordinator.put(path, json=body, headers={"If-Match": opened.headers["ETag"]}).status_code == 200


# --- 5. rights follow the owner -------------------------------------------------------------------


def _disable(world: World, caller: Caller, **changes: Any) -> None:
    current = world.admin.get(f"/v1/clients/{caller.client_id}")
    changed = world.admin.patch(
        f"/v1/clients/{caller.client_id}", json=changes, headers={"If-Match": current.headers["ETag"]}
    )
    assert changed.status_code == 200, changed.text


def test_a_disabled_clients_live_token_is_refused_within_seconds(world: World) -> None:
    caller = world.api.new_caller(world.orgs["housing"], ["record:read"])
    assert caller.get("/v1/cases").status_code == 200
    _disable(world, caller, active=False)
    time.sleep(2.5)
    refused = caller.get("/v1/cases")
    assert refused.status_code == 401 and "WWW-Authenticate" in refused.headers
    token = world.api.http.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": caller.client_id, "client_secret": caller.secret},
    )
    assert token.status_code == 401


def test_a_coordinators_subscription_loses_the_team_its_owner_lost(world: World) -> None:
    coordinator = world.api.new_caller(
        world.orgs["social"], ["record:read", "record:write"], [uuid.UUID(world.team["id"])]
    )
    with Receiver() as receiver:
        created = coordinator.post(
            "/v1/webhooks", json={"url": receiver.url, "eventTypes": ["nl.wijkregistratie.signal.registered"]}
        )
        assert created.status_code == 201, created.text
        register_signal(world.housing, world)
        _work(world)
        assert len(receiver.received) == 1  # the team's signal, as the coordinator's own feed has it
        _disable(world, coordinator, coordinatedTeamIds=[])
        register_signal(world.housing, world)
        _work(world)
        assert len(receiver.received) == 1  # no longer its team: no longer its events


def test_a_stored_answer_is_not_given_again_once_access_ended(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}/journal"
    entry = {
        "kind": "phone",
        "occurredAt": "2026-03-05T10:00:00+01:00",
        "text": "Gebeld.",
        "visibility": "all_involved",
    }
    key = str(uuid.uuid4())
    joined = world.coordinator.post(
        f"/v1/cases/{story.case['id']}/involvements",
        json={
            "organisationId": str(world.orgs["debt"]),
            "role": "consulted",
            "basis": "statutory_task",
            "basisReference": "x",
            "since": "2026-01-01",
        },
    ).json()
    first = world.debt.post(path, json=entry, headers={"Idempotency-Key": key})
    assert first.status_code == 201
    assert world.debt.post(path, json=entry, headers={"Idempotency-Key": key}).headers["Idempotent-Replayed"] == "true"
    ended = world.coordinator.patch(
        f"/v1/cases/{story.case['id']}/involvements/{joined['id']}",
        json={"until": "2026-02-01"},
        headers={"If-Match": '"1"'},
    )
    assert ended.status_code == 200, ended.text
    again = world.debt.post(path, json=entry, headers={"Idempotency-Key": key})
    assert again.status_code == 404 and "Idempotent-Replayed" not in again.headers


def test_an_erasure_empties_the_stored_answers(world: World, auditor: Caller) -> None:
    signal = register_signal(world.housing, world)
    body = _registration({"id": signal["householdId"]}, teamId=world.team["id"])
    world.coordinator.post("/v1/signals", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})

    def stored() -> int:
        async def count(session: Any) -> int:
            statement = select(func.count()).where(IdempotencyRecord.household_id == uuid.UUID(signal["householdId"]))
            return int((await session.exec(statement)).one())

        return run_async(world.api.database_url, count)

    assert stored() == 1
    for open_signal in world.coordinator.get("/v1/signals", params={"householdId": signal["householdId"]}).json()[
        "items"
    ]:
        world.coordinator.act(f"/v1/signals/{open_signal['id']}/decline", json={"reason": "Dubbel."})
    erased = auditor.post(f"/v1/households/{signal['householdId']}/erasures", json={"requestReference": "AVG-1"})
    assert erased.status_code == 201, erased.text
    assert stored() == 0


# --- 6. the smaller doors -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded(api: Api) -> Iterator[httpx.Client]:
    """A second API process, limited as a deployment behind a known proxy would be."""
    settings = api.settings.model_copy(
        update={
            "token_rate_limit_per_minute": 100,
            "token_rate_limit_per_address_per_minute": 4,
            "token_rate_limit_overall_per_minute": 1_000_000,
            "trusted_proxies": ["192.0.2.1"],
        }
    )
    with Server(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


WRONG = "not-the-secret"


def _token(http: httpx.Client, client_id: str, secret: str = WRONG, **headers: str) -> int:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return http.post("/v1/oauth/token", data=form, headers=headers).status_code


def test_rotating_client_ids_is_limited_per_address(guarded: httpx.Client) -> None:
    statuses = [_token(guarded, f"made-up-{n}") for n in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    # A forged X-Forwarded-For from a peer that is no trusted proxy changes nothing.
    assert _token(guarded, "made-up-x", **{"X-Forwarded-For": "203.0.113.7"}) == 429


def test_the_token_endpoint_has_a_limit_over_all_callers(api: Api, world: World) -> None:
    settings = api.settings.model_copy(update={"token_rate_limit_overall_per_minute": 3})
    with Server(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        statuses = [_token(http, f"made-up-{n}", **{"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert _token(http, world.housing.client_id, world.housing.secret) == 429


def test_a_forwarded_address_is_believed_from_a_configured_proxy_only(
    world: World, story: Story, auditor: Caller
) -> None:
    case_id = story.case["id"]
    assert world.ggz.get(f"/v1/cases/{case_id}", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    entry = next(e for e in _log(auditor, caseId=case_id) if e["organisationId"] == str(world.orgs["ggz"]))
    assert entry["sourceAddress"] == "127.0.0.1"


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
        "https://[2002:a00:1::1]/hook",  # 6to4 of 10.0.0.1
        "https://[::a00:1]/hook",  # IPv4-compatible 10.0.0.1
        "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped
        "https://[2001::1]/hook",  # Teredo
        "https://8.8.8.8:8443/hook",  # a public address on another port
        "https://user:pass@8.8.8.8/hook",
        "http://8.8.8.8/hook",
    ],
)
def test_callbacks_that_reach_inside_are_refused(world: World, url: str) -> None:
    response = world.debt.post("/v1/webhooks", json={"url": url, "eventTypes": ["nl.wijkregistratie.plan.updated"]})
    assert response.status_code == 400 and response.json()["invalidParams"][0]["name"] == "url"


def test_the_callback_is_sent_to_the_very_address_that_was_checked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that resolves to a public address when checked and to a private one a moment later (DNS
    rebinding) is sent to the checked address, with the name in Host and as TLS server name."""
    answers = iter(["93.184.216.34", "10.0.0.1"])

    async def rebinding(host: str, port: int, **_kwargs: Any) -> list[Any]:
        return [(0, 0, 0, "", (next(answers), port))]

    loop = asyncio.new_event_loop()
    monkeypatch.setattr(loop, "getaddrinfo", rebinding)
    target = loop.run_until_complete(callbacks.resolve("https://hooks.partner.example/in?x=1", world.api.settings))
    loop.close()
    assert target.url == "https://93.184.216.34:443/in?x=1"
    assert target.headers == {"host": "hooks.partner.example"}
    assert target.extensions == {"sni_hostname": "hooks.partner.example"}
    assert not callbacks.is_public(ipaddress.ip_address("64:ff9b::a00:1"))


def test_if_match_takes_only_a_strong_tag_of_the_resource(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}/close"
    for tag in ("*", f"W/{story.etag}", '"999"'):
        refused = world.ggz.post(path, json={"reason": "goal_reached", "handledBy": "team"}, headers={"If-Match": tag})
        assert refused.status_code == 412, tag
    assert (
        world.ggz.post(
            path, json={"reason": "goal_reached", "handledBy": "team"}, headers={"If-Match": story.etag}
        ).status_code
        == 200
    )


def test_the_docs_load_nothing_from_elsewhere(api: Api) -> None:
    page = api.http.get("/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "http" not in page.text.replace("http-equiv", "")
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/docs/start.js"):
        assert api.http.get(asset).status_code == 200, asset
    assert api.http.get("/docs/assets/../../settings.py").status_code == 404
