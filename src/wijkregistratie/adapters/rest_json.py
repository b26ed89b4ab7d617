"""The REST/JSON mapping adapter: a declarative mapping turns a partner's own JSON into the shared record,
and the shared record back into the partner's shape (see `mappings/schuldhulp.json`; its JSON Schema is
`RestJsonMapping`'s, published at `/docs/schemas/mappings/rest-json.json`).

On the way in, a value is a field name of the partner's record, `{"field": ..., "codes": {...},
"default": ...}` to translate the partner's codes, or `{"value": ...}` for a constant. On the way out,
`fields` names where each of the partner's fields comes from: a path into the CloudEvent (`data.caseId`),
`$reference` for the partner's own number for the case, or a path into the whole record *as the API
answers the partner's organisation* (`record.leadProfessional.name`) — so need-to-know applies to what is
pushed exactly as to what it could read. `{"from": ..., "codes": ..., "default": ...}` translates a
value, `{"from": ..., "fields": {...}}` shapes an object or each item of a list, `where` keeps the items
whose fields have the given values (`$organisation`: the partner's own organisation), and `[]` in a path
goes through every item of a list (`record.plan.goals[].activities[]`: every goal's activities).
"""

import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.adapters.base import Change, PartnerUnavailable, acting_as
from wijkregistratie.adapters.config import PartnerConfig
from wijkregistratie.adapters.models import AdapterReference
from wijkregistratie.cases.models import Involvement
from wijkregistratie.cases.queries import case_by_own_reference, open_case_of
from wijkregistratie.cases.record import read_record
from wijkregistratie.cases.schemas import CaseOpen
from wijkregistratie.cases.service import open_case
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.codes import JournalKind, LawfulBasis
from wijkregistratie.core.errors import InvalidInput, NotFound
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.security import Principal
from wijkregistratie.households.schemas import Address, MemberCreate
from wijkregistratie.journal.schemas import JournalEntryCreate
from wijkregistratie.journal.service import add_entry
from wijkregistratie.signals.schemas import HouseholdReference, SignalCreate
from wijkregistratie.signals.service import register_signal

RECORD = "record."
REFERRALS = "record.referrals"
ORGANISATION = "$organisation"
REFERENCE = "$reference"
EXPAND_LIMIT = 100  # the most a record's part holds in one read


class _Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Coded(_Shape):
    """One of the partner's fields, its codes translated; `default` when it is empty or its code unknown."""

    field: str = Field(min_length=1)
    codes: dict[str, Any] | None = None
    default: Any = None


class Constant(_Shape):
    """The same value for every record."""

    value: Any


Source = str | Coded | Constant


class HouseholdFields(_Shape):
    postcode: Source
    house_number: Source
    buurt_code: Source | None = Field(default=None, description="The neighbourhood, so the right team gets it.")
    surname: Source
    given_names: Source | None = None
    date_of_birth: Source | None = None


class SignalFields(_Shape):
    source: Source
    life_domains: Source
    description: Source


class CaseBasis(_Shape):
    basis: LawfulBasis
    basis_reference: str = Field(min_length=1, max_length=200)


class Pull(_Shape):
    """What the adapter reads: `GET {path}?{since}={checkpoint}` answering `{"{items}": [...]}`."""

    path: str = Field(pattern=r"^/")
    since: str = Field(min_length=1, description="The query parameter taking the last checkpoint.")
    items: str = Field(min_length=1, description="The member of the answer holding the changed records.")
    checkpoint: str = Field(min_length=1, description="The record's field holding its change marker.")
    reference: Source = Field(description="The partner's own number for its client.")
    household: HouseholdFields
    signal: SignalFields
    case: CaseBasis


class Take(_Shape):
    """A value for one of the partner's fields, taken from the event or the record and shaped."""

    from_: str = Field(alias="from", min_length=1, description="A path into the event, or `record.` and the record.")
    codes: dict[str, Any] | None = Field(default=None, description="The partner's code for each value.")
    default: Any = None
    where: dict[str, str] | None = Field(default=None, description="Keep the items whose fields have these values.")
    fields: dict[str, "Output"] | None = Field(default=None, description="The object, or each item, in these fields.")


Output = str | Take
Take.model_rebuild()


class Push(_Shape):
    """What the adapter writes: `POST {path}` with one document per event the partner takes."""

    path: str = Field(pattern=r"^/")
    types: dict[str, str] | None = Field(
        default=None, description="The partner's `soort` for each event type it takes; none: every type as is."
    )
    fields: dict[str, Output]


class RestJsonMapping(_Shape):
    """The mapping of a `rest-json` partner: how its records come in and what it is sent."""

    pull: Pull
    push: Push


def _value(spec: Source | None, record: dict[str, Any]) -> Any:
    if spec is None:
        return None
    if isinstance(spec, str):
        return record.get(spec)
    if isinstance(spec, Constant):
        return spec.value
    raw = record.get(spec.field)
    if spec.codes is not None:
        return spec.codes.get(str(raw), spec.default)
    return raw if raw not in (None, "") else spec.default


