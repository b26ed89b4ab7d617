"""The plan: owned by the household, versioned on every change, never overwritten unseen."""

from typing import Any

import pytest

from tests.conftest import FIRST_VERSION, Story, World


def _plan(**overrides: Any) -> dict[str, Any]:
    return {
        "goals": [
            {
                "lifeDomain": "finances",
                "iWant": "Geen achterstand meer.",
                "iCan": "Mijn post openen met mijn zus.",
                "iNeed": "Hulp bij een betalingsregeling.",
                "result": "Drie maanden zonder nieuwe achterstand.",
                "targetDate": "2026-12-01",
                "activities": [
                    {
                        "description": "Betalingsregeling aanvragen",
                        "performer": {"kind": "network", "name": "Ilse (zus)"},
                        "dueDate": "2026-10-01",
                    }
                ],
            }
        ],
        "network": [{"name": "Ilse", "relation": "zus", "contribution": "Opent wekelijks de post mee."}],
        "helpPresent": [{"provider": "Huisarts", "description": "Begeleiding bij slaapproblemen."}],
        "agreedDate": "2026-09-01",
        "evaluationDate": "2026-11-01",
        "customArrangement": {"description": "Budgetcoach", "costEuros": "1250.00", "funder": "Gemeente"},
    } | overrides


def test_the_plan_is_versioned_on_every_change(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}/plan"
    assert world.ggz.get(path).status_code == 404
    first = world.ggz.put(path, json=_plan(), headers=FIRST_VERSION)
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == '"1"' and first.json()["version"] == 1
    assert first.json()["createdByOrganisationId"] == str(world.orgs["ggz"])
    changed = _plan(evaluationDate="2026-12-15")
    second = world.coordinator.put(path, json=changed, headers={"If-Match": '"1"'})
    assert second.status_code == 200 and second.headers["ETag"] == '"2"'
    current = world.ggz.get(path)
    assert current.headers["ETag"] == '"2"' and current.json()["evaluationDate"] == "2026-12-15"
    versions = world.ggz.get(f"{path}/versions").json()
    assert [v["version"] for v in versions] == [1, 2]
    assert [v["createdByOrganisationId"] for v in versions] == [str(world.orgs["ggz"]), str(world.orgs["social"])]
    earlier = world.ggz.get(f"{path}/versions/1").json()
    assert earlier["evaluationDate"] == "2026-11-01"
    assert earlier["goals"] == first.json()["goals"]
    assert earlier["customArrangement"]["costEuros"] == "1250.00"
    assert world.ggz.get(f"{path}/versions/3").status_code == 404


def test_two_organisations_never_overwrite_each_other_unseen(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}/plan"
    world.ggz.put(path, json=_plan(), headers=FIRST_VERSION)
    mine = world.ggz.put(path, json=_plan(evaluationDate="2027-01-01"), headers={"If-Match": '"1"'})
    assert mine.status_code == 200
    theirs = world.coordinator.put(path, json=_plan(evaluationDate="2027-02-02"), headers={"If-Match": '"1"'})
    assert theirs.status_code == 412
    without = world.coordinator.put(path, json=_plan(evaluationDate="2027-02-02"))
    assert without.status_code == 428
    current = world.ggz.get(path).json()
    assert current["version"] == 2 and current["evaluationDate"] == "2027-01-01"


def test_no_plan_yet_matches_no_version(world: World, story: Story) -> None:
    response = world.ggz.put(f"/v1/cases/{story.case['id']}/plan", json=_plan(), headers={"If-Match": '"1"'})
    assert response.status_code == 412


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        (_plan(goals=[{"lifeDomain": "finances", "result": "x"}]), "goals[0].iWant"),
        (_plan(goals=[{"lifeDomain": "luck", "iWant": "x", "result": "x"}]), "goals[0].lifeDomain"),
        (_plan(agreedDate="next week"), "agreedDate"),
        (
            _plan(customArrangement={"description": "x", "costEuros": "12,50", "funder": "x"}),
            "customArrangement.costEuros",
        ),
        (_plan(network=[{"name": "Ilse"}]), "network[0].contribution"),
        (_plan(version=7), "version"),
        (
            _plan(
                goals=[
                    {
                        "lifeDomain": "housing",
                        "iWant": "x",
                        "result": "x",
                        "activities": [{"description": "x", "performer": {"kind": "professional"}}],
                    }
                ]
            ),
            "goals[0].activities[0].performer",
        ),
    ],
)
def test_invalid_plans_name_the_field(world: World, story: Story, plan: dict[str, Any], field: str) -> None:
    response = world.ggz.put(f"/v1/cases/{story.case['id']}/plan", json=plan, headers=FIRST_VERSION)
    assert response.status_code == 400, response.text
    assert field in [p["name"] for p in response.json()["invalidParams"]]
    assert world.ggz.get(f"/v1/cases/{story.case['id']}/plan").status_code == 404


def test_a_performer_must_belong_to_the_household(world: World, story: Story) -> None:
    stranger = "00000000-0000-4000-8000-000000000001"
    plan = _plan(
        goals=[
            {
                "lifeDomain": "housing",
                "iWant": "x",
                "result": "x",
                "activities": [{"description": "x", "performer": {"kind": "member", "memberId": stranger}}],
            }
        ]
    )
    response = world.ggz.put(f"/v1/cases/{story.case['id']}/plan", json=plan, headers=FIRST_VERSION)
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] == "goals[0].activities[0].performer.memberId"
    member = world.ggz.get(f"/v1/households/{story.signal['householdId']}").json()["members"][0]["id"]
    plan["goals"][0]["activities"][0]["performer"]["memberId"] = member
    assert world.ggz.put(f"/v1/cases/{story.case['id']}/plan", json=plan, headers=FIRST_VERSION).status_code == 200


def test_a_closed_case_keeps_its_last_plan(world: World, story: Story) -> None:
    path = f"/v1/cases/{story.case['id']}/plan"
    world.ggz.put(path, json=_plan(), headers=FIRST_VERSION)
    world.ggz.post(
        f"/v1/cases/{story.case['id']}/close",
        json={"reason": "goal_reached", "handledBy": "team"},
        headers={"If-Match": story.etag},
    )
    assert world.ggz.put(path, json=_plan(), headers={"If-Match": '"1"'}).status_code == 409
    assert world.ggz.get(path).json()["version"] == 1
