import uuid
from collections.abc import Collection

from sqlalchemy import and_, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import CaseAction, require_case_permission
from wijkregistratie.access.visibility import visible_case
from wijkregistratie.cases.models import Case
from wijkregistratie.core.codes import CaseStatus
from wijkregistratie.core.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from wijkregistratie.core.etag import check_preconditions
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import case_event
from wijkregistratie.households.models import Member
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.plans.models import PlanVersion
from wijkregistratie.plans.schemas import PerformerKind, PlanContent, PlanRead, PlanVersionSummary
from wijkregistratie.professionals.models import Professional


async def current_plan(session: AsyncSession, case_id: uuid.UUID) -> PlanVersion | None:
    statement = select(PlanVersion).where(PlanVersion.case_id == case_id).order_by(col(PlanVersion.version).desc())
    return (await session.exec(statement.limit(1))).first()


async def current_plans(session: AsyncSession, case_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, PlanVersion]:
    """The current plan of each of many cases, in one query."""
    latest = (
        select(PlanVersion.case_id, func.max(PlanVersion.version).label("version"))
        .where(col(PlanVersion.case_id).in_(case_ids))
        .group_by(col(PlanVersion.case_id))
        .subquery()
    )
    statement = select(PlanVersion).join(
        latest, and_(col(PlanVersion.case_id) == latest.c.case_id, col(PlanVersion.version) == latest.c.version)
    )
    return {plan.case_id: plan for plan in (await session.exec(statement)).all()}


def plan_read(version: PlanVersion) -> PlanRead:
    return PlanRead.model_validate(
        version.content
        | {
            "case_id": version.case_id,
            "version": version.version,
            "created_at": version.created_at,
            "created_by_organisation_id": version.created_by_organisation_id,
            "created_by_professional_id": version.created_by_professional_id,
        }
    )


async def get_plan(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> PlanRead:
    await visible_case(session, principal, case_id)
    plan = await current_plan(session, case_id)
    if plan is None:
        raise NotFound("This case has no plan yet.")
    return plan_read(plan)


async def save_plan(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    content: PlanContent,
    if_match: str | None,
    if_none_match: str | None = None,
) -> PlanRead:
    """Every change is a new version; earlier versions stay readable."""
    case = await visible_case(session, principal, case_id)
    await require_case_permission(session, principal, case, CaseAction.change_record)
    if case.status == CaseStatus.closed:
        raise Conflict("The case is closed; its plan can no longer change.")
    current = await current_plan(session, case_id)
    check_preconditions(if_match, if_none_match, current.version if current else None)
    await _check_references(session, case, content)
    version = PlanVersion(
        case_id=case_id,
        version=(current.version + 1) if current else 1,
        content=content.model_dump(mode="json"),
        created_by_organisation_id=principal.organisation_id,
        created_by_professional_id=principal.actor_professional_id,
    )
    session.add(version)
    try:
        await session.flush()
    except IntegrityError as exc:
        # Another writer saved the same version number first.
        raise PreconditionFailed("The plan changed while you were saving; reload and retry.") from exc
    await case_event(session, EventType.plan_updated, case, principal, {"version": version.version})
    return plan_read(version)


async def list_versions(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[PlanVersionSummary]:
    await visible_case(session, principal, case_id)
    statement = select(PlanVersion).where(PlanVersion.case_id == case_id).order_by(col(PlanVersion.version))
    return [PlanVersionSummary.model_validate(v) for v in (await session.exec(statement)).all()]


async def get_version(session: AsyncSession, principal: Principal, case_id: uuid.UUID, number: int) -> PlanRead:
    await visible_case(session, principal, case_id)
    statement = select(PlanVersion).where(PlanVersion.case_id == case_id, PlanVersion.version == number)
    version = (await session.exec(statement)).first()
    if version is None:
        raise NotFound("This plan has no such version.")
    return plan_read(version)


async def _check_references(session: AsyncSession, case: Case, content: PlanContent) -> None:
    members = set((await session.exec(select(Member.id).where(Member.household_id == case.household_id))).all())
    for g, goal in enumerate(content.goals):
        for a, activity in enumerate(goal.activities):
            performer = activity.performer
            where = f"goals[{g}].activities[{a}].performer"
            if performer.kind == PerformerKind.member and performer.member_id not in members:
                raise InvalidInput.field(f"{where}.memberId", "not a member of this household")
            if performer.kind == PerformerKind.professional and (
                performer.professional_id is None or await session.get(Professional, performer.professional_id) is None
            ):
                raise InvalidInput.field(f"{where}.professionalId", "unknown professional")
            if performer.kind == PerformerKind.organisation and (
                performer.organisation_id is None or await session.get(Organisation, performer.organisation_id) is None
            ):
                raise InvalidInput.field(f"{where}.organisationId", "unknown organisation")
