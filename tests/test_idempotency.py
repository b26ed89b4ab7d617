"""Idempotency-Key: a retried POST gets the first answer and changes nothing twice."""

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from tests.conftest import Caller, Server, World, new_address, new_member, run_async, settings_for_tests
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.database import REQUEST_STATE
from wijkregistratie.core.idempotency import request_fingerprint
from wijkregistratie.core.models import IdempotencyRecord


def _signal_body(world: World) -> dict[str, Any]:
    return {
        "household": {"address": new_address(), "members": [new_member()]},
        "teamId": world.team["id"],
        "source": "school",
        "lifeDomains": ["finances"],
        "description": "Zorgen over de huur.",
        "residentAware": True,
    }


def _post(caller: Caller, body: Any, key: str) -> httpx.Response:
    content = json.dumps(body).encode()
    return caller.post(
        "/v1/signals", content=content, headers={"Idempotency-Key": key, "Content-Type": "application/json"}
    )


def _feed_mentions(caller: Caller, signal_id: str) -> int:
    after, count = "0", 0
    while page := caller.get("/v1/events", params={"after": after, "limit": 500}).json():
        if not page["items"]:
            return count
        count += sum(1 for e in page["items"] if e["subject"] == f"signals/{signal_id}")
        after = page["nextCursor"]
    return count


def test_a_retry_gets_the_first_answer_and_changes_nothing(world: World) -> None:
    body, key = _signal_body(world), str(uuid.uuid4())
    first = _post(world.housing, body, key)
    assert first.status_code == 201, first.text
    again = _post(world.housing, body, key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert _feed_mentions(world.housing, first.json()["id"]) == 1  # one signal, one event


def test_the_same_key_for_another_request_is_refused(world: World) -> None:
    key = str(uuid.uuid4())
    assert _post(world.housing, _signal_body(world), key).status_code == 201
    other = _post(world.housing, _signal_body(world), key)
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"].endswith("idempotency-key-reused")


def test_keys_belong_to_one_client(world: World) -> None:
    body, key = _signal_body(world), str(uuid.uuid4())
    mine = _post(world.housing, body, key)
    theirs = _post(world.ggz, body, key)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_a_refused_request_frees_its_key(world: World) -> None:
    key = str(uuid.uuid4())
    wrong = _signal_body(world) | {"source": "astrology"}
    assert _post(world.housing, wrong, key).status_code == 400
    assert _post(world.housing, _signal_body(world), key).status_code == 201


def _reserve(world: World, caller: Caller, key: str, body: Any, state: str, age: timedelta) -> None:
    record = IdempotencyRecord(
        client_id=caller.client_id,
        key=key,
        request_hash=request_fingerprint("POST", "/v1/signals", b"", json.dumps(body).encode()),
        state=state,
        created_at=utcnow() - age,
    )

    async def store(session: Any) -> None:
        session.add(record)

    run_async(world.api.database_url, store)


def test_a_key_still_in_progress_answers_409(world: World) -> None:
    body, key = _signal_body(world), str(uuid.uuid4())
    _reserve(world, world.housing, key, body, "in_progress", timedelta(seconds=1))
    busy = _post(world.housing, body, key)
    assert busy.status_code == 409
    assert "still being processed" in busy.json()["detail"]


def test_a_request_that_died_before_committing_may_be_retried(world: World) -> None:
    body, key = _signal_body(world), str(uuid.uuid4())
    _reserve(world, world.housing, key, body, "in_progress", timedelta(minutes=5))
    assert _post(world.housing, body, key).status_code == 201
    assert _post(world.housing, body, key).headers["Idempotent-Replayed"] == "true"


def test_a_committed_request_whose_answer_was_lost_is_not_run_again(world: World) -> None:
    body, key = _signal_body(world), str(uuid.uuid4())
    _reserve(world, world.housing, key, body, "committed", timedelta(seconds=1))
    lost = _post(world.housing, body, key)
    assert lost.status_code == 409
    assert "answer was lost" in lost.json()["detail"]


class DownAfterTheCommit:
    """A sessionmaker that stops giving sessions once a request's unit of work has committed, as if the
    process died, or its database went away, in the moment after the commit."""

    def __init__(self, sessionmaker: Any) -> None:
        self.sessionmaker, self.down = sessionmaker, False

    def __call__(self) -> Any:
        if self.down:
            raise ConnectionRefusedError("the database went away after the commit")
        session = self.sessionmaker()

        @event.listens_for(session.sync_session, "after_commit")
        def _went_down(orm_session: OrmSession) -> None:
            self.down = self.down or REQUEST_STATE in orm_session.info

        return session


def test_an_answer_is_kept_with_its_change(world: World) -> None:
    """Nothing the answer needs happens after the commit: a retry after a crash right after it replays the
    answer, instead of learning only that the change was made."""
    body, key = _signal_body(world), str(uuid.uuid4())
    with Server(settings_for_tests(world.api.database_url)) as server, httpx.Client(base_url=server.url) as http:
        caller = Caller(http, world.housing.client_id, world.housing.secret, world.housing.organisation_id)
        caller.token()
        application: Any = server.server.config.app
        broken = application.state.sessionmaker = DownAfterTheCommit(application.state.sessionmaker)
        first = _post(caller, body, key)
        assert broken.down, "the request's unit of work committed"
        application.state.sessionmaker = broken.sessionmaker  # the process has come back
        again = _post(caller, body, key)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]


def test_a_malformed_key_is_refused(world: World) -> None:
    for key in ("x" * 256, "met spatie"):
        response = _post(world.housing, _signal_body(world), key)
        assert response.status_code == 400, key
        assert response.headers["content-type"] == "application/problem+json"


def test_every_authenticated_post_documents_the_key(world: World) -> None:
    document = world.api.http.get("/openapi.json").json()
    posts = [op for item in document["paths"].values() for m, op in item.items() if m == "post" and op.get("security")]
    # A search is a POST only to keep its terms out of the URL: it changes nothing, so it takes no key.
    searches = [op for op in posts if op["operationId"].startswith("search_")]
    assert [op["operationId"] for op in searches] == ["search_households_v1_households_search_post"]
    assert all("Idempotency-Key" not in [p["name"] for p in op["parameters"]] for op in searches)
    posts = [op for op in posts if op not in searches]
    assert posts
    for operation in posts:
        names = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert "Idempotency-Key" in names, operation["operationId"]
        assert {"409", "422"} <= set(operation["responses"]), operation["operationId"]
