"""Webhooks: signed, in order, retried, dead-lettered, switched off on 410, and never into a private network."""

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from tests.conftest import FIRST_VERSION, Caller, World, open_case, register_signal, run_async
from tests.receiver import Receiver
from tests.test_need_to_know import OWNED_ROUTES
from wijkregistratie.core.clock import utcnow
from wijkregistratie.events.codes import EventType
from wijkregistratie.webhooks.delivery import BACKOFF
from wijkregistratie.webhooks.models import Delivery, Subscription
from wijkregistratie.worker.runner import Worker

PLAN = {"goals": [{"lifeDomain": "finances", "iWant": "Rust", "result": "Geen schulden"}]}


def _work(world: World) -> None:
    """One round of a real worker against the test database."""

    async def once() -> None:
        worker = Worker(world.api.settings)
        try:
            await worker.run_once()
        finally:
            await worker.close()

    asyncio.run(once())


def _due_now(world: World) -> None:
    """Bring every waiting retry forward, instead of sleeping through the backoff."""

    async def bring_forward(session: Any) -> None:
        await session.exec(update(Delivery).where(Delivery.state == "pending").values(next_attempt_at=_past()))

    run_async(world.api.database_url, bring_forward)


def _past() -> datetime:
    return utcnow() - timedelta(seconds=1)


@pytest.fixture
def receiver(world: World) -> Iterator[Receiver]:
    with Receiver() as running:
        yield running

    async def switch_off(session: Any) -> None:  # so no later test's receiver hears from this one's
        await session.exec(update(Subscription).values(status="disabled"))

    run_async(world.api.database_url, switch_off)


def _case_of(caller: Caller, world: World) -> str:
    return str(open_case(caller, register_signal(caller, world)).json()["id"])


def _subscribe(caller: Caller, url: str, types: list[str] | None = None) -> dict[str, Any]:
    response = caller.post("/v1/webhooks", json={"url": url, "eventTypes": types or [EventType.plan_updated]})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _plan(caller: Caller, case_id: str, version: int) -> None:
    headers = {"If-Match": f'"{version - 1}"'} if version > 1 else FIRST_VERSION
    response = caller.put(f"/v1/cases/{case_id}/plan", json=PLAN, headers=headers)
    assert response.status_code == 200, response.text


def test_events_arrive_signed_and_in_order(world: World, receiver: Receiver) -> None:
    subscription = _subscribe(world.debt, receiver.url)
    assert subscription["secret"].startswith("whsec_")
    case_id = _case_of(world.debt, world)
    for version in (1, 2, 3):
        _plan(world.debt, case_id, version)
    _work(world)
    assert [json.loads(r.body)["data"]["version"] for r in receiver.received] == [1, 2, 3]
    first = receiver.received[0]
    event = json.loads(first.body)
    assert event["type"] == EventType.plan_updated and event["specversion"] == "1.0"
    assert first.headers["webhook-id"] == event["id"]
    key = base64.b64decode(subscription["secret"].removeprefix("whsec_"))
    signed = f"{first.headers['webhook-id']}.{first.headers['webhook-timestamp']}.".encode() + first.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert first.headers["webhook-signature"] == f"v1,{expected}"
    log = world.debt.get(f"/v1/webhooks/{subscription['id']}/deliveries").json()
    assert [d["state"] for d in log] == ["delivered"] * 3 and all(d["attempts"] == 1 for d in log)
    assert "secret" not in world.debt.get(f"/v1/webhooks/{subscription['id']}").json()


def test_a_failing_receiver_is_retried_in_order_and_catches_up(world: World, receiver: Receiver) -> None:
    subscription = _subscribe(world.debt, receiver.url)
    case_id = _case_of(world.debt, world)
    _plan(world.debt, case_id, 1)
    _plan(world.debt, case_id, 2)
    receiver.answers = [500, 503]
    _work(world)
    assert receiver.received == []  # the first failed, so the second waited behind it
    head = world.debt.get(f"/v1/webhooks/{subscription['id']}/deliveries").json()[-1]
    assert head["state"] == "pending" and head["attempts"] == 1 and head["lastStatus"] == 500
    assert head["nextAttemptAt"] > head["createdAt"]
    _work(world)  # not due yet: nothing is tried
    assert receiver.answers == [503]
    _due_now(world)
    _work(world)  # 503
    _due_now(world)
    _work(world)
    assert [json.loads(r.body)["data"]["version"] for r in receiver.received] == [1, 2]


