"""Figures for the municipality: computed from the registration, protected, final once a month has ended,
and drawn on the dashboard.

The API registers what the figures count; the test then moves it into last month in the database (the API
stamps everything with now, and only ended months are published) and rebuilds the totals in full.
"""

import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import update

from tests.conftest import (
    Caller,
    Server,
    World,
    empty_database,
    free_port,
    new_member,
    run_async,
    settings_for_tests,
)
from wijkregistratie.cases.models import Case
from wijkregistratie.core.external_tokens import ExternalProvider
from wijkregistratie.core.migrate import upgrade
from wijkregistratie.demo.seed import seed_demo
from wijkregistratie.signals.models import Signal

TODAY = date.today()
LAST_MONTH = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)
PERIOD = f"{LAST_MONTH:%Y-%m}"
OUTPUT = Path(__file__).resolve().parents[1] / "test-output"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NOISE = 3


def _moment(day: int, hour: int = 10) -> datetime:
    return datetime(LAST_MONTH.year, LAST_MONTH.month, day, hour, tzinfo=UTC)


def move_into_last_month(world: World, team_id: str) -> None:
    """Signals registered on the 2nd, triaged and opened on the 3rd, closed on the 20th of last month."""

    async def move(session: Any) -> None:
        team = uuid.UUID(team_id)
        signals, cases = Signal.__table__, Case.__table__  # type: ignore[attr-defined]
        in_team = signals.c.team_id == team
        await session.exec(update(signals).where(in_team).values(registered_at=_moment(2)))
        triaged = in_team & signals.c.triaged_at.is_not(None)
        await session.exec(update(signals).where(triaged).values(triaged_at=_moment(3)))
        opened = cases.c.team_id == team
        await session.exec(update(cases).where(opened).values(opened_at=_moment(3), first_signal_at=_moment(2)))
        closed = opened & cases.c.closed_at.is_not(None)
        await session.exec(update(cases).where(closed).values(closed_at=_moment(20)))

    run_async(world.api.database_url, move)
    rebuilt = world.admin.post("/v1/figures/refreshes", params={"full": "true"})
    assert rebuilt.status_code == 201, rebuilt.text


@pytest.fixture(scope="module")
def area(world: World) -> dict[str, Any]:
    """A team of its own in district WK059940: thirteen signals from the housing corporation, nine cases
    of which three closed, and one signal from a school in a neighbourhood of its own."""
    team = world.admin.post(
        "/v1/teams",
        json={
            "name": "Buurtteam Cijfers",
            "municipalityCode": "GM0599",
            "areaCodes": ["WK059940"],
            "organisationIds": [str(world.orgs["housing"])],
        },
    ).json()
    coordinator = world.api.new_caller(world.orgs["housing"], ["record:read", "record:write"], [uuid.UUID(team["id"])])
    for number in range(13):
        signal = world.housing.post(
            "/v1/signals",
            json={
                "household": {
                    "address": {"postcode": "3050AB", "houseNumber": number + 1, "buurtCode": "BU05994001"},
                    "members": [new_member()],
                },
                "source": "housing_corporation",
                "lifeDomains": ["housing", "substance_use"] if number < 2 else ["housing"],
                "description": "Achterstand.",
                "residentAware": True,
            },
        ).json()
        if number < 9:
            opened = world.housing.post(
                "/v1/cases",
                json={
                    "householdId": signal["householdId"],
                    "signalIds": [signal["id"]],
                    "basis": "statutory_task",
                    "basisReference": "Wmo 2015",
                },
            )
            assert opened.status_code == 201
            if number < 3:
                closure = {"reason": "handled_by_team", "handledBy": "team"}
                closed = coordinator.act(f"/v1/cases/{opened.json()['id']}/close", json=closure)
                assert closed.status_code == 200, closed.text
    lone = world.housing.post(
        "/v1/signals",
        json={
            "household": {
                "address": {"postcode": "3050AC", "houseNumber": 1, "buurtCode": "BU05994099"},
                "members": [new_member()],
            },
            "teamId": team["id"],
            "source": "school",
            "lifeDomains": ["housing"],
            "description": "x",
            "residentAware": True,
        },
    )
    assert lone.status_code == 201
    move_into_last_month(world, team["id"])
    return team


def _figures(caller: Caller, headers: dict[str, str] | None = None, **params: Any) -> Any:
    return caller.get("/v1/figures", params={"period": PERIOD} | params, headers=headers or {})


def _indicator(figures: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for i in figures["indicators"] if i["code"] == code)


def _cell(indicator: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in indicator["cells"] if c["key"] == key)


def _near(cell: dict[str, Any], true_count: int) -> bool:
    return cell["status"] == "published" and abs(cell["value"] - true_count) <= NOISE


