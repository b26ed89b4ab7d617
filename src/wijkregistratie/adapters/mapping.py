"""Declarative mappings between a partner's own records and the shared record, shared by every mapped
adapter kind (`rest-json`, `csv`); each kind's mapping model adds how it reaches the partner.

On the way in, a value is a field (or column) name of the partner's record, `{"field": ..., "codes":
{...}, "default": ...}` to translate the partner's codes, or `{"value": ...}` for a constant. On the way
out, `fields` names where each of the partner's fields comes from: a path into the CloudEvent
(`data.caseId`), `$reference` for the partner's own number for the case, or a path into the whole record
*as the API answers the partner's organisation* (`record.leadProfessional.name`) — so need-to-know
applies to what is pushed exactly as to what it could read. `{"from": ..., "codes": ..., "default": ...}`
translates a value, `{"from": ..., "fields": {...}}` shapes an object or each item of a list, `where`
keeps the items whose fields have the given values (`$organisation`: the partner's own organisation), and
`[]` in a path goes through every item of a list (`record.plan.goals[].activities[]`: every goal's
activities).
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.adapters.base import Change, acting_as
from wijkregistratie.adapters.config import PartnerConfig
from wijkregistratie.adapters.models import AdapterReference
from wijkregistratie.cases.models import Case, Involvement
from wijkregistratie.cases.queries import case_by_own_reference, open_and_involving, open_case_of
from wijkregistratie.cases.record import read_record
from wijkregistratie.cases.schemas import CaseOpen, InvolvementUpdate
from wijkregistratie.cases.service import open_case, update_involvement
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.codes import JournalKind, JournalVisibility, LawfulBasis
from wijkregistratie.core.errors import InvalidInput, NotFound
from wijkregistratie.core.etag import etag
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.security import Principal
from wijkregistratie.households.models import Household
from wijkregistratie.households.schemas import Address, HouseholdUpdate, MemberCreate
from wijkregistratie.households.service import correct_household
from wijkregistratie.journal.schemas import JournalEntryCreate
from wijkregistratie.journal.service import add_entry
from wijkregistratie.signals.schemas import HouseholdReference, SignalCreate
from wijkregistratie.signals.service import register_signal

RECORD = "record."
REFERRALS = "record.referrals"
ORGANISATION = "$organisation"
REFERENCE = "$reference"
EXPAND_LIMIT = 100  # the most a record's part holds in one read


class MappingModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Coded(MappingModel):
    """One of the partner's fields, its codes translated; `default` when it is empty or its code unknown."""

    field: str = Field(min_length=1)
    codes: dict[str, Any] | None = None
    default: Any = None


class Constant(MappingModel):
    """The same value for every record."""

    value: Any


Source = str | Coded | Constant


class HouseholdFields(MappingModel):
    postcode: Source
    house_number: Source
    buurt_code: Source | None = Field(default=None, description="The neighbourhood, so the right team gets it.")
    surname: Source
    given_names: Source | None = None
    date_of_birth: Source | None = None


class SignalFields(MappingModel):
    source: Source
    life_domains: Source
    description: Source


class CaseBasis(MappingModel):
    basis: LawfulBasis
    basis_reference: str = Field(min_length=1, max_length=200)


class Placement(StrEnum):
    """Where a change to one of the partner's fields is placed on the record."""

    journal = "journal"  # a journal entry every organisation involved reads (and the team's coordinator)
    own_journal = "own-journal"  # a journal entry of the partner's own organisation only
    household_phone = "household.phone"
    household_email = "household.email"
    involvement_until = "involvement.until"  # the partner ended its own part (a date)


class FieldChange(MappingModel):
    """A field of the partner's client record, and where a change to it goes."""

    field: str = Field(min_length=1)
    to: Placement
    label: str | None = Field(default=None, max_length=100, description="Put before the value in a journal entry.")


class Intake(MappingModel):
    """How a partner's client record comes in. A new client becomes a signal in the team's triage queue;
    `newClient: "case"` opens a case for it at once instead, for an organisation with a statutory task of
    its own (`case` then says on what basis). A known client's `changes` are placed on its case, each once."""

    reference: Source = Field(description="The partner's own number for its client.")
    household: HouseholdFields
    signal: SignalFields
    new_client: Literal["signal", "case"] = "signal"
    case: CaseBasis | None = None
    changes: list[FieldChange] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _case_basis_named(self) -> "Intake":
        if self.new_client == "case" and self.case is None:
            raise ValueError("newClient `case` needs `case`: the basis on which the organisation opens it")
        return self


