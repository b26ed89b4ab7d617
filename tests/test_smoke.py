from tests.conftest import Story, World


def test_story_builds(world: World, story: Story) -> None:
    record = world.ggz.get(f"/v1/cases/{story.case['id']}")
    assert record.status_code == 200, record.text
    assert record.json()["leadProfessional"]["name"] == "Professional ggz"
