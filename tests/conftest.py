"""Fixtures: a real server on loopback per database, and a fresh world of organisations per test.

Every test that takes `api` runs twice: against SQLite and against PostgreSQL. Each run of the
suite creates its own PostgreSQL database, builds it with the migrations, and drops it after.
"""

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.adapters.base import RoundResult, run_round
from wijkregistratie.adapters.kinds import build, partners
from wijkregistratie.auth.service import create_client
from wijkregistratie.core.database import create_engine, create_sessionmaker, engine_of
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.migrate import upgrade
from wijkregistratie.core.settings import Settings
from wijkregistratie.main import create_app
from wijkregistratie.municipalities.schemas import MunicipalityCreate
from wijkregistratie.municipalities.service import create_municipality
from wijkregistratie.organisations.schemas import OrganisationCreate
from wijkregistratie.organisations.service import create_organisation

T = TypeVar("T")

# Everything the application logs during the run is kept here and swept for personal data at the end.
# One log per test process (pytest-xdist names its workers gw0, gw1, ...).
_PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "main")
RUN_LOG = Path(__file__).resolve().parents[1] / "test-output" / f"test-run-{_PROCESS}.log"
# Personal data the tests send: names, an address, free text about a household. BSNs are added as made.
PERSONAL_VALUES = {"Jansen", "Anouk", "Teststraat", "Huurachterstand", "Schulden; betalingsregeling nodig."}
SENT_BSNS: set[str] = set()


def leaked(log_text: str, values: set[str]) -> list[str]:
    return sorted(value for value in values if value in log_text)


@pytest.fixture(scope="session", autouse=True)
def swept_log() -> Iterator[None]:
    """Keep everything the application logs during the run, and fail the run if personal data is in it."""
    RUN_LOG.parent.mkdir(exist_ok=True)
    RUN_LOG.write_text("", encoding="utf-8")
    # Appending: uvicorn's logging setup closes existing handlers, and only an appending one reopens.
    handler = logging.FileHandler(RUN_LOG, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)  # records propagate here at the level each logger has
    yield
    handler.flush()
    root.removeHandler(handler)
    handler.close()
    found = leaked(RUN_LOG.read_text(encoding="utf-8"), PERSONAL_VALUES | SENT_BSNS)
    assert not found, f"personal data in the application's log ({RUN_LOG.name}): {found}"


POSTGRES_SERVER_URL = os.environ.get("WR_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgresql"]


