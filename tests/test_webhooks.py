"""Webhooks: signed, in order, retried, dead-lettered, switched off on 410, and never into a private network."""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text, update

from tests.conftest import FIRST_VERSION, Caller, World, free_port, open_case, register_signal, run_async
from tests.receiver import Receiver
from tests.test_need_to_know import OWNED_ROUTES
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.database import CHANGES_CHANNEL
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import feed_end
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
        await session.exec(update(Subscription).values(retry_at=_past()))

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


def test_a_receiver_failing_past_the_retry_window_is_suspended_with_all_it_had_waiting(
    world: World, receiver: Receiver
) -> None:
    subscription = _subscribe(world.debt, receiver.url)
    path = f"/v1/webhooks/{subscription['id']}"
    start = world.debt.get("/v1/events", params={"after": "0", "limit": 500}).json()["nextCursor"]
    case_id = _case_of(world.debt, world)
    for version in (1, 2, 3):
        _plan(world.debt, case_id, version)
    receiver.answers = [500, 500]
    _work(world)
    failing = world.debt.get(path).json()
    assert failing["status"] == "active" and failing["failures"] == 1 and failing["retryAt"] > failing["createdAt"]
    _age_waiting(world, world.api.settings.webhook_retry_window_seconds + 1)
    _due_now(world)
    _work(world)  # still failing, and its oldest delivery waited longer than the window
    suspended = world.debt.get(path).json()
    assert suspended["status"] == "suspended" and "retry window" in suspended["disabledReason"]
    deliveries = world.debt.get(f"{path}/deliveries").json()
    assert [d["state"] for d in deliveries] == ["dead"] * 3
    told = world.debt.get("/v1/events", params={"after": start, "limit": 500}).json()["items"]
    [stopped] = [e for e in told if e["type"] == EventType.webhook_stopped]
    assert stopped["data"] == {
        "subscriptionId": subscription["id"],
        "status": "suspended",
        "reason": suspended["disabledReason"],
        "deadLettered": 3,
    }
    assert EventType.webhook_stopped not in str(world.ggz.get("/v1/events", params={"after": start}).json())
    on = world.debt.patch(path, json={"status": "active"}, headers={"If-Match": f'"{suspended["version"]}"'})
    assert on.status_code == 200 and on.json()["failures"] == 0 and on.json()["retryAt"] is None
    for dead in reversed(deliveries):
        again = world.debt.post(f"{path}/deliveries/{dead['id']}/redeliveries")
        assert again.status_code == 202 and again.json()["state"] == "pending"
    _work(world)
    assert [json.loads(r.body)["data"]["version"] for r in receiver.received] == [1, 2, 3]
    assert [d["state"] for d in world.debt.get(f"{path}/deliveries").json()] == ["delivered"] * 3


def _age_waiting(world: World, seconds: float) -> None:
    """Make every waiting delivery older, instead of retrying through the whole window."""

    async def age(session: Any) -> None:
        then = utcnow() - timedelta(seconds=seconds)
        await session.exec(update(Delivery).where(Delivery.state == "pending").values(created_at=then))

    run_async(world.api.database_url, age)


def test_410_gone_switches_the_subscription_off_and_dead_letters_what_waits(world: World, receiver: Receiver) -> None:
    subscription = _subscribe(world.debt, receiver.url)
    case_id = _case_of(world.debt, world)
    _plan(world.debt, case_id, 1)
    _plan(world.debt, case_id, 2)
    receiver.answers = [410]
    _work(world)
    switched = world.debt.get(f"/v1/webhooks/{subscription['id']}")
    assert switched.json()["status"] == "disabled" and "410" in switched.json()["disabledReason"]
    deliveries = world.debt.get(f"/v1/webhooks/{subscription['id']}/deliveries").json()
    assert [d["state"] for d in deliveries] == ["dead", "dead"]
    on = world.debt.patch(
        f"/v1/webhooks/{subscription['id']}", json={"status": "active"}, headers={"If-Match": switched.headers["ETag"]}
    )
    assert on.status_code == 200 and on.json()["status"] == "active"


def test_only_what_the_organisation_may_see_is_sent_and_an_idle_cursor_moves_on(
    world: World, receiver: Receiver
) -> None:
    subscription = _subscribe(world.outsider, receiver.url, [])
    _plan(world.debt, _case_of(world.debt, world), 1)
    _work(world)
    assert receiver.received == []

    async def cursor_and_end(session: Any) -> tuple[int, int]:
        cursor = (await session.get(Subscription, uuid.UUID(subscription["id"]))).cursor
        return cursor, await feed_end(session)

    cursor, end = run_async(world.api.database_url, cursor_and_end)
    assert cursor == end  # past what it may not see: the next round does not read it again


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


