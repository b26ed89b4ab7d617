"""Self-sufficiency assessments. Instruments and their domains are data an administrator keeps, not code."""

import uuid
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import CaseAction, require_case_permission
from wijkregistratie.access.visibility import visible_case
from wijkregistratie.assessments.models import Assessment, AssessmentChange, AssessmentInstrument
from wijkregistratie.assessments.schemas import (
    AssessmentCreate,
    AssessmentRead,
    AssessmentTrend,
    DomainScore,
    DomainTrend,
    Instrument,
    InstrumentCreate,
    InstrumentDomain,
    InstrumentRetire,
    TrendPoint,
)
from wijkregistratie.core.clock import today
from wijkregistratie.core.codes import AssessmentKind
from wijkregistratie.core.errors import Conflict, InvalidInput, NotFound
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import case_event, directory_event
from wijkregistratie.professionals.models import Professional

# The instrument the figures' change in self-sufficiency is measured with; its first and latest scores per
# case and domain are kept as they come in (other instruments' are read from the assessments themselves).
FIGURES_INSTRUMENT = ("zrm", "2017")


async def list_instruments(session: AsyncSession) -> list[Instrument]:
    statement = select(AssessmentInstrument).order_by(col(AssessmentInstrument.code), col(AssessmentInstrument.version))
    return [Instrument.model_validate(i) for i in (await session.exec(statement)).all()]


async def _stored(session: AsyncSession, code: str, version: str) -> AssessmentInstrument | None:
    return await session.get(AssessmentInstrument, (code, version))


async def get_instrument(session: AsyncSession, code: str, version: str) -> Instrument:
    instrument = await _stored(session, code, version)
    if instrument is None:
        raise NotFound(f"No instrument {code} {version} exists.")
    return Instrument.model_validate(instrument)


async def instrument_domains(session: AsyncSession, code: str, version: str) -> list[InstrumentDomain]:
    instrument = await _stored(session, code, version)
    return [InstrumentDomain(**d) for d in instrument.domains] if instrument else []


async def create_instrument(session: AsyncSession, data: InstrumentCreate) -> Instrument:
    if await _stored(session, data.code, data.version) is not None:
        raise Conflict(f"Instrument {data.code} {data.version} exists; a changed instrument is a new version.")
    instrument = AssessmentInstrument(**data.model_dump(mode="json"))
    session.add(instrument)
    await session.flush()
    await directory_event(
        session, EventType.instrument_registered, {"code": instrument.code, "version": instrument.version}
    )
    return Instrument.model_validate(instrument)


async def retire_instrument(session: AsyncSession, code: str, version: str, data: InstrumentRetire) -> Instrument:
    instrument = await _stored(session, code, version)
    if instrument is None:
        raise NotFound(f"No instrument {code} {version} exists.")
    if instrument.retired_on is not None:
        raise Conflict(f"Instrument {code} {version} was retired on {instrument.retired_on.isoformat()}.")
    instrument.retired_on = data.retired_on or today()
    session.add(instrument)
    await directory_event(
        session,
        EventType.instrument_retired,
        {"code": code, "version": version, "retiredOn": instrument.retired_on},
    )
    return Instrument.model_validate(instrument)


async def _instrument_for(session: AsyncSession, code: str, version: str, on: date) -> AssessmentInstrument:
    """The instrument an assessment is taken with on a day: one that exists and was not retired by then."""
    instrument = await _stored(session, code, version)
    if instrument is None:
        raise InvalidInput.field("instrumentVersion", f"no instrument {code} {version} is known")
    if instrument.retired_on is not None and on >= instrument.retired_on:
        raise InvalidInput.field(
            "instrumentVersion", f"{code} {version} is retired from {instrument.retired_on.isoformat()}"
        )
    return instrument


async def add_assessment(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: AssessmentCreate
) -> AssessmentRead:
    case = await visible_case(session, principal, case_id)
    await require_case_permission(session, principal, case, CaseAction.change_record)
    if data.kind == AssessmentKind.measured and data.assessed_on > today():
        raise InvalidInput.field("assessedOn", "a measurement is taken on a day that has come; a target may lie ahead")
    instrument = await _instrument_for(session, data.instrument, data.instrument_version, data.assessed_on)
    domains = {d["code"] for d in instrument.domains}
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
    if data.kind == AssessmentKind.measured and (data.instrument, data.instrument_version) == FIGURES_INSTRUMENT:
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
        for domain in await instrument_domains(session, code, version):
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
