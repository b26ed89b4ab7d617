"""Factories for the service tier: a neighbourhood team made through the services themselves, with a
principal for each role, so a rule can be tried without a server."""

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.cases import service as cases
from wijkregistratie.cases.schemas import CaseOpen, CaseSummary, InvolvementCreate, LeadAssign
from wijkregistratie.core.etag import etag
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.security import Principal
from wijkregistratie.core.settings import Settings
from wijkregistratie.households.schemas import Address, MemberCreate
from wijkregistratie.organisations.schemas import OrganisationCreate
from wijkregistratie.organisations.service import create_organisation
from wijkregistratie.professionals.schemas import ProfessionalCreate
from wijkregistratie.professionals.service import create_professional
from wijkregistratie.signals import service as signals
from wijkregistratie.signals.schemas import HouseholdReference, SignalCreate, SignalRegistered
from wijkregistratie.teams.schemas import TeamCreate
from wijkregistratie.teams.service import create_team

VAULT = BsnVault(Settings())
ADMIN = Principal(client_id="admin", organisation_id=uuid.uuid4(), scopes=frozenset({"admin"}))
_numbers = itertools.count(1)


def principal(organisation_id: uuid.UUID, *, coordinates: uuid.UUID | None = None, **extra: Any) -> Principal:
    return Principal(
        client_id=f"client-{uuid.uuid4().hex[:8]}",
        organisation_id=organisation_id,
        scopes=frozenset({"record:read", "record:write"}),
        coordinated_team_ids=frozenset({coordinates} if coordinates else set()),
        **extra,
    )


@dataclass
class Team:
    """A team in WK059901 with four organisations, one professional each, and a coordinator."""

    id: uuid.UUID
    orgs: dict[str, uuid.UUID]
    professionals: dict[str, uuid.UUID]
    coordinator: Principal
    housing: Principal
    ggz: Principal
    debt: Principal
    outsider: Principal  # an organisation in no team


async def team(session: AsyncSession) -> Team:
    orgs = {}
    for role, kind in [
        ("housing", "housing_corporation"),
        ("ggz", "mental_health_care"),
        ("debt", "debt_assistance"),
        ("social", "social_work"),
        ("outsider", "youth_care"),
    ]:
        created = await create_organisation(session, OrganisationCreate(name=f"{role} org", kind=kind))
        orgs[role] = created.id
    members = [orgs[r] for r in ("housing", "ggz", "debt", "social")]
    created_team = await create_team(
        session,
        TeamCreate(name="Buurtteam", municipality_code="GM0599", area_codes=["WK059901"], organisation_ids=members),
    )
    professionals = {}
    for role in ("ggz", "debt", "social"):
        professional = await create_professional(
            session,
            ADMIN,
            ProfessionalCreate(
                organisation_id=orgs[role],
                name=f"Professional {role}",
                expertise=["finances"],
                team_ids=[created_team.id],
            ),
        )
        professionals[role] = professional.id
    return Team(
        id=created_team.id,
        orgs=orgs,
        professionals=professionals,
        coordinator=principal(orgs["social"], coordinates=created_team.id),
        housing=principal(orgs["housing"]),
        ggz=principal(orgs["ggz"]),
        debt=principal(orgs["debt"]),
        outsider=principal(orgs["outsider"]),
    )


def new_household() -> HouseholdReference:
    number = next(_numbers)
    return HouseholdReference(
        address=Address(postcode="3072AB", house_number=number, buurt_code="BU05990101"),
        members=[MemberCreate(surname="Jansen", given_names="Anouk", date_of_birth="1986-04-17")],
    )


async def signal(session: AsyncSession, by: Principal, team_id: uuid.UUID, **overrides: Any) -> SignalRegistered:
    body = {
        "household": new_household(),
        "team_id": team_id,
        "source": "housing_corporation",
        "life_domains": ["finances"],
        "description": "Huurachterstand.",
        "resident_aware": True,
    } | overrides
    return await signals.register_signal(session, VAULT, by, SignalCreate(**body))


async def case(session: AsyncSession, world: Team, *, lead: str | None = "ggz") -> tuple[CaseSummary, str]:
    """A case opened by the coordinator from a housing signal, GGZ involved and (by default) leading.
    Answers the case and its current ETag."""
    registered = await signal(session, world.housing, world.id)
    opened = await cases.open_case(
        session,
        world.coordinator,
        CaseOpen(
            household_id=registered.household_id,
            signal_ids=[registered.id],
            basis="statutory_task",
            basis_reference="Wmo 2015",
        ),
    )
    await cases.add_involvement(
        session,
        world.coordinator,
        opened.id,
        InvolvementCreate(
            organisation_id=world.orgs["ggz"], role="carries_out", basis="statutory_task", basis_reference="Wmo"
        ),
    )
    version = opened.version
    if lead:
        _, version = await cases.assign_lead(
            session, world.coordinator, opened.id, LeadAssign(professional_id=world.professionals[lead]), etag(version)
        )
    return opened, etag(version)
