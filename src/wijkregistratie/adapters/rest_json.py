"""The REST/JSON mapping adapter: a declarative mapping turns a partner's own JSON into the shared record,
and shared-record events back into the partner's shape (see `mappings/schuldhulp.json`).

A value in the mapping is a field name of the partner's record, `{"field": ..., "codes": {...},
"default": ...}` to translate the partner's codes, or `{"value": ...}` for a constant. On the way out,
`fields` names where each of the partner's fields comes from in the CloudEvent (`data.caseId`), `type`
the partner's code for the event type, and `$reference` the partner's own number for the case.
"""

import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.adapters.base import Change, PartnerUnavailable
from wijkregistratie.adapters.config import PartnerConfig
from wijkregistratie.adapters.models import AdapterReference
from wijkregistratie.cases.models import Involvement
from wijkregistratie.cases.queries import case_by_own_reference, open_case_of
from wijkregistratie.cases.schemas import CaseOpen
from wijkregistratie.cases.service import open_case
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.codes import JournalKind
from wijkregistratie.core.errors import InvalidInput
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.security import Principal
from wijkregistratie.households.schemas import Address, MemberCreate
from wijkregistratie.journal.schemas import JournalEntryCreate
from wijkregistratie.journal.service import add_entry
from wijkregistratie.signals.schemas import HouseholdReference, SignalCreate
from wijkregistratie.signals.service import register_signal


def _value(spec: Any, record: dict[str, Any]) -> Any:
    if isinstance(spec, str):
        return record.get(spec)
    if "value" in spec:
        return spec["value"]
    raw = record.get(spec["field"])
    if "codes" in spec:
        return spec["codes"].get(raw, spec.get("default"))
    return raw if raw not in (None, "") else spec.get("default")


def _path(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


class RestJsonAdapter:
    def __init__(self, partner: PartnerConfig, mapping: dict[str, Any], vault: BsnVault, client: httpx.AsyncClient):
        self.partner, self.mapping, self.vault, self.client = partner, mapping, vault, client

    def _headers(self) -> dict[str, str]:
        token = self.partner.token()
        return {"authorization": f"Bearer {token}"} if token else {}

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.client.request(
                method,
                self.partner.base_url.rstrip("/") + path,
                headers=self._headers(),
                timeout=self.partner.timeout_seconds,
                **kwargs,
            )
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(type(exc).__name__) from exc
        if response.status_code >= 300:
            raise PartnerUnavailable(f"answered {response.status_code}")
        return response

    async def fetch(self, since: str) -> Sequence[Change]:
        spec = self.mapping["pull"]
        response = await self._call("GET", spec["path"], params={spec["since"]: since or "0"})
        try:
            items = response.json()[spec["items"]]
            return [Change(marker=str(item[spec["checkpoint"]]), record=item) for item in items]
        except (ValueError, KeyError, TypeError) as exc:  # invalid JSON, or not the agreed shape
            raise PartnerUnavailable("answered with something other than the agreed JSON") from exc

    async def apply(self, session: AsyncSession, principal: Principal, change: Change) -> None:
        spec, record = self.mapping["pull"], change.record
        reference = str(_value(spec["reference"], record) or "")
        if not reference:
            raise InvalidInput.field(spec["reference"], "the partner's record has no number")
        description = str(_value(spec["signal"]["description"], record))
        known = await case_by_own_reference(session, self.partner.organisation_id, reference)
        if known is not None:  # the same client again: what changed goes into the journal of its case
            entry = JournalEntryCreate(kind=JournalKind.note, occurred_at=utcnow(), text=description)
            await add_entry(session, principal, known, entry)
            return
        if await session.get(AdapterReference, (self.partner.name, reference)) is not None:
            return  # signalled already; the team has not taken it into a case with this organisation yet
        household = spec["household"]
        signal = await register_signal(
            session,
            self.vault,
            principal,
            SignalCreate(
                household=HouseholdReference(
                    address=Address(
                        postcode=str(_value(household["postcode"], record)),
                        house_number=int(_value(household["houseNumber"], record)),
                        # The team the signal goes to must serve the neighbourhood: partners say which it is.
                        buurt_code=_value(household["buurtCode"], record) if "buurtCode" in household else None,
                    ),
                    members=[
                        MemberCreate(
                            surname=str(_value(household["surname"], record)),
                            given_names=_value(household["givenNames"], record),
                            date_of_birth=_value(household["dateOfBirth"], record),
                        )
                    ],
                ),
                team_id=self.partner.team_id,
                source=_value(spec["signal"]["source"], record),
                life_domains=_value(spec["signal"]["lifeDomains"], record),
                description=description,
                resident_aware=True,
            ),
        )
        if await open_case_of(session, signal.household_id) is None:
            await open_case(
                session,
                principal,
                CaseOpen(
                    household_id=signal.household_id,
                    signal_ids=[signal.id],
                    basis=spec["case"]["basis"],
                    basis_reference=spec["case"]["basisReference"],
                    own_reference=reference,  # the identity map: this number is this case, from now on
                ),
            )
        else:
            session.add(AdapterReference(partner=self.partner.name, reference=reference, signal_id=signal.id))

    async def render(self, session: AsyncSession, event: dict[str, Any]) -> dict[str, Any] | None:
        spec = self.mapping["push"]
        kind = spec["types"].get(event["type"]) if spec.get("types") else event["type"]
        if kind is None:
            return None  # a type this partner does not take
        document: dict[str, Any] = {"soort": kind}
        for name, source in spec["fields"].items():
            if source == "$reference":
                document[name] = await self._reference(session, _path(event, "data.caseId"))
            else:
                document[name] = _path(event, source)
        return document

    async def _reference(self, session: AsyncSession, case_id: Any) -> str | None:
        if case_id is None:
            return None
        statement = select(Involvement.own_reference).where(
            Involvement.case_id == uuid.UUID(str(case_id)),
            Involvement.organisation_id == self.partner.organisation_id,
            col(Involvement.own_reference).is_not(None),
        )
        return (await session.exec(statement)).first()

    async def deliver(self, document: dict[str, Any]) -> None:
        await self._call("POST", self.mapping["push"]["path"], json=document)
