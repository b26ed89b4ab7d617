"""Reminders: what comes due is announced once, as an event, so partner systems and team apps can tell
the people concerned. Each item is remembered with the day it came due; a plan evaluation moved to a new
date is announced again on that date."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.visibility import organisations_seeing_case, organisations_seeing_signal
from wijkregistratie.core.clock import today
from wijkregistratie.core.job import Job, JobContext
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import emit
from wijkregistratie.referrals.models import Referral
from wijkregistratie.signals.models import Signal
from wijkregistratie.teams.models import Team
from wijkregistratie.worklists.models import Reminder
from wijkregistratie.worklists.schemas import DueKind
from wijkregistratie.worklists.service import Due, due_in_team

HOUR = 3600.0
ANNOUNCED_AS = {
    DueKind.evaluation_due: EventType.plan_evaluation_due,
    DueKind.activity_due: EventType.plan_activity_due,
    DueKind.first_contact_due: EventType.signal_first_contact_due,
    DueKind.referral_unanswered: EventType.referral_unanswered,
}


async def announce_due(session: AsyncSession) -> int:
    """Announce everything that has come due and was not announced for that day yet; how many were."""
    announced = 0
    on = today()
    for team in (await session.exec(select(Team))).all():
        for due in await due_in_team(session, team, on, None):
            if await _remembered(session, due):
                continue
            await _announce(session, team, due)
            announced += 1
    return announced


async def _remembered(session: AsyncSession, due: Due) -> bool:
    statement = select(Reminder.id).where(
        Reminder.kind == due.item.kind, Reminder.item_key == due.key, Reminder.due_on == due.item.due_on
    )
    return (await session.exec(statement)).first() is not None


async def _announce(session: AsyncSession, team: Team, due: Due) -> None:
    item = due.item
    session.add(Reminder(kind=item.kind, item_key=due.key, due_on=item.due_on))
    data = {
        "kind": item.kind,
        "dueOn": item.due_on,
        "caseId": item.case_id,
        "signalId": item.signal_id,
        "referralId": item.referral_id,
        "householdId": item.household_id,
        "professionalId": item.professional_id,
        "goal": due.activity[0] if due.activity else None,
        "activity": due.activity[1] if due.activity else None,
    }
    if item.case_id is not None:
        recipients = await organisations_seeing_case(session, item.case_id)
        if item.referral_id is not None:  # the receiver that has not answered is told too
            referral = (await session.exec(select(Referral).where(Referral.id == item.referral_id))).one()
            recipients.add(referral.to_organisation_id)
    else:
        signal = (await session.exec(select(Signal).where(Signal.id == item.signal_id))).one()
        recipients = await organisations_seeing_signal(session, signal)
    emit(
        session,
        ANNOUNCED_AS[item.kind],
        data,
        recipients=recipients,
        case_id=item.case_id,
        signal_id=item.signal_id,
        team_id=team.id,
    )


async def _run(context: JobContext) -> bool:
    async with context.sessions() as session:
        await announce_due(session)
        try:
            await session.commit()
        except IntegrityError:  # another worker announced the same items first
            await session.rollback()
    return False


def jobs(context: JobContext) -> list[Job]:
    return [Job("worklists.reminders", HOUR, _run)]