def run_async(database_url: str, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(session)` in a session of its own and commit it: for setting up what the API cannot."""

    async def main() -> T:
        engine = create_engine(database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(main())


# How the first version of a plan is written: only if there is none yet.
FIRST_VERSION = {"If-None-Match": "*"}

# The figures client the dashboard's development sign-in acts as.
DASHBOARD_CLIENT = "test-beleid"
# The municipality every test world lives in (Rotterdam's CBS code; the areas below are within it).
MUNICIPALITY = "GM0599"


def migrated(database_url: str) -> None:
    """The schema, and the municipality the tests' teams and figures clients belong to."""
    upgrade(database_url)
    run_async(database_url, lambda s: create_municipality(s, MunicipalityCreate(code=MUNICIPALITY, name="Rotterdam")))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The application (or another ASGI application) under uvicorn on a loopback port, in a thread."""

    def __init__(self, app: Settings | Any) -> None:
        self.port = free_port()
        application = create_app(app) if isinstance(app, Settings) else app
        config = uvicorn.Config(
            application, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", proxy_headers=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def _create_postgres_database(name: str) -> None:
    engine = create_async_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


async def _drop_postgres_database(name: str) -> None:
    engine = create_async_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


class Caller:
    """An HTTP client acting as one API client, fetching (and renewing) its own access token."""

    def __init__(self, http: httpx.Client, client_id: str, secret: str, organisation_id: uuid.UUID) -> None:
        self.http = http
        self.client_id = client_id
        self.secret = secret
        self.organisation_id = organisation_id
        self._token: tuple[str, float] | None = None

    def token(self, **form: str) -> str:
        if form or self._token is None or time.monotonic() - self._token[1] > 600:
            response = self.http.post(
                "/v1/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.secret,
                }
                | form,
            )
            assert response.status_code == 200, response.text
            if form:
                return str(response.json()["access_token"])
            self._token = (response.json()["access_token"], time.monotonic())
        return self._token[0]

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        # Every read of personal data states its purpose; a test that wants none overrides it.
        headers = {"Authorization": f"Bearer {self.token()}", "Purpose-Of-Use": "care"} | kwargs.pop("headers", {})
        return self.http.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def act(self, path: str, **kwargs: Any) -> httpx.Response:
        """POST an action on a versioned resource (the address without its last step) naming, in
        `If-Match`, the version this caller reads of it — as a partner system does."""
        current = self.get(path.rsplit("/", 1)[0])
        headers = {"If-Match": current.headers["ETag"]} if "ETag" in current.headers else {}
        return self.post(path, headers=headers | kwargs.pop("headers", {}), **kwargs)


@dataclass
class Api:
    backend: str
    url: str
    database_url: str
    settings: Settings
    http: httpx.Client
    callers: dict[str, Caller] = field(default_factory=dict)

    def new_organisation(self, name: str, kind: str = "social_work") -> uuid.UUID:
        data = OrganisationCreate(name=name, kind=kind, contact_name=f"Contact {name}", contact_phone="010-1234567")
        return run_async(self.database_url, lambda s: create_organisation(s, data)).id

    def new_caller(
        self,
        organisation_id: uuid.UUID,
        scopes: list[str],
        coordinates: list[uuid.UUID] | None = None,
        client_id: str | None = None,
    ) -> Caller:
        client, secret = run_async(
            self.database_url,
            lambda s: create_client(
                s,
                organisation_id,
                "test client",
                scopes,
                coordinates or [],
                client_id=client_id,
                municipality_code=MUNICIPALITY if "figures:read" in scopes else None,
            ),
        )
        return Caller(self.http, client.client_id, secret, organisation_id)


def settings_for_tests(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        token_lifetime_seconds=900,
        max_body_bytes=200_000,
        max_attachment_bytes=300_000,
        rate_limit_per_minute=1_000_000,  # limits have their own tests, on a server of their own
        token_rate_limit_per_minute=1_000_000,
        token_rate_limit_per_address_per_minute=1_000_000,
        token_rate_limit_overall_per_minute=1_000_000,
        signal_rate_limit_per_minute=1_000_000,
        webhook_allowed_hosts="127.0.0.1",  # the tests' partner receivers listen on loopback
        webhook_timeout_seconds=2,
        worker_figures_every_seconds=0,
        dashboard_development_client=DASHBOARD_CLIENT,
    )


@contextmanager
def empty_database(backend: str, directory: Path) -> Iterator[str]:
    """A database of its own, without schema; a PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / f'{uuid.uuid4().hex}.db'}"
        return
    name = f"wr_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_create_postgres_database(name))
    try:
        yield POSTGRES_SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_drop_postgres_database(name))


@pytest.fixture(scope="session", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    backend = request.param
    with empty_database(backend, tmp_path_factory.mktemp(backend)) as database_url:
        migrated(database_url)
        settings = settings_for_tests(database_url)
        with Server(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
            yield Api(backend, server.url, database_url, settings, http)


@pytest.fixture(scope="session", params=BACKENDS)
def service_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service tier's database: migrated once per test process and database kind."""
    backend = request.param
    with empty_database(backend, tmp_path_factory.mktemp(f"service-{backend}")) as database_url:
        migrated(database_url)
        yield database_url


RolledBack = Callable[[Callable[[Any], Awaitable[T]]], T]


@pytest.fixture
def rolled_back(service_database: str) -> RolledBack[Any]:
    """Run `work(session)` in a transaction that is rolled back afterwards, whatever the work wrote."""

    def run(work: Callable[[Any], Awaitable[T]]) -> T:
        async def main() -> T:
            engine = create_engine(service_database)
            try:
                async with engine.connect() as connection:
                    transaction = await connection.begin()
                    session = AsyncSession(bind=connection, expire_on_commit=False)
                    try:
                        return await work(session)
                    finally:
                        await session.close()
                        await transaction.rollback()
            finally:
                await engine.dispose()

        return asyncio.run(main())

    return run


@dataclass
class World:
    """Two teams and the organisations around them, with a caller for each role."""

    api: Api
    team: dict[str, Any]
    other_team: dict[str, Any]
    orgs: dict[str, uuid.UUID]
    professionals: dict[str, dict[str, Any]]
    housing: Caller
    ggz: Caller
    debt: Caller
    outsider: Caller
    coordinator: Caller
    other_coordinator: Caller
    municipality: Caller
    admin: Caller
    stranger: Caller  # an organisation in no team


@pytest.fixture(scope="session")
def world(api: Api) -> World:
    suffix = uuid.uuid4().hex[:6]
    orgs = {
        role: api.new_organisation(f"{role} {suffix}", kind)
        for role, kind in [
            ("housing", "housing_corporation"),
            ("ggz", "mental_health_care"),
            ("debt", "debt_assistance"),
            ("outsider", "youth_care"),
            ("social", "social_work"),
            ("municipality", "municipality"),
        ]
    }
    admin = api.new_caller(orgs["municipality"], ["admin"])
    team = admin.post(
        "/v1/teams",
        json={
            "name": f"Buurtteam Noord {suffix}",
            "municipalityCode": "GM0599",
            "areaCodes": ["WK059901"],
            "organisationIds": [str(o) for o in orgs.values()],
        },
    ).json()
    other_team = admin.post(
        "/v1/teams",
        json={"name": f"Buurtteam West {suffix}", "municipalityCode": "GM0599", "areaCodes": ["BU05990201"]},
    ).json()
    professionals = {}
    for role, team_id in [
        ("ggz", team["id"]),
        ("debt", team["id"]),
        ("social", team["id"]),
        ("outsider", other_team["id"]),
    ]:
        response = admin.post(
            "/v1/professionals",
            json={
                "organisationId": str(orgs[role]),
                "name": f"Professional {role}",
                "phone": "06-12345678",
                "email": f"{role}@example.org",
                "expertise": ["finances"] if role == "debt" else ["mental_health"],
                "teamIds": [team_id],
            },
        )
        assert response.status_code == 201, response.text
        professionals[role] = response.json()
    write = ["record:read", "record:write"]
    return World(
        api=api,
        team=team,
        other_team=other_team,
        orgs=orgs,
        professionals=professionals,
        housing=api.new_caller(orgs["housing"], write),
        ggz=api.new_caller(orgs["ggz"], write),
        debt=api.new_caller(orgs["debt"], write),
        outsider=api.new_caller(orgs["outsider"], write),
        coordinator=api.new_caller(orgs["social"], [*write, "bsn:read"], [uuid.UUID(team["id"])]),
        other_coordinator=api.new_caller(orgs["outsider"], write, [uuid.UUID(other_team["id"])]),
        municipality=api.new_caller(orgs["municipality"], ["figures:read"], client_id=DASHBOARD_CLIENT),
        admin=admin,
        stranger=api.new_caller(api.new_organisation(f"stranger {suffix}", "other"), write),
    )


_address_counter = iter(range(1, 10**6))


def new_address(buurt_code: str = "BU05990101") -> dict[str, Any]:
    """An address no other test uses, in the first team's area by default."""
    number = next(_address_counter)
    return {
        "postcode": f"{1000 + (uuid.uuid4().int % 8999)}AB",
        "houseNumber": number,
        "houseNumberAddition": uuid.uuid4().hex[:4].upper(),
        "street": "Teststraat",
        "city": "Rotterdam",
        "buurtCode": buurt_code,
    }


def new_member(**overrides: Any) -> dict[str, Any]:
    return {
        "givenNames": "Anouk",
        "surname": "Jansen",
        "dateOfBirth": "1986-04-17",
        "role": "applicant",
    } | overrides


def register_signal(caller: Caller, world: World, **overrides: Any) -> dict[str, Any]:
    body = {
        "household": {"address": new_address(), "members": [new_member()]},
        "teamId": world.team["id"],
        "source": "housing_corporation",
        "lifeDomains": ["finances", "housing"],
        "description": "Huurachterstand van drie maanden.",
        "residentAware": True,
    } | overrides
    response = caller.post("/v1/signals", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def accept_signal(caller: Caller, signal_id: str) -> str:
    """The coordinator takes a signal up from the queue; the id of the case it joined or opened."""
    etag = caller.get(f"/v1/signals/{signal_id}").headers["ETag"]
    accepted = caller.post(f"/v1/signals/{signal_id}/accept", json={}, headers={"If-Match": etag})
    assert accepted.status_code == 200, accepted.text
    return str(accepted.json()["caseId"])


def involve(caller: Caller, case_id: str, organisation_id: Any) -> dict[str, Any]:
    """`organisation_id` joins the case to carry out part of the plan, on a statutory task."""
    body = {"organisationId": str(organisation_id), "role": "carries_out", "basis": "statutory_task"}
    joined = caller.post(f"/v1/cases/{case_id}/involvements", json=body | {"basisReference": "Wmo 2015"})
    assert joined.status_code == 201, joined.text
    return dict(joined.json())


def open_case(caller: Caller, signal: dict[str, Any], **overrides: Any) -> httpx.Response:
    body = {
        "householdId": signal["householdId"],
        "signalIds": [signal["id"]],
        "basis": "statutory_task",
        "basisReference": "Wmo 2015 art. 2.3.2",
    } | overrides
    return caller.post("/v1/cases", json=body)


@dataclass
class Story:
    """A household known to the team: signal by the housing corporation, case opened by GGZ, GGZ leads."""

    signal: dict[str, Any]
    case: dict[str, Any]
    etag: str
    address: dict[str, Any]

    def address_reference(self) -> dict[str, Any]:
        return {k: self.address[k] for k in ("postcode", "houseNumber", "houseNumberAddition")}


@pytest.fixture
def story(world: World) -> Story:
    address = new_address()
    signal = register_signal(world.housing, world, household={"address": address, "members": [new_member()]})
    opened = open_case(world.coordinator, signal)
    assert opened.status_code == 201, opened.text
    case = opened.json()
    ggz_join = world.coordinator.post(
        f"/v1/cases/{case['id']}/involvements",
        json={
            "organisationId": str(world.orgs["ggz"]),
            "role": "carries_out",
            "basis": "statutory_task",
            "basisReference": "Wmo 2015",
        },
    )
    assert ggz_join.status_code == 201, ggz_join.text
    lead = world.coordinator.put(
        f"/v1/cases/{case['id']}/lead-professional",
        json={"professionalId": world.professionals["ggz"]["id"]},
        headers={"If-Match": opened.headers["ETag"]},
    )
    assert lead.status_code == 200, lead.text
    return Story(signal=signal, case=case, etag=lead.headers["ETag"], address=address)


def worker_rounds(world: World, partners_file: Path, rounds: int = 1) -> None:
    """Rounds of a real worker, keeping the partners of `partners_file` in step with the test database."""
    from wijkregistratie.worker.runner import Worker

    settings = world.api.settings.model_copy(update={"adapters_file": str(partners_file)})

    async def run() -> None:
        worker = Worker(settings)
        try:
            for _ in range(rounds):
                await worker.run_once()
        finally:
            await worker.close()

    asyncio.run(run())


def adapter_round(world: World, partners_file: Path) -> RoundResult:
    """One round of the one partner of `partners_file`, to read what it says of itself (a failure)."""
    [(partner, mapping)] = partners(str(partners_file))

    async def run() -> RoundResult:
        engine = engine_of(world.api.settings)
        try:
            async with httpx.AsyncClient() as http:
                adapter = build(partner, mapping, BsnVault(world.api.settings), http)
                return await run_round(create_sessionmaker(engine), adapter)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def worker_env(world: World, partners_file: Path) -> dict[str, str]:
    """The environment of a worker process keeping the partners of `partners_file` in step."""
    return os.environ | {
        "DATABASE_URL": world.api.database_url,
        "WR_ENVIRONMENT": "test",
        "WR_ADAPTERS_FILE": str(partners_file),
        "WR_WORKER_POLL_SECONDS": "0.1",
        "WR_WORKER_METRICS_PORT": "0",
        "WR_WORKER_FIGURES_EVERY_SECONDS": "0",
    }


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
