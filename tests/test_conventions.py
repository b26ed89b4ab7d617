"""The conventions every partner relies on: versions, errors, paging, health and metrics."""

import re
import uuid
from typing import Any

from tests.conftest import Story, World, open_case, register_signal
from wijkregistratie.main import create_app


def test_every_response_carries_the_api_version(world: World) -> None:
    http = world.api.http
    responses = [
        world.housing.get("/v1/signals"),
        http.get("/v1/signals"),
        http.get("/v1/no-such-thing"),
        world.housing.get("/v1/cases", params={"limit": 0}),
        http.get("/health/live"),
    ]
    assert {r.headers["API-Version"] for r in responses} == {"1.0.0"}
    assert [r.status_code for r in responses] == [200, 401, 404, 400, 200]


def test_errors_are_problem_details(world: World) -> None:
    for response, status in [
        (world.api.http.get("/v1/no-such-thing"), 404),
        (world.api.http.delete("/v1/signals"), 405),
        (world.housing.get("/v1/cases/not-a-uuid"), 400),
    ]:
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert {"type", "title", "status", "detail", "instance"} <= set(body)
        assert body["status"] == status
        assert "Traceback" not in response.text
    invalid = world.housing.get("/v1/cases/not-a-uuid").json()
    assert invalid["invalidParams"][0]["name"] == "caseId"


def test_security_headers(world: World) -> None:
    response = world.housing.get("/v1/cases")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_pages_have_a_hard_maximum_and_reject_foreign_cursors(world: World) -> None:
    too_big = world.housing.get("/v1/signals", params={"limit": 101})
    assert too_big.status_code == 400 and too_big.json()["invalidParams"][0]["name"] == "limit"
    forged = world.housing.get("/v1/signals", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert forged.status_code == 400 and forged.json()["invalidParams"][0]["name"] == "cursor"


def test_paging_walks_every_item_once_in_a_stable_order(world: World) -> None:
    for _ in range(5):
        register_signal(world.housing, world)
    walked: list[str] = []
    cursor = None
    while True:
        page = world.housing.get("/v1/signals", params={"limit": 3} | ({"cursor": cursor} if cursor else {})).json()
        walked += [s["id"] for s in page["items"]]
        cursor = page.get("nextCursor")
        if not cursor:
            break
    assert len(walked) == len(set(walked)) >= 5
    stamps = [(s["registeredAt"], s["id"]) for s in (world.housing.get(f"/v1/signals/{i}").json() for i in walked)]
    assert stamps == sorted(stamps)


def test_filters_narrow_lists(world: World, story: Story) -> None:
    listed = world.coordinator.get("/v1/cases", params={"householdId": story.signal["householdId"]}).json()
    assert [c["id"] for c in listed["items"]] == [story.case["id"]]
    active = world.coordinator.get("/v1/cases", params={"status": "active", "limit": 100}).json()["items"]
    assert all(c["status"] == "active" for c in active)
    fresh = register_signal(world.housing, world)
    assert open_case(world.coordinator, fresh).status_code == 201
    registered = world.coordinator.get("/v1/cases", params={"status": "registered", "limit": 100}).json()["items"]
    assert story.case["id"] not in [c["id"] for c in registered]
    assert world.coordinator.get("/v1/cases", params={"status": "dormant"}).status_code == 400


def test_health_and_readiness(world: World) -> None:
    assert world.api.http.get("/health/live").json() == {"status": "up"}
    ready = world.api.http.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["database"] == "up"


def test_metrics_count_by_route_template_without_ids(world: World, story: Story) -> None:
    world.ggz.get(f"/v1/cases/{story.case['id']}")
    metrics = world.api.http.get("/metrics").text
    assert 'route="/v1/cases/{caseId}"' in metrics
    assert "wijkregistratie_http_request_duration_seconds_bucket" in metrics
    uuid_pattern = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    assert not uuid_pattern.search(metrics)


def test_method_not_allowed_names_every_method_of_the_address(world: World, story: Story) -> None:
    listed = world.api.http.delete("/v1/cases")
    assert listed.status_code == 405 and listed.headers["Allow"] == "GET, POST"
    one = world.api.http.delete(f"/v1/cases/{story.case['id']}/plan")
    assert one.status_code == 405 and one.headers["Allow"] == "GET, PUT"
    # A literal address is not read as an id of the template beside it.
    search = world.ggz.get("/v1/households/search")
    assert search.status_code == 405 and search.headers["Allow"] == "POST"


def test_a_nul_character_is_refused_not_a_server_error(world: World, story: Story) -> None:
    note = {"kind": "note", "occurredAt": "2026-03-05T10:00:00+01:00", "text": "x", "participants": ["a\u0000b"]}
    refused = world.ggz.post(f"/v1/cases/{story.case['id']}/journal", json=note)
    assert refused.status_code == 400, refused.text
    assert [p["name"] for p in refused.json()["invalidParams"]] == ["participants"]
    # Outside a body, where no model looks at it, the database's refusal is answered as bad input too.
    searched = world.ggz.get("/v1/cases", params={"reference": "a\u0000b"})
    assert searched.status_code in (200, 400), searched.text


def _example_path(path: str, operation: dict[str, Any]) -> str:
    """The operation's address with each path parameter filled in with a value of its type."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "path":
            continue
        schema = parameter["schema"]
        value = {"uuid": str(uuid.uuid4())}.get(
            schema.get("format", ""), "1" if schema.get("type") == "integer" else ""
        )
        value = value or ("GM0599" if parameter["name"] == "code" else "x")
        path = path.replace("{" + parameter["name"] + "}", value)
    return f"/v1{path}"


def test_an_unknown_query_parameter_is_refused_by_every_operation(world: World) -> None:
    """Derived from each route's declared parameters: a misspelt filter never returns an unfiltered list."""
    paths = create_app().openapi()["paths"]
    checked = 0
    for path, item in paths.items():
        for method, operation in item.items():
            address = _example_path(path, operation)
            for caller in (world.api.http, world.coordinator):
                response = caller.request(method.upper(), address, params={"leadProfesionalId": "1"})
                assert response.status_code == 400, (method, path, response.text)
                assert response.json()["invalidParams"][0]["name"] == "leadProfesionalId", (method, path)
            checked += 1
    assert checked == sum(len(item) for item in paths.values()) > 90
    listed = world.coordinator.get("/v1/cases", params={"leadProfessionalId": world.professionals["ggz"]["id"]})
    assert listed.status_code == 200  # the parameter it does declare