def test_counts_carry_bounded_noise_and_no_value_from_one_to_k(world: World, area: dict[str, Any]) -> None:
    response = _figures(world.municipality, teamId=area["id"])
    assert response.status_code == 200, response.text
    figures = response.json()
    by_source = _indicator(figures, "signals-by-source")
    assert _near(by_source["total"], 14) and by_source["total"]["label"] == "Totaal"
    assert _near(_cell(by_source, "housing_corporation"), 13)
    assert _cell(by_source, "school")["value"] in (0, 3, 4)  # a true 1 is never published as 1 or 2
    assert _cell(by_source, "police") == {"key": "police", "label": "Politie", "value": 0, "status": "published"}
    domains = _indicator(figures, "signals-by-life-domain")
    assert _cell(domains, "substance_use")["status"] == "secret"  # sensitive: published from 10 on
    assert _near(_cell(domains, "housing"), 14)
    cases = _indicator(figures, "cases")
    assert _near(_cell(cases, "opened"), 9) and _near(_cell(cases, "active_at_end"), 6)
    assert _near(_indicator(figures, "waiting-list")["total"], 5)  # 4 never taken up, and the school's
    assert figures["disclosure"] == {
        "method": "cell-key",
        "maxNoise": 3,
        "variance": 1.5,
        "notPublishedUpTo": 2,
        "sensitiveMinimum": 10,
        "minRateDenominator": 20,
    }
    assert figures["selection"]["startDate"] == LAST_MONTH.isoformat()


def test_a_count_has_one_value_wherever_it_appears(world: World, area: dict[str, Any]) -> None:
    figures = _figures(world.municipality, teamId=area["id"]).json()
    closed = _cell(_indicator(figures, "cases"), "closed")
    assert _near(closed, 3)
    for code in ("cases-closed-by-reason", "handled-by", "lead-time", "organisations-per-case"):
        assert _indicator(figures, code)["total"]["value"] == closed["value"], code
    assert _cell(_indicator(figures, "cases-closed-by-reason"), "handled_by_team")["value"] == closed["value"]
    # the team's records are the district's records: the same cell, the same value, in every answer
    by_area = _figures(world.municipality, areaCode="WK059940").json()
    assert _indicator(by_area, "signals-by-source") == _indicator(figures, "signals-by-source")
    assert _figures(world.municipality, teamId=area["id"]).json() == figures


def test_shares_means_and_percentiles_need_enough_records(world: World, area: dict[str, Any]) -> None:
    figures = _figures(world.municipality, teamId=area["id"]).json()
    assert _cell(_indicator(figures, "handled-by"), "share_team") == {
        "key": "share_team",
        "label": "Aandeel door het team (%)",
        "value": None,
        "status": "suppressed",
    }
    lead_time = _indicator(figures, "lead-time")
    assert _cell(lead_time, "median")["status"] == "suppressed"
    assert _near(_cell(lead_time, "0-30"), 3)  # from the 2nd to the 20th


def test_an_ended_month_never_changes_and_the_current_one_is_not_published(world: World, area: dict[str, Any]) -> None:
    """A tracker registering records one at a time reads the same values: nothing it adds reaches an ended
    month, and the month it adds to is not published until it has ended."""
    before = _figures(world.municipality, teamId=area["id"]).json()
    for number in range(3):
        registered = world.housing.post(
            "/v1/signals",
            json={
                "household": {
                    "address": {"postcode": "3050AD", "houseNumber": 40 + number, "buurtCode": "BU05994001"},
                    "members": [new_member()],
                },
                "teamId": area["id"],
                "source": "police",
                "lifeDomains": ["justice"],
                "description": "Overlast.",
                "residentAware": True,
            },
        )
        assert registered.status_code == 201
        assert world.admin.post("/v1/figures/refreshes").status_code == 201
        after = _figures(world.municipality, teamId=area["id"]).json()
        assert after["indicators"] == before["indicators"]
    for period in (f"{TODAY:%Y-%m}", f"{TODAY.year}-Q{(TODAY.month - 1) // 3 + 1}", str(TODAY.year)):
        refused = _figures(world.municipality, teamId=area["id"], period=period)
        assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "period", period


def test_figures_carry_no_household(world: World, area: dict[str, Any]) -> None:
    text_ = _figures(world.municipality, teamId=area["id"]).text
    assert UUID.findall(text_) == [area["id"]]  # the team asked for, and nothing else
    assert "Jansen" not in text_ and "3050" not in text_


