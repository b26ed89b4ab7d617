"""The questions other parts of the record ask about cases, each answered by one statement here.

Need-to-know, matches, referrals, adapters and the case service itself ask these; none writes its own.
"""

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from wijkregistratie.cases.models import Case, Involvement, LeadAssignment
from wijkregistratie.core.clock import today
from wijkregistratie.core.codes import CaseStatus
from wijkregistratie.core.route_facts import Subject, path_ids
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.professionals.models import Professional
from wijkregistratie.professionals.queries import still_working


def involvement_is_current(on: date | None = None) -> ColumnElement[bool]:
    """An involvement is current from its start until and including its last day (`until`), as counted in
    the Netherlands; without `until` it has no end yet. The one meaning of "involved", everywhere."""
    return or_(col(Involvement.until).is_(None), col(Involvement.until) >= (on or today()))


def open_and_involving(organisation_id: uuid.UUID) -> ColumnElement[bool]:
    """For a statement joining `Case` and its `Involvement`s: the case is open, and the organisation is
    involved in it now."""
    return and_(
        col(Case.status) != CaseStatus.closed,
        col(Involvement.organisation_id) == organisation_id,
        involvement_is_current(),
    )


def is_involved(organisation_id: uuid.UUID) -> ColumnElement[bool]:
    """Correlated with `Case`: the organisation is currently involved in it. An EXISTS rather than IN, so
    beside an OR PostgreSQL looks each candidate up in an index instead of materialising them all."""
    return (
        select(Involvement.id)
        .where(
            Involvement.case_id == Case.id,
            Involvement.organisation_id == organisation_id,
            involvement_is_current(),
        )
        .exists()
    )


async def current_involvements(session: AsyncSession, case_id: uuid.UUID) -> list[tuple[Involvement, Organisation]]:
    """The involvements of a case that are current today, oldest first, with their organisations."""
    statement = (
        select(Involvement, Organisation)
        .join(Organisation, col(Organisation.id) == Involvement.organisation_id)
        .where(Involvement.case_id == case_id, involvement_is_current())
        .order_by(col(Involvement.since), col(Involvement.created_at), col(Involvement.id))
    )
    return list((await session.exec(statement)).all())


async def involved_organisations(session: AsyncSession, case_id: uuid.UUID) -> set[uuid.UUID]:
    statement = select(Involvement.organisation_id).where(Involvement.case_id == case_id, involvement_is_current())
    return set((await session.exec(statement)).all())


async def current_involvement(
    session: AsyncSession, case_id: uuid.UUID, organisation_id: uuid.UUID
) -> Involvement | None:
    statement = select(Involvement).where(
        Involvement.case_id == case_id, Involvement.organisation_id == organisation_id, involvement_is_current()
    )
    return (await session.exec(statement)).first()


def cases_by_own_reference(organisation_id: uuid.UUID, reference: str) -> SelectOfScalar[uuid.UUID]:
    """The identity map: the case an organisation's own reference for a household points at now."""
    return select(Involvement.case_id).where(
        Involvement.organisation_id == organisation_id,
        Involvement.own_reference == reference,
        involvement_is_current(),
    )


async def case_by_own_reference(session: AsyncSession, organisation_id: uuid.UUID, reference: str) -> uuid.UUID | None:
    return (await session.exec(cases_by_own_reference(organisation_id, reference))).first()


async def open_case_of(session: AsyncSession, household_id: uuid.UUID) -> Case | None:
    statement = select(Case).where(Case.household_id == household_id, Case.status != CaseStatus.closed)
    return (await session.exec(statement)).first()


def led_by(professional_id: uuid.UUID) -> ColumnElement[bool]:
    """Correlated with `Case`: the professional leads it now."""
    return (
        select(LeadAssignment.id)
        .where(
            LeadAssignment.case_id == Case.id,
            LeadAssignment.professional_id == professional_id,
            col(LeadAssignment.ended_at).is_(None),
        )
        .exists()
    )


def led_by_someone_who_left() -> ColumnElement[bool]:
    """Correlated with `Case`: its current lead professional has left, so the coordinator must hand it over."""
    return (
        select(LeadAssignment.id)
        .join(Professional, col(Professional.id) == LeadAssignment.professional_id)
        .where(LeadAssignment.case_id == Case.id, col(LeadAssignment.ended_at).is_(None), ~still_working())
        .exists()
    )


async def current_lead(session: AsyncSession, case_id: uuid.UUID) -> LeadAssignment | None:
    statement = select(LeadAssignment).where(LeadAssignment.case_id == case_id, col(LeadAssignment.ended_at).is_(None))
    return (await session.exec(statement)).first()


async def case_subject(session: AsyncSession, params: Mapping[str, Any]) -> Subject:
    """For the access log: an address naming a case is about that case and its household."""
    (case_id,) = path_ids(params, "caseId")
    case = await session.get(Case, case_id) if case_id else None
    return Subject(case_id=case_id, household_id=case.household_id if case else None)
