import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from wijkregistratie.assessments import service
from wijkregistratie.assessments.schemas import (
    AssessmentCreate,
    AssessmentRead,
    AssessmentTrend,
    Instrument,
    InstrumentCreate,
    InstrumentRetire,
)
from wijkregistratie.cases.queries import case_subject
from wijkregistratie.core.database import Session
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.paths import CaseId
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import Admin, Authenticated, Reader, Writer

InstrumentCode = Annotated[str, Path(max_length=40, description="The instrument's code, e.g. `zrm`.")]
InstrumentVersion = Annotated[str, Path(max_length=20, description="The instrument's version, e.g. `2017`.")]
AssessmentId = Annotated[uuid.UUID, Path(alias="assessmentId", description="The assessment's id.")]

router = APIRouter(
    prefix=API_PREFIX, tags=["Assessments"], route_class=route_class(personal=True, subject=case_subject)
)


@router.get(
    "/assessment-instruments",
    summary="List assessment instruments",
    description="The self-sufficiency instruments in each version, with their domains, the meaning of each "
    "score and, for a retired one, the day it was retired: ZRM 2013 (11 domains) and ZRM 2017 (13 domains) "
    "to begin with, and whatever the administrator adds.",
)
@declare(personal=False)
async def list_instruments(session: Session, _principal: Authenticated) -> list[Instrument]:
    return await service.list_instruments(session)


@router.post(
    "/assessment-instruments",
    status_code=201,
    summary="Add an assessment instrument",
    description="Adds an instrument, or a new version of one, with its domains (each code once) and the "
    "meaning of each score 1 to 5. A version, once added, does not change: assessments keep the version they "
    "were taken with. Needs the `admin` scope; an existing code and version answers 409.",
    responses=errors(409),
)
@declare(personal=False, logged=True)
async def create_instrument(
    session: Session, _principal: Admin, body: InstrumentCreate, response: Response
) -> Instrument:
    instrument = await service.create_instrument(session, body)
    response.headers["Location"] = f"{API_PREFIX}/assessment-instruments/{instrument.code}/{instrument.version}"
    return instrument


@router.get(
    "/assessment-instruments/{code}/{version}",
    summary="Read an assessment instrument",
    description="One version of an instrument with its domains and the meaning of each score.",
    responses=errors(404),
)
@declare(personal=False)
async def get_instrument(
    session: Session, _principal: Authenticated, code: InstrumentCode, version: InstrumentVersion
) -> Instrument:
    return await service.get_instrument(session, code, version)


@router.post(
    "/assessment-instruments/{code}/{version}/retire",
    summary="Retire an assessment instrument",
    description="From `retiredOn` (today when left out) no new assessment is taken with this version; those "
    "taken before keep it and its trend stays readable. Once only (409). Needs the `admin` scope.",
    responses=errors(404, 409),
)
@declare(personal=False, logged=True)
async def retire_instrument(
    session: Session, _principal: Admin, code: InstrumentCode, version: InstrumentVersion, body: InstrumentRetire
) -> Instrument:
    return await service.retire_instrument(session, code, version, body)


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
