"""The OpenAPI document: generated from the code, then brought in line with the API Design Rules.

FastAPI writes the operations; this module adds what the Dutch API Design Rules and the
partners' integrators expect of every operation (the `API-Version` header, problem+json errors
with examples, 400 instead of 422) and serves the document relative to `/v1`.
"""

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from wijkregistratie import API_VERSION
from wijkregistratie.core.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_PREFIX, PROBLEMS, ProblemDetails
from wijkregistratie.core.purpose import PURPOSE_HEADER, Purpose
from wijkregistratie.core.routes import PERSONAL_EXTENSION, READS_EXTENSION

API_PREFIX = "/v1"

IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A key of your own (a UUID will do) that makes a retry safe: within 24 hours, the "
    "same key from the same client answers with the first answer (marked `Idempotent-Replayed: true`) "
    "instead of changing anything again. The same key with another request answers 422; while the "
    "first request is still running, 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    "example": "7b9d6c1e-2f4a-4c8e-9d51-0a6b3e2f1c47",
}


PURPOSE_OF_USE: dict[str, Any] = {
    "name": PURPOSE_HEADER,
    "in": "header",
    "required": True,
    "description": "Why you read this personal data; kept in the access log with who, when and from where. "
    "A read without it is refused (400).",
    "schema": {"type": "string", "enum": [p.value for p in Purpose]},
    "example": Purpose.care.value,
}


