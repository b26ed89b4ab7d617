"""The worker runs every part's jobs, each in a loop of its own: one that fails never stops another."""

import asyncio
from typing import Any

import pytest

from tests.conftest import World, new_address, new_member, register_signal
from tests.test_household_rights import _age_file, _members
from wijkregistratie.core.job import REGISTRY
from wijkregistratie.webhooks import jobs as webhook_jobs
from wijkregistratie.worker.runner import Worker


def _runs(job: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("wijkregistratie_worker_job_runs_total", {"job": job, "outcome": outcome}) or 0.0


def test_every_part_registers_its_jobs(world: World) -> None:
    async def names() -> list[str]:
        worker = Worker(world.api.settings.model_copy(update={"worker_figures_every_seconds": 900}))
        try:
            return [job.name for job in worker.jobs]
        finally:
            await worker.close()

    assert set(asyncio.run(names())) == {
        "access-log.purge",
        "consents.expiry",
        "figures.rebuild",
        "privacy.retention",
        "worklists.reminders",
        "webhooks.delivery",
        "webhooks.fan-out",
    }


def test_a_failing_job_does_not_stop_the_others(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    signal = register_signal(world.housing, world, household={"address": new_address(), "members": [new_member()]})
    _age_file(world, signal["householdId"], 16)  # past the Wmo retention period: the worker must erase it

    async def broken_fan_out(_session: Any) -> int:
        raise RuntimeError("the fan-out is broken")

    monkeypatch.setattr(webhook_jobs, "fan_out", broken_fan_out)
    failed_before = _runs("webhooks.fan-out", "failed")
    delivered_before = _runs("webhooks.delivery", "succeeded")
    erased_before = _runs("privacy.retention", "succeeded")
    settings = world.api.settings.model_copy(update={"worker_poll_seconds": 0.05})

    async def run_for_a_while() -> None:
        stop = asyncio.Event()
        worker = Worker(settings)
        running = asyncio.create_task(worker.run(stop))
        for _ in range(200):
            await asyncio.sleep(0.05)
            erased = _runs("privacy.retention", "succeeded") > erased_before
            if _runs("webhooks.fan-out", "failed") - failed_before >= 3 and erased:
                break
        stop.set()
        await running

    asyncio.run(run_for_a_while())
    assert _runs("webhooks.fan-out", "failed") - failed_before >= 3  # tried again at every turn, failing each time
    assert _members(world, signal["householdId"]) == 0  # the legal duty was done all the same
    assert _runs("webhooks.delivery", "succeeded") - delivered_before >= 1
    last_success = "wijkregistratie_worker_job_last_success_timestamp_seconds"
    assert REGISTRY.get_sample_value(last_success, {"job": "privacy.retention"})