class Take(MappingModel):
    """A value for one of the partner's fields, taken from the event or the record and shaped."""

    from_: str = Field(alias="from", min_length=1, description="A path into the event, or `record.` and the record.")
    codes: dict[str, Any] | None = Field(default=None, description="The partner's code for each value.")
    default: Any = None
    where: dict[str, str] | None = Field(default=None, description="Keep the items whose fields have these values.")
    fields: dict[str, "Output"] | None = Field(default=None, description="The object, or each item, in these fields.")


Output = str | Take
Take.model_rebuild()


class Outgoing(MappingModel):
    """What a partner is sent: one document per event it takes, in its own fields."""

    types: dict[str, str] | None = Field(
        default=None, description="The partner's `soort` for each event type it takes; none: every type as is."
    )
    fields: dict[str, Output]


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


def _date(value: Any) -> date:
    """A date as partner systems write them: ISO (`2026-03-01`) or Dutch (`01-03-2026`)."""
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, "%d-%m-%Y").date()


def _uses(output: Output, prefix: str) -> bool:
    if isinstance(output, str):
        return output.startswith(prefix)
    return output.from_.startswith(prefix)


async def record_as(
    session: AsyncSession, vault: BsnVault, partner: PartnerConfig, case_id: Any, parts: list[str]
) -> dict[str, Any] | None:
    """The whole record as the API would answer the partner's organisation; None where it may not see it."""
    try:
        record = await read_record(session, vault, acting_as(partner), uuid.UUID(str(case_id)), parts, EXPAND_LIMIT)
    except NotFound:
        return None
    return record.model_dump(mode="json", by_alias=True)


