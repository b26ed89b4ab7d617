"""The household's rights: see everything held about a person, and have the file erased.

Handling such a request is a role of its own (the `rights:handle` scope, typically the municipality's
privacy desk), not a matter of being involved in the case."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from wijkregistratie.core.database import Session
from wijkregistratie.core.errors import NotFound
from wijkregistratie.core.identifiers import Vault
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.paths import HouseholdId
from wijkregistratie.core.purpose import Purpose
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import RightsOfficer
from wijkregistratie.households.queries import household_subject
from wijkregistratie.privacy import export
from wijkregistratie.privacy.erasure import Grounds, erase_household
from wijkregistratie.privacy.models import Erasure
from wijkregistratie.privacy.schemas import ErasureRead, ErasureRequest, PersonExport

router = APIRouter(
    prefix=f"{API_PREFIX}/households",
    tags=["Household rights"],
    route_class=route_class(personal=True, subject=household_subject),
)
MemberId = Annotated[uuid.UUID, Path(alias="memberId", description="The person.")]
ErasureId = Annotated[uuid.UUID, Path(alias="erasureId", description="The erasure's receipt.")]


@router.get(
    "/{householdId}/members/{memberId}/export",
    response_model=PersonExport,
    summary="Export everything held about a person",
    description="The right of access (AVG art. 15): in one answer, every row about the person, their household "
    "and its cases and signals, from every table that holds personal data — including every organisation's "
    "journal notes and the access log of the file. For the officer who handles households' requests: needs "
    "the `rights:handle` scope, states the purpose `household_request`, and is logged.",
    responses=errors(404),
)
@declare(purposes=(Purpose.household_request,))
async def export_person(
    session: Session, _officer: RightsOfficer, vault: Vault, household_id: HouseholdId, member_id: MemberId
) -> PersonExport:
    return PersonExport.model_validate(await export.export_person(session, vault, household_id, member_id))


@router.post(
    "/{householdId}/erasures",
    status_code=201,
    summary="Erase a household's file",
    description="The right to erasure (AVG art. 17; Jeugdwet art. 7.3.9): the household's members, consents, "
    "plans, journal, assessments, referrals, files and matches are deleted; its cases and signals stay only "
    "as rows without personal data, so the figures do not change. The access log of the file is kept (NEN "
    "7513), this erasure included. The organisations that held the file get `household.erased`. Refused "
    "(409) while the household has an open case or a signal in triage. Needs the `rights:handle` scope; the "
    "answer is the receipt.",
    responses=errors(404, 409),
)
@declare(action="erase")
async def erase(
    session: Session, officer: RightsOfficer, household_id: HouseholdId, body: ErasureRequest, response: Response
) -> ErasureRead:
    erasure = await erase_household(
        session, household_id, Grounds.request, principal=officer, request_reference=body.request_reference
    )
    response.headers["Location"] = f"{API_PREFIX}/households/{household_id}/erasures/{erasure.id}"
    return ErasureRead.model_validate(erasure)


@router.get(
    "/{householdId}/erasures/{erasureId}",
    summary="Read the receipt of an erasure",
    description="When the household's file was erased, on what grounds and how many rows: no content. For "
    "the officer who handles households' requests (`rights:handle`).",
    responses=errors(404),
)
@declare(purposes=(Purpose.household_request,))
async def get_erasure(
    session: Session, _officer: RightsOfficer, household_id: HouseholdId, erasure_id: ErasureId
) -> ErasureRead:
    erasure = await session.get(Erasure, erasure_id)
    if erasure is None or erasure.household_id != household_id:
        raise NotFound("No erasure with this id exists for this household.")
    return ErasureRead.model_validate(erasure)
