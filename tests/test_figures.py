"""Figures for the municipality: computed from the registration, protected, and drawn on the dashboard."""

import re
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Caller, World, new_member

YEAR = str(date.today().year)
OUTPUT = Path(__file__).resolve().parents[1] / "test-output"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def area(world: World) -> dict[str, Any]:
    """A team of its own in district WK059950: thirteen signals from the housing corporation, nine cases."""
    team = world.admin.post(
        "/v1/teams",
        json={
            "name": "Buurtteam Cijfers",
            "municipalityCode": "GM0599",
            "areaCodes": ["WK059950"],
            "organisationIds": [str(world.orgs["housing"])],
        },
    ).json()
    for number in range(13):
        signal = world.housing.post(
            "/v1/signals",
            json={
                "household": {
                    "address": {"postcode": "3050AB", "houseNumber": number + 1, "buurtCode": "BU05995001"},
                    "members": [new_member()],
                },
                "source": "housing_corporation",
                "lifeDomains": ["housing"],
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
    lone = world.housing.post(
        "/v1/signals",
        json={
            "household": {
                "address": {"postcode": "3050AC", "houseNumber": 1, "buurtCode": "BU05995099"},
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
    assert world.admin.post("/v1/figures/refreshes").status_code == 201
    return team


def _figures(caller: Caller, headers: dict[str, str] | None = None, **params: Any) -> Any:
    return caller.get("/v1/figures", params={"period": YEAR} | params, headers=headers or {})


def _indicator(figures: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for i in figures["indicators"] if i["code"] == code)


def _cell(indicator: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in indicator["cells"] if c["key"] == key)


def test_counts_are_rounded_and_small_ones_secret(world: World, area: dict[str, Any]) -> None:
    response = _figures(world.municipality, teamId=area["id"])
    assert response.status_code == 200, response.text
    figures = response.json()
    by_source = _indicator(figures, "signals-by-source")
    assert by_source["total"] == {"key": "total", "label": "Total", "value": 15, "status": "published"}  # 14
    assert _cell(by_source, "housing_corporation")["value"] == 15  # 13
    school = _cell(by_source, "school")
    assert school["value"] is None and school["status"] == "secret"  # 1
    cases = _indicator(figures, "cases")
    assert _cell(cases, "opened")["value"] == 10  # 9
    assert _cell(cases, "closed")["status"] == "secret"  # 0
    waiting = _indicator(figures, "waiting-list")
    assert waiting["total"]["status"] == "secret"  # 5 open
    assert all(c["value"] is None for c in waiting["cells"])
    by_area = _figures(world.municipality, areaCode="WK059950").json()
    assert _indicator(by_area, "signals-by-source")["total"]["value"] == 15
    assert figures["disclosure"] == {"roundedTo": 5, "secretBelow": 8, "minRateDenominator": 20}


def test_figures_carry_no_household(world: World, area: dict[str, Any]) -> None:
    text = _figures(world.municipality, teamId=area["id"]).text
    assert UUID.findall(text) == [area["id"]]  # the team asked for, and nothing else
    assert "Jansen" not in text and "3050" not in text


def test_figures_as_csv(world: World, area: dict[str, Any]) -> None:
    response = _figures(world.municipality, teamId=area["id"], headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "indicator,key,value,status"
    assert "signals-by-source,total,15,published" in lines
    assert "signals-by-source,school,.,secret" in lines


def test_only_a_figures_client_reads_figures(world: World, area: dict[str, Any]) -> None:
    assert _figures(world.housing, teamId=area["id"]).status_code == 403
    assert _figures(world.coordinator, teamId=area["id"]).status_code == 403
    assert world.municipality.get("/v1/signals").status_code == 403


def test_counts_are_as_of_the_latest_rebuild(world: World) -> None:
    """Counts come from the running totals; the waiting list is live."""
    team = world.admin.post(
        "/v1/teams",
        json={
            "name": "Buurtteam Herbouw",
            "municipalityCode": "GM0599",
            "areaCodes": ["WK059960"],
            "organisationIds": [str(world.orgs["housing"])],
        },
    ).json()
    for number in range(10):
        registered = world.housing.post(
            "/v1/signals",
            json={
                "household": {
                    "address": {"postcode": "3050AD", "houseNumber": number + 1, "buurtCode": "BU05996001"},
                    "members": [new_member()],
                },
                "teamId": team["id"],
                "source": "school",
                "lifeDomains": ["finances"],
                "description": "Schooluitval.",
                "residentAware": True,
            },
        )
        assert registered.status_code == 201
    before = _figures(world.municipality, areaCode="WK059960").json()
    assert _indicator(before, "signals-by-source")["total"]["status"] == "secret"  # not rebuilt yet: 0
    assert _indicator(before, "waiting-list")["total"]["value"] == 10

    rebuilt = world.admin.post("/v1/figures/refreshes")
    assert rebuilt.status_code == 201, rebuilt.text
    assert rebuilt.json()["rowCount"] > 0
    after = _figures(world.municipality, areaCode="WK059960").json()
    assert _cell(_indicator(after, "signals-by-source"), "school")["value"] == 10
    assert after["selection"]["asOf"] == rebuilt.json()["finishedAt"]
    assert after["selection"]["asOf"] > before["selection"]["asOf"]


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
        ({"period": "2999"}, "period"),
        ({"period": f"{YEAR}-03/{YEAR}-01"}, "period"),
        ({"period": f"{YEAR}-13"}, "period"),
        ({"period": "last year"}, "period"),
        ({"areaCode": "BU05995099"}, "period"),  # one household: every figure would be secret
    ],
)
def test_bad_selections_are_refused(world: World, area: dict[str, Any], params: dict[str, Any], field: str) -> None:
    response = _figures(world.municipality, **params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["invalidParams"][0]["name"] == field


@pytest.mark.browser
def test_the_dashboard_draws_the_apis_numbers(world: World, area: dict[str, Any]) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is needed for the dashboard test: apt-get install chromium (.ci/run does)"
    token = world.municipality.token()
    url = f"{world.api.url}/dashboard#token={token}&period={YEAR}&teamId={area['id']}"
    expected = _indicator(_figures(world.municipality, teamId=area["id"]).json(), "signals-by-source")
    OUTPUT.mkdir(exist_ok=True)
    screenshot = OUTPUT / f"dashboard-{world.api.backend}.png"
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
            "--virtual-time-budget=15000",
            "--window-size=1280,2400",
        ]
        dom = subprocess.run(
            [*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
        ).stdout
        subprocess.run([*flags, f"--screenshot={screenshot}", url], capture_output=True, timeout=120, check=True)
    assert 'data-loaded="true"' in dom
    assert re.search(r'data-key="signals-by-source/total"[^>]*>15<', dom)
    drawn = re.search(r'data-key="housing_corporation" data-value="([^"]*)"', dom)
    assert drawn and float(drawn.group(1)) == _cell(expected, "housing_corporation")["value"]
    assert re.search(r'data-key="signals-by-source/school"[^>]*>geheim<', dom)
    assert screenshot.stat().st_size > 10_000
