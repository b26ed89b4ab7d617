"""The contract: the committed OpenAPI document is the code's, complete for every operation."""

import json
from pathlib import Path
from typing import Any

import pytest

from wijkregistratie.main import create_app

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_committed_document_is_the_codes(document: dict[str, Any]) -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == document, "openapi/openapi.json is stale: run `make openapi` and commit it"


def test_the_document_names_version_servers_and_contact(document: dict[str, Any]) -> None:
    assert document["info"]["version"] == "1.0.0"
    assert document["servers"][0]["url"] == "/v1"
    assert {"name", "url", "email"} <= set(document["info"]["contact"])


def test_every_operation_is_documented_with_its_errors(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        where = f"{method.upper()} {path}"
        assert operation.get("summary") and operation.get("description"), where
        responses = operation["responses"]
        # Validation errors answer 400; 422 means only a reused Idempotency-Key, on a POST.
        assert "422" not in responses or "idempotency-key-reused" in json.dumps(responses["422"]), where
        assert "500" in responses, where
        if operation.get("parameters") or "requestBody" in operation:
            assert "400" in responses, where
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                content = response["content"]
                assert list(content) == ["application/problem+json"], where
                assert content["application/problem+json"]["example"]["status"] == int(status), where
            else:
                assert "API-Version" in response["headers"], where


def test_every_request_body_has_an_example(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for method, path, operation in _operations(document):
        if "requestBody" not in operation:
            continue
        media = next(iter(operation["requestBody"]["content"].values()))
        name = media["schema"]["$ref"].rsplit("/", 1)[-1]
        assert schemas[name].get("examples") or media.get("example"), f"{method.upper()} {path}: no example"


def test_a_bsn_never_travels_in_a_url(document: dict[str, Any]) -> None:
    for _method, path, operation in _operations(document):
        assert "bsn" not in path.lower()
        for parameter in operation.get("parameters", []):
            assert "bsn" not in parameter["name"].lower(), path


def _unbounded(node: Any, where: str) -> list[str]:
    """Strings without a maximum length and arrays without a maximum size, anywhere below a schema."""
    if not isinstance(node, dict):
        return []
    types = node.get("type") if isinstance(node.get("type"), list) else [node.get("type")]
    found = []
    # Enumerations, patterns and formats bound a string by their form; a file's size is the upload limit.
    bounded_by_form = (
        "enum" in node
        or "pattern" in node
        or "contentMediaType" in node
        or node.get("format") in {"uuid", "date", "date-time", "binary"}
    )
    if "string" in types and "maxLength" not in node and not bounded_by_form:
        found.append(where)
    if "array" in types and "maxItems" not in node:
        found.append(where)
    for name, child in node.get("properties", {}).items():
        found += _unbounded(child, f"{where}.{name}")
    found += _unbounded(node.get("items"), f"{where}[]")
    for key in ("anyOf", "oneOf", "allOf"):
        for child in node.get(key, []):
            found += _unbounded(child, where)
    return found


def test_every_string_and_array_declares_its_limit(document: dict[str, Any]) -> None:
    unbounded = [p for name, schema in document["components"]["schemas"].items() for p in _unbounded(schema, name)]
    for method, path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            unbounded += _unbounded(parameter["schema"], f"{method.upper()} {path} {parameter['name']}")
    assert unbounded == []


def test_every_creation_says_where_and_every_version_has_its_etag(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status == "201":
                assert "Location" in response.get("headers", {}), f"{method.upper()} {path}"
            content = response.get("content", {}).get("application/json", {})
            reference = content.get("schema", {}).get("$ref", "")
            schema = schemas.get(reference.rsplit("/", 1)[-1], {})
            # A resource's version is a number, and its ETag (an instrument's version, `2017`, is a name).
            version = schema.get("properties", {}).get("version", {})
            if status in ("200", "201") and version.get("type") == "integer":
                assert "ETag" in response.get("headers", {}), f"{method.upper()} {path} answers a version"