def _path(document: Any, path: str) -> Any:
    """The value at a dotted path; `name[]` goes through every item of the list there."""
    values, many = [document], False
    for part in path.split("."):
        flatten = part.endswith("[]")
        name = part.removesuffix("[]")
        values = [v.get(name) if isinstance(v, dict) else None for v in values]
        if flatten:
            values = [item for v in values if isinstance(v, list) for item in v]
            many = True
    return values if many else values[0]


def _uses(output: Output, prefix: str) -> bool:
    if isinstance(output, str):
        return output.startswith(prefix)
    return output.from_.startswith(prefix)


class RestJsonAdapter:
    def __init__(self, partner: PartnerConfig, mapping: RestJsonMapping, vault: BsnVault, client: httpx.AsyncClient):
        self.partner, self.mapping, self.vault, self.client = partner, mapping, vault, client
        self.reads_record = any(_uses(f, RECORD) for f in mapping.push.fields.values())
        self.reads_referrals = any(_uses(f, REFERRALS) for f in mapping.push.fields.values())

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
        spec = self.mapping.pull
        response = await self._call("GET", spec.path, params={spec.since: since or "0"})
        try:
            items = response.json()[spec.items]
            return [Change(marker=str(item[spec.checkpoint]), record=item) for item in items]
        except (ValueError, KeyError, TypeError) as exc:  # invalid JSON, or not the agreed shape
            raise PartnerUnavailable("answered with something other than the agreed JSON") from exc

    async def apply(self, session: AsyncSession, principal: Principal, change: Change) -> None:
        spec, record = self.mapping.pull, change.record
        reference = str(_value(spec.reference, record) or "")
        if not reference:
            raise InvalidInput.field("reference", "the partner's record has no number")
        description = str(_value(spec.signal.description, record))
        known = await case_by_own_reference(session, self.partner.organisation_id, reference)
        if known is not None:  # the same client again: what changed goes into the journal of its case
            entry = JournalEntryCreate(kind=JournalKind.note, occurred_at=utcnow(), text=description)
            await add_entry(session, principal, known, entry)
            return
        if await session.get(AdapterReference, (self.partner.name, reference)) is not None:
            return  # signalled already; the team has not taken it into a case with this organisation yet
        household = spec.household
        signal = await register_signal(
            session,
            self.vault,
            principal,
            SignalCreate(
                household=HouseholdReference(
                    address=Address(
                        postcode=str(_value(household.postcode, record)),
                        house_number=int(_value(household.house_number, record)),
                        # The team the signal goes to must serve the neighbourhood: partners say which it is.
                        buurt_code=_value(household.buurt_code, record),
                    ),
                    members=[
                        MemberCreate(
                            surname=str(_value(household.surname, record)),
                            given_names=_value(household.given_names, record),
                            date_of_birth=_value(household.date_of_birth, record),
                        )
                    ],
                ),
                team_id=self.partner.team_id,
                source=_value(spec.signal.source, record),
                life_domains=_value(spec.signal.life_domains, record),
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
                    basis=spec.case.basis,
                    basis_reference=spec.case.basis_reference,
                    own_reference=reference,  # the identity map: this number is this case, from now on
                ),
            )
        else:
            session.add(AdapterReference(partner=self.partner.name, reference=reference, signal_id=signal.id))

    async def render(self, session: AsyncSession, event: dict[str, Any]) -> dict[str, Any] | None:
        spec = self.mapping.push
        kind = spec.types.get(event["type"]) if spec.types else event["type"]
        if kind is None:
            return None  # a type this partner does not take
        case_id = _path(event, "data.caseId")
        scope = event | {"record": await self._record(session, case_id) if self.reads_record else None}
        document: dict[str, Any] = {"soort": kind}
        for name, source in spec.fields.items():
            if source == REFERENCE:
                document[name] = await self._reference(session, case_id)
            else:
                document[name] = self._take(source, scope)
        return document

    async def _record(self, session: AsyncSession, case_id: Any) -> dict[str, Any] | None:
        """The whole record as the API would answer the partner's organisation; None where it may not see it."""
        if case_id is None:
            return None
        parts = ["referrals"] if self.reads_referrals else []
        try:
            record = await read_record(
                session, self.vault, acting_as(self.partner), uuid.UUID(str(case_id)), parts, 100
            )
        except NotFound:
            return None
        return record.model_dump(mode="json", by_alias=True)

    def _take(self, output: Output, scope: Any) -> Any:
        if isinstance(output, str):
            return _path(scope, output)
        value = _path(scope, output.from_)
        if isinstance(value, list):
            return [self._shape(output, item) for item in value if self._kept(output, item)]
        return self._shape(output, value)

    def _shape(self, output: Take, value: Any) -> Any:
        if output.fields is not None:
            return {n: self._take(f, value) for n, f in output.fields.items()} if isinstance(value, dict) else None
        if output.codes is not None:
            value = output.codes.get(str(value), output.default)
        return output.default if value is None else value

    def _kept(self, output: Take, item: Any) -> bool:
        own = str(self.partner.organisation_id)
        wanted = (output.where or {}).items()
        return all(str(_path(item, path)) == (own if value == ORGANISATION else value) for path, value in wanted)

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
        await self._call("POST", self.mapping.push.path, json=document)
