"""A zaaksysteem for the tests: the Zaken API 1.5.1 on loopback, every request and every answer checked
against the official contract (`../shared/standards/zgw/zaken-api-1.5.1.yaml`, with openapi-core).

A request the contract refuses — a missing or wrongly typed field, but also a field or query parameter
the standard does not have — is answered 400 with ZGW's `invalidParams` and kept in `violations`; an answer
of its own that the contract refuses is kept there too. So a test that finds `violations` empty knows the
adapter used nothing but the standard. It checks the ZGW JWT (HS256, a secret per client id) as a
zaaksysteem does, holds a small catalogue (one zaaktype with its statustypen, roltypen and resultaattype),
closes a zaak when its eindstatus is set, and refuses to change a closed one. `outage` answers 503 to
that many requests, `garbled` answers them with something that is not JSON, and `delay` slows every answer.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jose import JWTError, jwt
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

CONTRACT = Path(__file__).resolve().parents[2] / "shared" / "standards" / "zgw" / "zaken-api-1.5.1.yaml"
ROOT = "/zaken/api/v1"
CATALOGUE = "https://catalogi.gemeente.test/catalogi/api/v1"
ZAAKTYPE = f"{CATALOGUE}/zaaktypen/0f4c8d52-1c3a-4a52-9b3a-7a0d1c4a1001"
WMO_ZAAKTYPE = f"{CATALOGUE}/zaaktypen/0f4c8d52-1c3a-4a52-9b3a-7a0d1c4a1002"
STATUSTYPEN = {  # url: (volgnummer, zaaktype); the highest volgnummer of a zaaktype is its eindstatus
    f"{CATALOGUE}/statustypen/1": (1, ZAAKTYPE),
    f"{CATALOGUE}/statustypen/2": (2, ZAAKTYPE),
    f"{CATALOGUE}/statustypen/3": (3, ZAAKTYPE),
    f"{CATALOGUE}/statustypen/11": (1, WMO_ZAAKTYPE),
}
ROLTYPEN = {  # url: (omschrijving, omschrijvingGeneriek)
    f"{CATALOGUE}/roltypen/regisseur": ("Regisseur", "zaakcoordinator"),
    f"{CATALOGUE}/roltypen/betrokkene": ("Betrokken organisatie", "belanghebbende"),
    f"{CATALOGUE}/roltypen/aanvrager": ("Aanvrager", "initiator"),
}
RESULTAATTYPEN = {f"{CATALOGUE}/resultaattypen/afgerond", f"{CATALOGUE}/resultaattypen/verwezen"}
FORMATS = {"uri": lambda v: v.startswith(("http://", "https://")), "email": lambda v: "@" in v}


@cache
def _contract() -> tuple[OpenAPI, dict[str, Any]]:
    document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    document["servers"] = [{"url": ROOT}]
    config = Config(
        extra_format_validators=FORMATS,
        extra_format_unmarshallers={name: str for name in FORMATS},
        extra_media_type_deserializers={"application/problem+json": json.loads},
    )
    return OpenAPI.from_dict(document, config=config), document


@dataclass
class ZaakSysteem:
    secrets: dict[str, str]  # client id: secret
    page_size: int = 2  # small, so that the adapter has to follow `next`
    outage: int = 0
    garbled: int = 0
    delay: float = 0.0  # seconds each answer takes
    resources: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {"zaken": {}, "rollen": {}, "statussen": {}, "resultaten": {}}
    )
    violations: list[str] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, resource): the operations used
    base: str = ""  # the URL it is reached at, set once it serves
    # Its own series of zaak numbers, as each zaaksysteem has (two in one test run never share a number).
    series: str = field(default_factory=lambda: uuid.uuid4().hex[:6].upper())

    def zaken(self) -> list[dict[str, Any]]:
        return list(self.resources["zaken"].values())

    def of(self, kind: str, zaak: dict[str, Any]) -> list[dict[str, Any]]:
        return [r for r in self.resources[kind].values() if r["zaak"] == zaak["url"]]


def token(client_id: str, secret: str, issued: float | None = None) -> str:
    claims = {"iss": client_id, "iat": int(issued or time.time()), "client_id": client_id, "user_id": "test"}
    return jwt.encode(claims, secret, algorithm="HS256")


def _problem(status: int, code: str, title: str, invalid: Sequence[tuple[str, str, str]] = ()) -> dict[str, Any]:
    problem: dict[str, Any] = {
        "type": f"https://zaken.gemeente.test/ref/fouten/{code}/",
        "code": code,
        "title": title,
        "status": status,
        "detail": title,
        "instance": f"urn:uuid:{uuid.uuid4()}",
    }
    if status == 400:
        problem["invalidParams"] = [{"name": n, "code": c, "reason": r} for n, c, r in invalid]
    return problem


def _invalid(name: str, code: str, reason: str) -> tuple[int, dict[str, Any]]:
    return 400, _problem(400, "invalid", "Invalid input.", [(name, code, reason)])


def _known_fields(document: dict[str, Any], schema: dict[str, Any], value: Any, at: str) -> list[str]:
    """Fields of `value` that its schema does not have (openapi-core lets them through)."""
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if isinstance(value, list) and "items" in schema:
        return [u for i, item in enumerate(value) for u in _known_fields(document, schema["items"], item, f"{at}.{i}")]
    if not isinstance(value, dict):
        return []
    discriminator = schema.get("discriminator")
    if discriminator and value.get(discriminator["propertyName"]) in discriminator.get("mapping", {}):
        target = discriminator["mapping"][value[discriminator["propertyName"]]]
        chosen = document["components"]["schemas"][target.rsplit("/", 1)[-1]]
        parts = [p for p in chosen.get("allOf", [chosen]) if p.get("$ref") != "#/components/schemas/Rol"]
        schema = {"allOf": [{k: v for k, v in schema.items() if k != "discriminator"}, *parts]}
    properties: dict[str, Any] = {}
    for part in schema.get("allOf", [schema]):
        while "$ref" in part:
            part = document["components"]["schemas"][part["$ref"].rsplit("/", 1)[-1]]
        properties |= part.get("properties", {})
    unknown = [f"{at}.{name}".lstrip(".") for name in value if name not in properties]
    for name, item in value.items():
        if name in properties and item is not None:
            unknown += _known_fields(document, properties[name], item, f"{at}.{name}")
    return unknown


def create_zaaksysteem(state: ZaakSysteem) -> Starlette:
    async def handle(request: Request) -> Response:
        spec, document = _contract()
        body = await request.body()
        state.base = f"{request.url.scheme}://{request.url.netloc}{ROOT}"
        checked = MockRequest(
            f"{request.url.scheme}://{request.url.netloc}",
            request.method.lower(),
            request.url.path,
            headers=dict(request.headers),
            args=dict(request.query_params),
            data=body or None,
            content_type=request.headers.get("content-type", "application/json"),
        )
        if state.delay:
            await asyncio.sleep(state.delay)
        if state.outage > 0:
            state.outage -= 1
            return _json(_problem(503, "unavailable", "Even niet beschikbaar"), 503)
        if state.garbled > 0:
            state.garbled -= 1
            return Response("<html>Onderhoud</html>", 200, media_type="text/html")
        refused = _refused_token(state, request.headers.get("authorization", ""))
        if refused:
            return _json(_problem(403, "not_authenticated", refused), 403)
        status, answer = _check_request(spec, document, checked, request, body)
        if answer is not None:
            said = "; ".join(f"{p['name']}: {p['reason']}" for p in answer["invalidParams"])
            state.violations.append(f"request {request.method} {request.url.path}: {said}")
        else:
            status, answer = _answer(state, request.method, request.url.path.removeprefix(ROOT), request, body)
        response = _json(answer, status) if answer is not None else Response(status_code=status)
        if status < 500:
            verdict = spec.unmarshal_response(
                checked,
                MockResponse(
                    response.body or b"", status_code=status, content_type=response.media_type, headers=_crs()
                ),
            )
            state.violations += [f"answer {request.method} {request.url.path}: {_said(e)}" for e in verdict.errors]
        return response

    return Starlette(routes=[Route(ROOT + "/{path:path}", handle, methods=["GET", "POST", "PATCH", "DELETE"])])


def _refused_token(state: ZaakSysteem, header: str) -> str | None:
    raw = header.removeprefix("Bearer ").strip()
    try:
        client_id = jwt.get_unverified_claims(raw).get("client_id", "")
        secret = state.secrets[client_id]
        claims = jwt.decode(raw, secret, algorithms=["HS256"], options={"require_iat": True})
    except (JWTError, KeyError, AttributeError):
        return "Ongeldige JWT of onbekende client"
    if abs(time.time() - float(claims["iat"])) > 3600:
        return "De JWT is verlopen"
    return None


def _check_request(
    spec: OpenAPI, document: dict[str, Any], checked: MockRequest, request: Request, body: bytes
) -> tuple[int, dict[str, Any] | None]:
    verdict = spec.unmarshal_request(checked)
    invalid = [("request", "invalid", _said(e)) for e in verdict.errors]
    operation = _operation(document, request.method, request.url.path.removeprefix(ROOT))
    if operation is not None:
        allowed = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        invalid += [
            (name, "unknown-parameters", "Onbekende parameter") for name in request.query_params if name not in allowed
        ]
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if content and body:
            schema = content["schema"]
            if request.method == "PATCH":
                schema = {"$ref": schema["$ref"].replace("Patched", "")} if "$ref" in schema else schema
            invalid += [
                (name, "unknown-field", "Dit veld bestaat niet")
                for name in _known_fields(document, schema, json.loads(body), "")
            ]
    if invalid:
        return 400, _problem(400, "invalid", "Invalid input.", invalid)
    return 200, None


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    parts = path.strip("/").split("/")
    for template, item in document["paths"].items():
        names = template.strip("/").split("/")
        if len(names) == len(parts) and all(n.startswith("{") or n == p for n, p in zip(names, parts, strict=True)):
            return item.get(method.lower())
    return None


def _said(error: Exception) -> str:
    cause = error.__cause__
    details = getattr(cause, "schema_errors", None) or ([cause] if cause else [])
    return "; ".join(str(getattr(d, "message", d)) for d in details)[:300] or type(error).__name__


def _answer(state: ZaakSysteem, method: str, path: str, request: Request, body: bytes) -> tuple[int, Any]:
    parts = path.strip("/").split("/")
    kind = parts[0]
    state.calls.append((method, kind if len(parts) == 1 else f"{kind}/{{uuid}}"))
    data = json.loads(body) if body else {}
    store = state.resources.get(kind)
    if store is None:
        return 404, _problem(404, "not_found", "Niet gevonden")
    if len(parts) == 1 and method == "GET":
        return 200, _page(state, request, [r for r in store.values() if _matches(r, request.query_params)])
    if len(parts) == 1 and method == "POST":
        return _create(state, kind, data)
    found = store.get(parts[1])
    if found is None:
        return 404, _problem(404, "not_found", "Niet gevonden")
    if method == "GET":
        return 200, found
    zaak = found if kind == "zaken" else _zaak_of(state, found["zaak"])
    if zaak and zaak["einddatum"]:
        return 403, _problem(403, "permission_denied", "De zaak is afgesloten")
    if method == "DELETE":
        del store[parts[1]]
        if kind == "rollen" and zaak:
            zaak["rollen"].remove(found["url"])
        return 204, None
    found |= data  # PATCH of a zaak
    return 200, found


def _matches(resource: dict[str, Any], query: Any) -> bool:
    for name, value in query.items():
        if name == "page":
            continue
        if name == "registratiedatum__gt":
            if not resource.get("registratiedatum") or resource["registratiedatum"] <= value:
                return False
        elif str(resource.get(name)) != value:
            return False
    return True


def _page(state: ZaakSysteem, request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
    page = int(request.query_params.get("page", "1"))
    chosen = items[(page - 1) * state.page_size : page * state.page_size]
    following = None
    if page * state.page_size < len(items):
        query = dict(request.query_params) | {"page": str(page + 1)}
        following = str(request.url.replace_query_params(**query))
    return {"count": len(items), "next": following, "previous": None, "results": chosen}


def _zaak_of(state: ZaakSysteem, url: str) -> dict[str, Any] | None:
    return state.resources["zaken"].get(url.rsplit("/", 1)[-1])


def _create(state: ZaakSysteem, kind: str, data: dict[str, Any]) -> tuple[int, Any]:
    key = str(uuid.uuid4())
    made: dict[str, Any] = data | {"url": f"{state.base}/{kind}/{key}", "uuid": key}
    zaak = None if kind == "zaken" else _zaak_of(state, data.get("zaak", ""))
    if kind != "zaken" and zaak is None:
        return _invalid("zaak", "bad-url", "De zaak bestaat niet")
    if zaak is not None and zaak["einddatum"]:
        return 403, _problem(403, "permission_denied", "De zaak is afgesloten")
    if kind == "zaken":
        if data["zaaktype"] not in (ZAAKTYPE, WMO_ZAAKTYPE):
            return _invalid("zaaktype", "bad-url", "Onbekend zaaktype")
        named = (data.get("identificatie"), data["bronorganisatie"])
        if named[0] and any((z["identificatie"], z["bronorganisatie"]) == named for z in state.zaken()):
            return _invalid("identificatie", "identificatie-niet-uniek", "Bestaat al")
        made = {
            "identificatie": f"ZAAK-{state.series}-{len(state.zaken()) + 1:06d}",
            "registratiedatum": date.today().isoformat(),
            "betalingsindicatieWeergave": "",
            "deelzaken": [],
            "eigenschappen": [],
            "einddatum": None,
            "resultaat": None,
            "rollen": [],
            "status": None,
            "zaakinformatieobjecten": [],
            "zaakobjecten": [],
            "kenmerken": [],
        } | made
    elif kind == "rollen":
        if data["roltype"] not in ROLTYPEN:
            return _invalid("roltype", "bad-url", "Onbekend roltype")
        omschrijving, generiek = ROLTYPEN[data["roltype"]]
        made |= {"omschrijving": omschrijving, "omschrijvingGeneriek": generiek, "statussen": []}
        made |= {"registratiedatum": datetime.now(UTC).isoformat(), "roltoelichting": data.get("roltoelichting", "")}
        zaak["rollen"].append(made["url"])
    elif kind == "statussen":
        volgnummer, zaaktype = STATUSTYPEN.get(data["statustype"], (0, ""))
        if zaaktype != zaak["zaaktype"]:
            return _invalid("statustype", "zaaktype-mismatch", "Ander zaaktype")
        last = max(n for n, t in STATUSTYPEN.values() if t == zaaktype)
        if volgnummer == last and not zaak["resultaat"]:
            return _invalid("statustype", "resultaat-does-not-exist", "Geen resultaat")
        made |= {"indicatieLaatstGezetteStatus": True, "zaakinformatieobjecten": []}
        for earlier in state.of("statussen", zaak):
            earlier["indicatieLaatstGezetteStatus"] = False
        zaak["status"] = made["url"]
        if volgnummer == last:
            zaak["einddatum"] = data["datumStatusGezet"][:10]
    elif kind == "resultaten":
        if data["resultaattype"] not in RESULTAATTYPEN:
            return _invalid("resultaattype", "bad-url", "Onbekend")
        zaak["resultaat"] = made["url"]
    state.resources[kind][key] = made
    return 201, made


def _crs() -> dict[str, str]:
    return {"Content-Crs": "EPSG:4326"}


def _json(value: Any, status: int) -> Response:
    media = "application/problem+json" if status >= 400 else "application/json"
    return Response(json.dumps(value), status, media_type=media, headers=_crs())
