from typing import Annotated

from fastapi import APIRouter, Path, Response

from wijkregistratie.cases.queries import case_subject
from wijkregistratie.core.database import Session
from wijkregistratie.core.etag import WITH_ETAG, IfMatch, IfNoneMatch, versioned
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.paths import CaseId
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import Reader, Writer
from wijkregistratie.plans import service
from wijkregistratie.plans.schemas import PlanContent, PlanRead, PlanVersionSummary

router = APIRouter(
    prefix=API_PREFIX + "/cases/{caseId}/plan",
    tags=["Plans"],
    route_class=route_class(personal=True, subject=case_subject),
)


@router.get(
    "",
    summary="Read the current plan",
    description="The household's current plan: goals per life domain in its own words, activities and who "
    "carries them out, its own network, help already present, and the agreed and evaluation dates.",
    responses=errors(404) | WITH_ETAG,
)
async def get_plan(session: Session, principal: Reader, case_id: CaseId, response: Response) -> PlanRead:
    return versioned(response, await service.get_plan(session, principal, case_id))


@router.put(
    "",
    summary="Save the plan",
    description="Saves the plan as a new version; earlier versions stay readable. The first plan is saved "
    "with `If-None-Match: *` (412 if another organisation saved one first); every later change names the "
    "current version in `If-Match`, so two organisations never overwrite each other unseen.",
    responses=errors(404, 409, 412, 428) | WITH_ETAG,
)
async def save_plan(
    session: Session,
    principal: Writer,
    case_id: CaseId,
    body: PlanContent,
    response: Response,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> PlanRead:
    saved = await service.save_plan(session, principal, case_id, body, if_match, if_none_match)
    return versioned(response, saved)


@router.get(
    "/versions",
    summary="List the plan's versions",
    description="Every version of the plan, oldest first, with when and by whom it was saved.",
    responses=errors(404),
)
async def list_plan_versions(session: Session, principal: Reader, case_id: CaseId) -> list[PlanVersionSummary]:
    return await service.list_versions(session, principal, case_id)


@router.get(
    "/versions/{version}",
    summary="Read an earlier version of the plan",
    description="One version of the plan as it was saved.",
    responses=errors(404) | WITH_ETAG,
)
async def get_plan_version(
    session: Session,
    principal: Reader,
    case_id: CaseId,
    version: Annotated[int, Path(ge=1, le=1_000_000, description="The version number.")],
    response: Response,
) -> PlanRead:
    return versioned(response, await service.get_version(session, principal, case_id, version))