def test_figures_as_csv(world: World, area: dict[str, Any]) -> None:
    figures = _figures(world.municipality, teamId=area["id"]).json()
    response = _figures(world.municipality, teamId=area["id"], headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # spreadsheets then read it as UTF-8
    lines = response.text.lstrip("\ufeff").splitlines()
    assert lines[0] == "period;area;asOf;indicator;key;label;value;status;rule"
    total = _indicator(figures, "signals-by-source")["total"]["value"]
    selection = f"{PERIOD};team:{area['id']};{figures['selection']['asOf'][:19]}Z"
    assert any(line.startswith(f'{selection};signals-by-source;total;"Totaal";{total};published;') for line in lines)
    assert any(';signals-by-life-domain;substance_use;"Middelengebruik";.;secret;"cell key' in line for line in lines)


def test_only_a_figures_client_reads_figures(world: World, area: dict[str, Any]) -> None:
    assert _figures(world.housing, teamId=area["id"]).status_code == 403
    assert _figures(world.coordinator, teamId=area["id"]).status_code == 403
    assert world.municipality.get("/v1/signals").status_code == 403


def test_only_an_operator_rebuilds_the_totals(world: World) -> None:
    for caller in (world.municipality, world.housing, world.coordinator):
        response = caller.post("/v1/figures/refreshes")
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"indicator": "happiness"}, "indicator"),
        ({"teamId": "00000000-0000-4000-8000-000000000000"}, "teamId"),
        ({"areaCode": "BU09999999"}, "areaCode"),
        ({"areaCode": "XX1234"}, "areaCode"),
        ({"areaCode": "WK059940", "teamId": "team"}, "areaCode"),  # a team or an area, not both
        ({"period": "2999"}, "period"),
        ({"period": f"{LAST_MONTH.year - 1}-01/{LAST_MONTH.year - 1}-06"}, "period"),  # no free intervals
        ({"period": f"{TODAY.year}-13"}, "period"),
        ({"period": "last year"}, "period"),
    ],
)
def test_bad_selections_are_refused(world: World, area: dict[str, Any], params: dict[str, Any], field: str) -> None:
    if params.get("teamId") == "team":
        params = params | {"teamId": area["id"]}
    response = _figures(world.municipality, **params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["invalidParams"][0]["name"] == field


def _chromium(url: str, screenshot: Path) -> str:
    """The page's DOM once its scripts have run, and a screenshot of it."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is needed for the dashboard test: apt-get install chromium (.ci/run does)"
    with tempfile.TemporaryDirectory() as profile:
        flags = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=20000",
            "--window-size=1400,3000",
        ]
        dom = subprocess.run(
            [*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
        ).stdout
        subprocess.run([*flags, f"--screenshot={screenshot}", url], capture_output=True, timeout=120, check=True)
    return dom


def _attribute(dom: str, key: str, name: str = "data-value") -> str:
    found = re.search(rf'data-key="{re.escape(key)}"[^>]*{name}="([^"]*)"', dom)
    assert found, key
    return found.group(1)


@pytest.mark.browser
def test_the_dashboard_compares_areas_shows_the_trend_and_downloads_it(world: World, area: dict[str, Any]) -> None:
    """Signed in without a secret (the development sign-in), two selections side by side, the year's months."""
    year = str(LAST_MONTH.year)
    url = f"{world.api.url}/dashboard#login=development&year={year}&period={PERIOD}&teams={area['id']}&areas=WK059940"
    OUTPUT.mkdir(exist_ok=True)
    screenshot = OUTPUT / f"dashboard-{world.api.backend}.png"
    dom = _chromium(url, screenshot)
    assert 'data-loaded="true"' in dom, dom[-2000:]
    figures = _figures(world.municipality, teamId=area["id"]).json()
    by_source = _indicator(figures, "signals-by-source")
    # the team and the district side by side: the same records, so the same protected values
    assert float(_attribute(dom, "0/signals-by-source/total")) == by_source["total"]["value"]
    assert float(_attribute(dom, "1/signals-by-source/total")) == by_source["total"]["value"]
    assert re.search(r'data-key="0/signals-by-life-domain/substance_use"[^>]*>geheim<', dom)
    assert "Signalen naar bron" in dom and "Totaal" in dom and "Signals by source" not in dom
    # the months of the year, each an answer of its own
    trend = re.search(rf'data-key="trend/{PERIOD}/signals-by-source/total"[^>]*>([^<]*)<', dom)
    assert trend and trend.group(1) == str(by_source["total"]["value"])
    assert "liggen vast" in dom and "ten hoogste 3" in dom
    download = re.search(r'id="download" href="data:text/csv;charset=utf-8,([^"]*)"', dom)
    assert download, "the CSV of what is shown"
    rows = unquote(download.group(1).replace("&amp;", "&")).lstrip("\ufeff").splitlines()
    assert rows[0] == "kolom;periode;stand;indicator;sleutel;omschrijving;waarde;status"
    assert any(r.startswith(f"Buurtteam Cijfers;{PERIOD};") and ";signals-by-source;total;Totaal;" in r for r in rows)
    assert screenshot.stat().st_size > 10_000


IDENTITY_PROVIDER = Path(__file__).resolve().parent / "identity_provider"
# A resource indicator is an absolute URI (RFC 8707): the API as the provider names it in its tokens.
PROVIDER_AUDIENCE = "urn:wijkregistratie:api"


@contextmanager
def identity_provider(port: int, redirect_uri: str, audience: str) -> Iterator[str]:
    """node-oidc-provider on a loopback port, its packages installed from the lock file when missing."""
    npm, node = shutil.which("npm"), shutil.which("node")
    assert npm and node, "Node.js is needed for the sign-in test (tests/machine.sh installs it)"
    if not (IDENTITY_PROVIDER / "node_modules" / "oidc-provider").exists():
        subprocess.run(
            [npm, "ci", "--silent", "--no-audit", "--no-fund"], cwd=IDENTITY_PROVIDER, check=True, timeout=300
        )
    issuer = f"http://127.0.0.1:{port}"
    OUTPUT.mkdir(exist_ok=True)
    log = (OUTPUT / "identity-provider.log").open("w")  # a pipe nobody reads would stall it once full
    process = subprocess.Popen(
        [node, "provider.mjs", str(port), redirect_uri, audience], cwd=IDENTITY_PROVIDER, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "the identity provider did not start"
            time.sleep(0.1)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _browse(url: str, screenshot: Path) -> str:
    """The DOM of a page followed through its redirects over the DevTools protocol, and a screenshot."""
    chromium, node = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("node")
    assert chromium and node, "Chromium and Node.js are needed for the sign-in test (tests/machine.sh installs them)"
    done = subprocess.run(
        [node, "--experimental-websocket", "browse.mjs", chromium, url, str(screenshot), "90"],
        cwd=IDENTITY_PROVIDER,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.browser
def test_a_person_signs_in_with_the_municipalitys_identity_provider(tmp_path: Path) -> None:
    """OpenID Connect with PKCE against a real OpenID Provider: its token, for the page's public client, is
    accepted as the figures client that client is mapped to; no secret on the page."""
    provider_port = free_port()
    issuer = f"http://127.0.0.1:{provider_port}"
    with empty_database("sqlite", tmp_path) as database_url:
        upgrade(database_url)
        base = settings_for_tests(database_url)
        settings = base.model_copy(
            update={
                "dashboard_development_client": "",
                "dashboard_oidc_issuer": issuer,
                "dashboard_oidc_client_id": "dashboard",
                "external_providers": [
                    ExternalProvider(
                        issuer=issuer,
                        jwks_url=f"{issuer}/jwks",
                        audience=PROVIDER_AUDIENCE,
                        client_claim="client_id",
                        clients={"dashboard": "demo-gemeente"},
                    )
                ],
            }
        )
        run_async(database_url, lambda s: seed_demo(s, settings))
        with (
            Server(settings) as server,
            identity_provider(provider_port, f"{server.url}/dashboard", PROVIDER_AUDIENCE),
        ):
            config = httpx.get(f"{server.url}/dashboard/config.json").json()
            assert config == {
                "oidc": {"issuer": issuer, "clientId": "dashboard", "scope": "openid figures:read"},
                "development": False,
            }
            assert httpx.post(f"{server.url}/dashboard/development-login").status_code == 404
            policy = httpx.get(f"{server.url}/dashboard").headers["content-security-policy"]
            assert f"connect-src 'self' {issuer};" in policy
            OUTPUT.mkdir(exist_ok=True)
            url = f"{server.url}/dashboard#login=provider&year={LAST_MONTH.year}&period={PERIOD}"
            dom = _browse(url, OUTPUT / "dashboard-signed-in-with-provider.png")
    assert 'data-loaded="true"' in dom, dom[-3000:]
    assert 'id="signed-in"' in dom and 'id="signed-in" hidden' not in dom
    (OUTPUT / "dashboard-signed-in-with-provider.html").write_text(dom)
    assert re.search(r'data-key="0/signals-by-source/total" data-value="\d+"', dom)


def test_the_development_sign_in_gives_figures_only(world: World) -> None:
    signed_in = world.municipality.http.post("/dashboard/development-login")
    assert signed_in.status_code == 200 and signed_in.headers["cache-control"] == "no-store"
    token = signed_in.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert world.municipality.http.get("/v1/figures", params={"period": PERIOD}, headers=headers).status_code == 200
    assert world.municipality.http.get("/v1/signals", headers=headers).status_code == 403
    config = world.municipality.http.get("/dashboard/config.json").json()
    assert config == {"oidc": None, "development": True}
