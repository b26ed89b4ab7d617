import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from wijkregistratie.assessments import service
from wijkregistratie.assessments.schemas import AssessmentCreate, AssessmentRead, AssessmentTrend, Instrument
from wijkregistratie.cases.queries import case_subject
from wijkregistratie.core.database import Session
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.paths import CaseId
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import Authenticated, Reader, Writer

AssessmentId = Annotated[uuid.UUID, Path(alias="assessmentId", description="The assessment's id.")]

router = APIRouter(
    prefix=API_PREFIX, tags=["Assessments"], route_class=route_class(personal=True, subject=case_subject)
)


@router.get(
    "/assessment-instruments",
    summary="List assessment instruments",
    description="The self-sufficiency instruments with their domains and the meaning of each score: ZRM 2013 "
    "(11 domains) and ZRM 2017 (13 domains). A code list, kept as data.",
)
@declare(personal=False)
async def list_instruments(_principal: Authenticated) -> list[Instrument]:
    return list(service.instruments())


@router.post(
    "/cases/{caseId}/assessments",
    status_code=201,
    summary="Record an assessment",
    description="A measured or target self-sufficiency score (1 to 5) at a date, on **only the domains that "
    "matter**: a domain the instrument does not have, or a score outside 1 to 5, is refused.",
    responses=errors(404),
)
async def add_assessment(
    session: Session, principal: Writer, case_id: CaseId, body: AssessmentCreate, response: Response
) -> AssessmentRead:
    assessment = await service.add_assessment(session, principal, case_id, body)
    response.headers["Location"] = f"{API_PREFIX}/cases/{case_id}/assessments/{assessment.id}"
    return assessment


@router.get(
    "/cases/{caseId}/assessments",
    summary="List a case's assessments",
    description="Every assessment of the case, oldest first.",
    responses=errors(404),
)
async def list_assessments(session: Session, principal: Reader, case_id: CaseId) -> list[AssessmentRead]:
    return await service.list_assessments(session, principal, case_id)


@router.get(
    "/cases/{caseId}/assessments/trend",
    summary="Read the trend of the scores",
    description="Per instrument and domain: the measured scores over time, the latest target, and the change "
    "between the first and the latest measurement.",
    responses=errors(404),
)
async def assessment_trend(session: Session, principal: Reader, case_id: CaseId) -> list[AssessmentTrend]:
    return await service.trend(session, principal, case_id)


# After `/trend`, which would otherwise be read as an assessment's id.
@router.get(
    "/cases/{caseId}/assessments/{assessmentId}",
    summary="Read an assessment",
    description="One assessment of the case, with its scores.",
    responses=errors(404),
)
async def get_assessment(
    session: Session, principal: Reader, case_id: CaseId, assessment_id: AssessmentId
) -> AssessmentRead:
    return await service.get_assessment(session, principal, case_id, assessment_id)