def test_a_slow_receiver_and_a_dead_one_do_not_delay_a_healthy_one(world: World, receiver: Receiver) -> None:
    """A worker process delivers to three subscriptions: a healthy one, one whose receiver takes 3 s to
    answer, and one whose receiver is gone. The healthy one's delay stays what it was alone, and the gone
    one is suspended once the (here short) retry window is over, all its deliveries dead-lettered at once."""
    healthy = receiver
    env = os.environ | {
        "DATABASE_URL": world.api.database_url,
        "WR_ENVIRONMENT": "test",
        "WR_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "WR_WEBHOOK_TIMEOUT_SECONDS": "5",
        "WR_WEBHOOK_ROUND_SECONDS": "2",
        "WR_WEBHOOK_RETRY_WINDOW_SECONDS": "3",
        "WR_WORKER_POLL_SECONDS": "0.2",
        "WR_WORKER_METRICS_PORT": "0",
        "WR_WORKER_FIGURES_EVERY_SECONDS": "0",
    }
    _subscribe(world.debt, healthy.url)
    case_id = _case_of(world.debt, world)
    written = 0

    def changes(count: int) -> list[float]:
        """Write `count` plan versions and return the healthy receiver's delay for each, in seconds."""
        nonlocal written
        first = written
        for _ in range(count):
            written += 1
            _plan(world.debt, case_id, written)
            time.sleep(0.05)
        _wait_for(lambda: len(healthy.received) >= written, 30, "the healthy receiver to have every change")
        return [_delay(r) for r in healthy.received[first:written]]

    worker = subprocess.Popen([sys.executable, "-m", "wijkregistratie.cli", "worker"], env=env)
    try:
        changes(1)  # the worker is up
        alone = changes(20)
        with Receiver() as slow:
            slow.delay = 3.0
            slow_subscription = _subscribe(world.debt, slow.url)
            gone = _subscribe(world.debt, f"http://127.0.0.1:{free_port()}/hook")
            beside = changes(20)
            assert _p99(beside) <= _p99(alone) + 0.5, (alone, beside)
            _wait_for(
                lambda: world.debt.get(f"/v1/webhooks/{gone['id']}").json()["status"] == "suspended",
                30,
                "the gone receiver's subscription to be suspended",
            )
            deliveries = world.debt.get(f"/v1/webhooks/{gone['id']}/deliveries").json()
            assert [d["state"] for d in deliveries] == ["dead"] * 20
            assert len({d["lastError"] for d in deliveries}) == 2  # the head's own reason, and "with its subscription"
            assert slow.received  # slow, not stopped: it gets its changes at its own pace
            assert world.debt.get(f"/v1/webhooks/{slow_subscription['id']}").json()["status"] == "active"
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0


def _delay(received: Any) -> float:
    event = json.loads(received.body)
    return float(received.at - datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp())


def _p99(delays: list[float]) -> float:
    return sorted(delays)[max(0, round(len(delays) * 0.99) - 1)]


def _wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_a_commit_wakes_the_worker_and_a_lost_listener_comes_back(world: World, receiver: Receiver) -> None:
    """On PostgreSQL, with a poll of a minute, only the commit's NOTIFY can bring a change out within a
    second; after the listening connection is cut, the worker listens again and catches up on what it
    missed. SQLite has no NOTIFY: there the poll brings it."""
    postgresql = world.api.backend == "postgresql"
    env = os.environ | {
        "DATABASE_URL": world.api.database_url,
        "WR_ENVIRONMENT": "test",
        "WR_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "WR_WORKER_POLL_SECONDS": "60" if postgresql else "0.5",
        "WR_WORKER_METRICS_PORT": "0",
        "WR_WORKER_FIGURES_EVERY_SECONDS": "0",
    }
    _subscribe(world.debt, receiver.url)
    case_id = _case_of(world.debt, world)
    worker = subprocess.Popen([sys.executable, "-m", "wijkregistratie.cli", "worker"], env=env)
    try:
        if postgresql:
            _wait_for(lambda: _listeners(world) == 1, 30, "the worker to listen")
        _plan(world.debt, case_id, 1)
        _wait_for(lambda: len(receiver.received) == 1, 30, "the change to be pushed")
        if not postgresql:
            return
        assert _delay(receiver.received[0]) < 1
        run_async(world.api.database_url, _cut_listeners)
        _plan(world.debt, case_id, 2)  # while nobody listens
        _wait_for(lambda: len(receiver.received) == 2, 20, "the worker to listen again and catch up")
        _wait_for(lambda: _listeners(world) == 1, 5, "the worker to listen again")
        _plan(world.debt, case_id, 3)
        _wait_for(lambda: len(receiver.received) == 3, 5, "the change to be pushed at its commit again")
        assert _delay(receiver.received[2]) < 1
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0


LISTENERS = text("SELECT pid FROM pg_stat_activity WHERE query = :listen AND datname = current_database()").bindparams(
    listen=f'LISTEN "{CHANGES_CHANNEL}"'
)


def _listeners(world: World) -> int:
    async def count(session: Any) -> int:
        return len((await session.exec(LISTENERS)).all())

    return int(run_async(world.api.database_url, count))


async def _cut_listeners(session: Any) -> None:
    for (pid,) in (await session.exec(LISTENERS)).all():
        await session.exec(text("SELECT pg_terminate_backend(:pid)").bindparams(pid=pid))