class MappedAdapter:
    """What every mapped kind shares: placing a partner's client records on the record (`apply`) and
    rendering events with the record's content in the partner's fields (`render`). A kind adds how it
    reaches the partner: `fetch` and `deliver`."""

    takes_own_changes = False

    def __init__(self, partner: PartnerConfig, intake: Intake, outgoing: Outgoing, vault: BsnVault) -> None:
        self.partner, self.intake, self.outgoing, self.vault = partner, intake, outgoing, vault
        self.reads_record = any(_uses(f, RECORD) for f in outgoing.fields.values())
        self.reads_referrals = any(_uses(f, REFERRALS) for f in outgoing.fields.values())

    def refused(self, change: Change, field: str, reason: str) -> None:
        """Logged by the framework; a kind that can tell the partner (a reject file) says so here."""

    async def remember(self, session: AsyncSession) -> None:
        """A mapped partner's answers hold nothing to keep."""

    async def apply(self, session: AsyncSession, principal: Principal, change: Change) -> None:
        spec, record = self.intake, change.record
        reference = str(_value(spec.reference, record) or "")
        if not reference:
            raise InvalidInput.field("reference", "the partner's record has no number")
        known = await session.get(AdapterReference, (self.partner.name, reference))
        case_id = await self._case_of(session, known, reference)
        if case_id is not None:
            await self._place(session, principal, case_id, known, reference, record)
        elif known is not None:  # still a signal in the team's queue: what it brings waits for the case
            known.waiting, known.waiting_since = record, known.waiting_since or utcnow()
            session.add(known)
        else:
            await self._signal(session, principal, reference, record)

    async def _case_of(self, session: AsyncSession, known: AdapterReference | None, reference: str) -> uuid.UUID | None:
        """The case the partner's client is, once the organisation is involved in it: by its own reference,
        or by the signal it brought in, which the team has taken into a case (then the reference is noted)."""
        organisation = self.partner.organisation_id
        case_id = await case_by_own_reference(session, organisation, reference)
        if case_id is not None or known is None:
            return case_id
        involvement = (
            await session.exec(
                select(Involvement)
                .join(Case, col(Case.id) == Involvement.case_id)
                .where(Case.household_id == known.household_id, open_and_involving(organisation))
            )
        ).first()
        if involvement is None:
            return None
        if involvement.own_reference is None:  # the identity map: this number is this case, from now on
            involvement.own_reference = reference
            session.add(involvement)
        return involvement.case_id

    async def _signal(
        self, session: AsyncSession, principal: Principal, reference: str, record: dict[str, Any]
    ) -> None:
        spec, household = self.intake, self.intake.household
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
                description=str(_value(spec.signal.description, record)),
                resident_aware=True,
            ),
        )
        # What it says now came in with the signal: only what changes after is placed on the case.
        seen = {rule.field: record.get(rule.field) for rule in spec.changes}
        known = AdapterReference(
            partner=self.partner.name, reference=reference, household_id=signal.household_id, signal_id=signal.id
        )
        known.seen = seen
        session.add(known)
        if spec.new_client == "case" and spec.case and await open_case_of(session, signal.household_id) is None:
            await open_case(
                session,
                principal,
                CaseOpen(
                    household_id=signal.household_id,
                    signal_ids=[signal.id],
                    basis=spec.case.basis,
                    basis_reference=spec.case.basis_reference,
                    own_reference=reference,
                ),
            )

    async def _place(
        self,
        session: AsyncSession,
        principal: Principal,
        case_id: uuid.UUID,
        known: AdapterReference | None,
        reference: str,
        record: dict[str, Any],
    ) -> None:
        """Each change to a mapped field, once, where the mapping puts it: through the services, as the
        organisation, so the same rules hold as for its own API calls."""
        seen = dict(known.seen) if known else {}
        for rule in self.intake.changes:
            value = record.get(rule.field)
            if value in (None, "") or seen.get(rule.field) == value:
                continue
            await self._change(session, principal, case_id, rule, value)
            seen[rule.field] = value
        if known is None:
            case = await session.get(Case, case_id)
            if case is None:
                return
            known = AdapterReference(partner=self.partner.name, reference=reference, household_id=case.household_id)
        known.seen, known.waiting, known.waiting_since = seen, {}, None
        session.add(known)

    async def _change(
        self, session: AsyncSession, principal: Principal, case_id: uuid.UUID, rule: FieldChange, value: Any
    ) -> None:
        if rule.to in (Placement.journal, Placement.own_journal):
            visibility = (
                JournalVisibility.all_involved if rule.to == Placement.journal else JournalVisibility.own_organisation
            )
            text = f"{rule.label}: {value}" if rule.label else str(value)
            entry = JournalEntryCreate(kind=JournalKind.note, occurred_at=utcnow(), text=text, visibility=visibility)
            await add_entry(session, principal, case_id, entry)
        elif rule.to in (Placement.household_phone, Placement.household_email):
            # The partner's system holds what its client told it last: that is applied to the current version.
            found = (
                await session.exec(
                    select(Household).join(Case, col(Case.household_id) == Household.id).where(Case.id == case_id)
                )
            ).first()
            name = "phone" if rule.to == Placement.household_phone else "email"
            if found is not None and getattr(found, name) != value:
                correction = HouseholdUpdate.model_validate({name: value})
                await correct_household(session, self.vault, principal, found.id, correction, etag(found.version))
        else:
            own = (
                await session.exec(
                    select(Involvement).where(
                        Involvement.case_id == case_id, Involvement.organisation_id == self.partner.organisation_id
                    )
                )
            ).first()
            if own is not None:
                ended = InvolvementUpdate(until=_date(value))
                await update_involvement(session, principal, case_id, own.id, ended, etag(own.version))

    async def render(self, session: AsyncSession, event: dict[str, Any]) -> dict[str, Any] | None:
        spec = self.outgoing
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
        parts = ["referrals"] if self.reads_referrals else []
        return None if case_id is None else await record_as(session, self.vault, self.partner, case_id, parts)

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
        """The partner's own number for the case: its involvement's reference, or the client it brought in."""
        if case_id is None:
            return None
        statement = select(Involvement.own_reference).where(
            Involvement.case_id == uuid.UUID(str(case_id)),
            Involvement.organisation_id == self.partner.organisation_id,
            col(Involvement.own_reference).is_not(None),
        )
        own = (await session.exec(statement)).first()
        if own is not None:
            return own
        brought_in = (
            select(AdapterReference.reference)
            .join(Case, col(Case.household_id) == AdapterReference.household_id)
            .where(Case.id == uuid.UUID(str(case_id)), AdapterReference.partner == self.partner.name)
        )
        return (await session.exec(brought_in)).first()
