"""How each partner system stands, for the operator: how far pulling and pushing got, and whether the
partner can be used now (and if not, why and since when), read from the checkpoints the worker keeps."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.adapters.config import PartnerConfig
from wijkregistratie.adapters.models import AdapterCheckpoint


@dataclass(frozen=True)
class PartnerStatus:
    name: str
    kind: str
    pulled_up_to: str
    pushed_up_to: int
    failure: str | None
    failing_since: datetime | None

    def line(self) -> str:
        state = f"failing since {self.failing_since:%Y-%m-%d %H:%M} UTC: {self.failure}" if self.failure else "in step"
        pulled = self.pulled_up_to or "-"
        return f"{self.name}  {self.kind}  pulled up to {pulled}  pushed up to {self.pushed_up_to}  {state}"


async def partner_statuses(session: AsyncSession, partners: list[PartnerConfig]) -> list[PartnerStatus]:
    statuses = []
    for partner in partners:
        checkpoint = await session.get(AdapterCheckpoint, partner.name) or AdapterCheckpoint(
            partner=partner.name, organisation_id=partner.organisation_id
        )
        statuses.append(
            PartnerStatus(
                partner.name,
                partner.kind,
                checkpoint.pulled_up_to,
                checkpoint.pushed_up_to,
                checkpoint.failure,
                checkpoint.failing_since,
            )
        )
    return statuses
