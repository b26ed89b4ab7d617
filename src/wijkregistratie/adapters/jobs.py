"""One job per partner system: pull what changed there, push what changed here, at the partner's pace."""

from prometheus_client import Counter

from wijkregistratie.adapters.base import Adapter, run_round
from wijkregistratie.adapters.kinds import build, partners
from wijkregistratie.core.job import REGISTRY, Job, JobContext

ADAPTER_CHANGES = Counter(
    "wijkregistratie_worker_adapter_changes_total",
    "Changes pulled from, rejected from and pushed to partner systems.",
    ["partner", "direction"],
    registry=REGISTRY,
)


def _job(adapter: Adapter) -> Job:
    name = adapter.partner.name

    async def keep_in_step(context: JobContext) -> bool:
        result = await run_round(context.sessions, adapter)
        ADAPTER_CHANGES.labels(name, "pulled").inc(result.pulled)
        ADAPTER_CHANGES.labels(name, "rejected").inc(result.rejected)
        ADAPTER_CHANGES.labels(name, "pushed").inc(result.pushed)
        return False

    return Job(f"adapters.{name}", adapter.partner.every_seconds, keep_in_step)


def jobs(context: JobContext) -> list[Job]:
    configured = partners(context.settings.adapters_file)
    return [_job(build(partner, mapping, context.vault, context.http)) for partner, mapping in configured]