def _problem_example(status: int) -> dict[str, Any]:
    kind = PROBLEMS[status]
    example: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + kind.slug,
        "title": kind.title,
        "status": status,
        "detail": kind.example,
        "instance": "/v1/cases/0b8f6f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
    }
    if status == 400:
        example["invalidParams"] = [
            {
                "name": "household.address.postcode",
                "code": "value_error",
                "reason": "not a Dutch postcode (1234AB)",
            }
        ]
    return example


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": PROBLEMS[status].description,
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": "#/components/schemas/ProblemDetails"},
                "example": _problem_example(status),
            }
        },
    }


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error responses an operation documents, besides those every operation has."""
    return {status: _error_response(status) for status in statuses}


def _collapse_nullable(node: Any) -> Any:
    """`anyOf: [{type: string, format: date}, {type: null}]` -> `type: [string, null], format: date`.

    The same schema, said so that linters reading `format` on the property see it.
    """
    if isinstance(node, list):
        return [_collapse_nullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _collapse_nullable(v) for k, v in node.items()}
    options = node.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        other = next(o for o in options if o != {"type": "null"})
        if "$ref" not in other and isinstance(other.get("type"), str):
            del node["anyOf"]
            merged = {**other, **node}
            merged["type"] = [other["type"], "null"]
            return merged
    return node


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    methods = {"get", "put", "post", "delete", "patch"}
    return [
        (method, operation)
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in methods
    ]


LOCATION_HEADER: dict[str, Any] = {
    "description": "The address of what was created.",
    "schema": {"type": "string", "maxLength": 300, "examples": ["/v1/signals/5b0e7c4d-2f1a-4e8b-9c3d-7a6b5c4d3e2f"]},
}


def _complete_responses(document: dict[str, Any]) -> None:
    for method, operation in _operations(document):
        responses: dict[str, Any] = operation["responses"]
        responses.pop("422", None)
        wanted = {400, 500}  # 400 at least for a query parameter the operation does not declare
        if operation.get("security"):
            wanted |= {401, 403, 429}
        if "requestBody" in operation:
            wanted.add(413)
        if method == "post" and operation.get("security") and not operation.pop(READS_EXTENSION, False):
            # Every authenticated POST that changes something may be retried safely with an Idempotency-Key.
            operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            wanted |= {409, 422}
        for code in sorted(wanted):
            responses.setdefault(str(code), _error_response(code))
        for status, response in responses.items():
            if status.startswith(("2", "3")):
                headers = response.setdefault("headers", {})
                headers["API-Version"] = {"$ref": "#/components/headers/API-Version"}
            if status == "201":
                headers["Location"] = LOCATION_HEADER


def _document_purpose(document: dict[str, Any]) -> None:
    """Every read of personal data states its purpose (the access log keeps it). The routes say which serve
    personal data through an extension of their own, which the published document does not carry."""
    for method, operation in _operations(document):
        purposes = operation.pop(PERSONAL_EXTENSION, None)
        reads = method == "get" or operation.get(READS_EXTENSION, False)
        if purposes and reads and operation.get("security"):
            parameter = copy.deepcopy(PURPOSE_OF_USE)
            parameter["schema"]["enum"] = purposes
            parameter["example"] = purposes[0]
            operation.setdefault("parameters", []).append(parameter)


def _name_form_bodies(document: dict[str, Any]) -> None:
    """FastAPI names form bodies `Body_<function>_<path>_<method>`; give them PascalCase names instead."""
    schemas = document["components"]["schemas"]
    for _method, operation in _operations(document):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            reference = media.get("schema", {}).get("$ref", "")
            old = reference.rsplit("/", 1)[-1]
            if old.startswith("Body_") and old in schemas:
                new = "".join(part.title() for part in operation["operationId"].split("_v1_")[0].split("_")) + "Form"
                schemas[new] = schemas.pop(old) | {"title": new}
                media["schema"]["$ref"] = f"#/components/schemas/{new}"


# Text is stripped of surrounding white space before it is checked, so a required text needs a character
# that is not white space. The class lists what the validator strips (Unicode White_Space) one by one,
# because `\s` means a slightly different set in the contract's regex dialect.
NOT_ONLY_SPACE = r"[^\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def _say_text_is_stripped(node: Any) -> None:
    if isinstance(node, list):
        for child in node:
            _say_text_is_stripped(child)
        return
    if not isinstance(node, dict):
        return
    is_text = node.get("type") == "string" or "string" in (node.get("type") or [])
    if is_text and node.get("minLength", 0) >= 1 and "pattern" not in node and "format" not in node:
        node["pattern"] = NOT_ONLY_SPACE
    for child in node.values():
        _say_text_is_stripped(child)


def _link_items(document: dict[str, Any]) -> None:
    """OpenAPI links from a collection to its items: a page's first item, and what a POST created, can be
    read at `<collection>/{id}`. Clients and test generators can follow them instead of guessing ids."""
    paths: dict[str, Any] = document["paths"]
    schemas: dict[str, Any] = document["components"]["schemas"]
    for path, item in paths.items():
        for template, member in paths.items():
            parameter = template.removeprefix(path + "/")
            one_segment = parameter.startswith("{") and parameter.endswith("}") and "/" not in parameter
            if template == path or not one_segment or "get" not in member:
                continue
            name, read = parameter[1:-1], member["get"]["operationId"]
            listed = item.get("get", {}).get("responses", {}).get("200", {})
            reference = listed.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
            if "items" in schemas.get(reference.rsplit("/", 1)[-1], {}).get("properties", {}):
                listed["links"] = {
                    "firstItem": {"operationId": read, "parameters": {name: "$response.body#/items/0/id"}}
                }
            created = item.get("post", {}).get("responses", {}).get("201")
            if created is not None:
                made = created.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
                key = name if name in schemas.get(made.rsplit("/", 1)[-1], {}).get("properties", {}) else "id"
                created["links"] = {"created": {"operationId": read, "parameters": {name: f"$response.body#/{key}"}}}


def _link_references(document: dict[str, Any]) -> None:
    """Links from what a POST created to the things it names: a registered signal names its household, an
    opened case its household. A client (or a test generator trying another organisation's records) can
    follow them to the record an id points at."""
    paths: dict[str, Any] = document["paths"]
    schemas: dict[str, Any] = document["components"]["schemas"]
    readers = {
        template.rsplit("/", 1)[-1][1:-1]: item["get"]["operationId"]
        for template, item in paths.items()
        if "get" in item and template.count("{") == 1 and template.endswith("}")
    }
    for item in paths.values():
        created = item.get("post", {}).get("responses", {}).get("201")
        if created is None:
            continue
        reference = created.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
        properties = schemas.get(reference.rsplit("/", 1)[-1], {}).get("properties", {})
        linked = {link["operationId"] for link in created.get("links", {}).values()}
        for name in sorted(properties):
            if name in readers and readers[name] not in linked:
                link = {"operationId": readers[name], "parameters": {name: f"$response.body#/{name}"}}
                created.setdefault("links", {})[name.removesuffix("Id")] = link


def build_openapi(app: FastAPI) -> dict[str, Any]:
    raw = get_openapi(
        title=app.title,
        version=API_VERSION,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    document: dict[str, Any] = copy.deepcopy(raw)
    document["info"]["contact"] = {
        "name": "wijkregistratie maintainers",
        "url": "https://github.com/wijkregistratie",
        "email": "api@wijkregistratie.example",
    }
    document["info"]["license"] = {"name": "EUPL-1.2", "identifier": "EUPL-1.2"}
    # Paths are relative to the versioned base, so the major version lives in `servers`.
    document["servers"] = [{"url": API_PREFIX, "description": "This deployment, version 1 of the API."}]
    document["paths"] = {
        path.removeprefix(API_PREFIX): item for path, item in document["paths"].items() if path.startswith(API_PREFIX)
    }
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    problem_schema = ProblemDetails.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    schemas.update(problem_schema.pop("$defs", {}))
    schemas["ProblemDetails"] = problem_schema
    components["headers"] = {
        "API-Version": {
            "description": "The full semantic version of the API that answered.",
            "schema": {"type": "string", "examples": [API_VERSION]},
        }
    }
    _document_purpose(document)
    _complete_responses(document)
    _name_form_bodies(document)
    _link_items(document)
    _link_references(document)
    document = _collapse_nullable(document)
    _say_text_is_stripped(document["components"]["schemas"])
    return document


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
