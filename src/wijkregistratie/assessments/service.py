"""Self-sufficiency assessments. Instruments and their domains are data (instruments.json), not code."""

import json
import uuid
from functools import cache
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import CaseAction, require_case_permission
from wijkregistratie.access.visibility import visible_case
from wijkregistratie.assessments.models import Assessment, AssessmentChange
from wijkregistratie.assessments.schemas import (
    AssessmentCreate,
    AssessmentRead,
    AssessmentTrend,
    DomainScore,
    DomainTrend,
    Instrument,
    InstrumentDomain,
    TrendPoint,
)
from wijkregistratie.core.clock import today
from wijkregistratie.core.codes import AssessmentKind
from wijkregistratie.core.errors import InvalidInput, NotFound
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import case_event
from wijkregistratie.professionals.models import Professional


@cache
def instruments() -> tuple[Instrument, ...]:
    data = json.loads((Path(__file__).parent / "instruments.json").read_text(encoding="utf-8"))
    return tuple(
        Instrument(
            code=i["code"],
            version=i["version"],
            name=i["name"],
            domains=[InstrumentDomain(**d) for d in i["domains"]],
            scores=data["scores"],
        )
        for i in data["instruments"]
    )


def _instrument(code: str, version: str) -> Instrument:
    for instrument in instruments():
        if (instrument.code, instrument.version) == (code, version):
            return instrument
    raise InvalidInput.field("instrumentVersion", f"no instrument {code} {version} is known")


async def add_assessment(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: AssessmentCreate
) -> AssessmentRead:
    case = await visible_case(session, principal, case_id)
    await require_case_permission(session, principal, case, CaseAction.change_record)
    if data.kind == AssessmentKind.measured and data.assessed_on > today():
        raise InvalidInput.field("assessedOn", "a measurement is taken on a day that has come; a target may lie ahead")
    domains = {d.code for d in _instrument(data.instrument, data.instrument_version).domains}
    seen: set[str] = set()
    for index, score in enumerate(data.scores):
        if score.domain not in domains:
            raise InvalidInput.field(f"scores[{index}].domain", "not a domain of this instrument")
        if score.domain in seen:
            raise InvalidInput.field(f"scores[{index}].domain", "each domain once")
        seen.add(score.domain)
    if data.assessor_professional_id and await session.get(Professional, data.assessor_professional_id) is None:
        raise InvalidInput.field("assessorProfessionalId", "unknown professional")
    assessment = Assessment(
        case_id=case.id,
        instrument=data.instrument,
        instrument_version=data.instrument_version,
        kind=data.kind,
        assessed_on=data.assessed_on,
        assessor_professional_id=data.assessor_professional_id,
        scores={s.domain: s.score for s in data.scores},
        organisation_id=principal.organisation_id,
    )
    session.add(assessment)
    if data.kind == AssessmentKind.measured:
        await _keep_changes(session, assessment)
    data_changed = {
        "assessmentId": assessment.id,
        "instrument": assessment.instrument,
        "instrumentVersion": assessment.instrument_version,
        "kind": assessment.kind,
        "assessedOn": assessment.assessed_on,
    }
    await case_event(session, EventType.assessment_recorded, case, principal, data_changed)
    return _read(assessment)


async def _keep_changes(session: AsyncSession, assessment: Assessment) -> None:
    """Move each scored domain's first or latest measurement along, for the figures."""
    for domain, score in assessment.scores.items():
        key = (assessment.case_id, assessment.instrument_version, domain)
        change = await session.get(AssessmentChange, key)
        if change is None:
            session.add(
                AssessmentChange(
                    case_id=assessment.case_id,
                    instrument_version=assessment.instrument_version,
                    domain=domain,
                    first_on=assessment.assessed_on,
                    first_score=score,
                    latest_on=assessment.assessed_on,
                    latest_score=score,
                )
            )
            continue
        if assessment.assessed_on >= change.latest_on:
            change.latest_on, change.latest_score = assessment.assessed_on, score
        if assessment.assessed_on < change.first_on:
            change.first_on, change.first_score = assessment.assessed_on, score
        change.measurements += 1
        session.add(change)


async def _assessments(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[Assessment]:
    case = await visible_case(session, principal, case_id)
    statement = (
        select(Assessment)
        .where(Assessment.case_id == case.id)
        .order_by(col(Assessment.assessed_on), col(Assessment.created_at), col(Assessment.id))
    )
    return list((await session.exec(statement)).all())


async def list_assessments(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[AssessmentRead]:
    return [_read(a) for a in await _assessments(session, principal, case_id)]


async def get_assessment(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, assessment_id: uuid.UUID
) -> AssessmentRead:
    found = next((a for a in await _assessments(session, principal, case_id) if a.id == assessment_id), None)
    if found is None:
        raise NotFound("No assessment with this id exists in this case.")
    return _read(found)


async def trend(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[AssessmentTrend]:
    """Per instrument and domain: the measured scores over time, the latest target and the change."""
    by_instrument: dict[tuple[str, str], list[Assessment]] = {}
    for assessment in await _assessments(session, principal, case_id):
        by_instrument.setdefault((assessment.instrument, assessment.instrument_version), []).append(assessment)
    trends = []
    for (code, version), assessments in by_instrument.items():
        domains = []
        for domain in _instrument(code, version).domains:
            measured = [
                TrendPoint(assessed_on=a.assessed_on, score=a.scores[domain.code])
                for a in assessments
                if a.kind == AssessmentKind.measured and domain.code in a.scores
            ]
            targets = [
                TrendPoint(assessed_on=a.assessed_on, score=a.scores[domain.code])
                for a in assessments
                if a.kind == AssessmentKind.target and domain.code in a.scores
            ]
            if measured or targets:
                change = measured[-1].score - measured[0].score if len(measured) > 1 else None
                domains.append(
                    DomainTrend(
                        domain=domain.code, measured=measured, target=targets[-1] if targets else None, change=change
                    )
                )
        trends.append(AssessmentTrend(instrument=code, instrument_version=version, domains=domains))
    return trends


def _read(assessment: Assessment) -> AssessmentRead:
    return AssessmentRead.model_validate(
        assessment.model_dump(exclude={"scores"})
        | {"scores": [DomainScore(domain=d, score=s) for d, s in assessment.scores.items()]}
    )