def test_a_delivery_is_dead_lettered_after_the_last_try_and_can_be_sent_again(world: World, receiver: Receiver) -> None:
    subscription = _subscribe(world.debt, receiver.url)
    case_id = _case_of(world.debt, world)
    _plan(world.debt, case_id, 1)
    receiver.answers = [500] * (len(BACKOFF) + 1)
    for _ in range(len(BACKOFF) + 1):
        _work(world)
        _due_now(world)
    [dead] = world.debt.get(f"/v1/webhooks/{subscription['id']}/deliveries").json()
    assert dead["state"] == "dead" and dead["attempts"] == len(BACKOFF) + 1
    again = world.debt.post(f"/v1/webhooks/{subscription['id']}/deliveries/{dead['id']}/redeliveries")
    assert again.status_code == 202 and again.json()["state"] == "pending"
    _work(world)
    assert len(receiver.received) == 1
    assert world.debt.get(f"/v1/webhooks/{subscription['id']}/deliveries").json()[0]["state"] == "delivered"


def test_410_gone_switches_the_subscription_off(world: World, receiver: Receiver) -> None:
    subscription = _subscribe(world.debt, receiver.url)
    _plan(world.debt, _case_of(world.debt, world), 1)
    receiver.answers = [410]
    _work(world)
    switched = world.debt.get(f"/v1/webhooks/{subscription['id']}")
    assert switched.json()["status"] == "disabled" and "410" in switched.json()["disabledReason"]
    on = world.debt.patch(
        f"/v1/webhooks/{subscription['id']}", json={"status": "active"}, headers={"If-Match": switched.headers["ETag"]}
    )
    assert on.status_code == 200 and on.json()["status"] == "active"


def test_only_what_the_organisation_may_see_is_sent(world: World, receiver: Receiver) -> None:
    _subscribe(world.outsider, receiver.url, [])
    _plan(world.debt, _case_of(world.debt, world), 1)
    _work(world)
    assert receiver.received == []


@pytest.mark.parametrize(
    "url",
    [
        "http://partner.example/hook",  # not https
        "https://10.0.0.8/hook",
        "https://192.168.1.20/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/hook",
        "https://[::1]/hook",
        "ftp://partner.example/hook",
        "not a url",
    ],
)
def test_callbacks_into_private_networks_are_refused(world: World, url: str) -> None:
    response = world.debt.post("/v1/webhooks", json={"url": url})
    assert response.status_code == 400, response.text
    assert response.json()["invalidParams"][0]["name"] == "url"


def test_a_subscription_is_its_organisations_own(world: World, receiver: Receiver) -> None:
    subscription = _subscribe(world.debt, receiver.url)
    _plan(world.debt, _case_of(world.debt, world), 1)
    _work(world)
    [delivery] = world.debt.get(f"/v1/webhooks/{subscription['id']}/deliveries").json()
    paths = {
        ("GET", "/v1/webhooks/{webhookId}"): ({}, f"/v1/webhooks/{subscription['id']}"),
        ("PATCH", "/v1/webhooks/{webhookId}"): (
            {"json": {"status": "disabled"}, "headers": {"If-Match": '"1"'}},
            f"/v1/webhooks/{subscription['id']}",
        ),
        ("GET", "/v1/webhooks/{webhookId}/deliveries"): ({}, f"/v1/webhooks/{subscription['id']}/deliveries"),
        ("POST", "/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliveries"): (
            {},
            f"/v1/webhooks/{subscription['id']}/deliveries/{delivery['id']}/redeliveries",
        ),
    }
    assert set(paths) == OWNED_ROUTES
    for (method, _), (options, path) in paths.items():
        for caller in (world.ggz, world.outsider, world.coordinator):
            assert caller.request(method, path, **options).status_code == 404, (method, path)
    assert subscription["id"] not in str(world.ggz.get("/v1/webhooks").json())
    assert world.debt.get(f"/v1/webhooks/{subscription['id']}").json()["status"] == "active"


def test_an_unknown_event_type_is_named_not_a_server_error(world: World, receiver: Receiver) -> None:
    subscription = _subscribe(world.debt, receiver.url)
    etag = world.debt.get(f"/v1/webhooks/{subscription['id']}").headers["ETag"]
    # The reason lists every known type: longer than a reason may be, so it is clipped, not a 500.
    changed = world.debt.patch(
        f"/v1/webhooks/{subscription['id']}", json={"eventTypes": ["AAA"]}, headers={"If-Match": etag}
    )
    assert changed.status_code == 400, changed.text
    (problem,) = changed.json()["invalidParams"]
    assert problem["name"] == "eventTypes[0]" and len(problem["reason"]) <= 500
