"""What a caller may do beyond seeing: who steers a case, changes an involvement, triages a signal,
edits the directory, and which fields of what it sees it is shown.

Each rule is named for what it decides and refuses with 403 (the caller may see the thing, so saying
that it may not do this leaks nothing) or 400 for a field it may not set.
"""

import uuid
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.cases.models import Case, Involvement
from wijkregistratie.cases.queries import current_lead
from wijkregistratie.core.codes import ReferralStatus
from wijkregistratie.core.errors import Forbidden, InvalidInput
from wijkregistratie.core.identifiers import area_codes_cover
from wijkregistratie.core.security import Principal
from wijkregistratie.matches.models import Match
from wijkregistratie.professionals.models import Professional, TeamMembership
from wijkregistratie.professionals.queries import still_working
from wijkregistratie.referrals.models import Referral
from wijkregistratie.signals.models import Signal, SignalAssignment
from wijkregistratie.teams.models import Team
from wijkregistratie.teams.queries import current_membership


class CaseAction(StrEnum):
    change_record = "change the record of"
    assign_lead = "assign the lead professional of"
    close = "close"


def is_coordinator(principal: Principal, team_id: uuid.UUID) -> bool:
    return team_id in principal.coordinated_team_ids


def require_coordinator(principal: Principal, team_id: uuid.UUID, what: str = "do this") -> None:
    if not is_coordinator(principal, team_id):
        raise Forbidden(f"Only the coordinator of the team may {what}.")


async def require_case_permission(session: AsyncSession, principal: Principal, case: Case, action: CaseAction) -> None:
    """Beyond seeing a case: who may steer it. The coordinator of its team always may, and alone assigns the
    first lead (the team decides who leads); every involved organisation contributes to the record; the
    lead organisation hands over and closes."""
    if is_coordinator(principal, case.team_id) or action is CaseAction.change_record:
        return
    lead = await current_lead(session, case.id)
    lead_organisation = lead.organisation_id if lead else None
    if lead_organisation is None and action is CaseAction.assign_lead:
        raise Forbidden("The team's coordinator assigns the first lead professional of a case.")
    if action is CaseAction.assign_lead and lead_organisation == principal.organisation_id:
        return
    if action is CaseAction.close and lead_organisation == principal.organisation_id:
        return
    raise Forbidden(f"Only the team's coordinator or the lead organisation may {action.value} this case.")


async def may_register_in(session: AsyncSession, principal: Principal, team: Team, buurt_code: str | None) -> bool:
    """A signal goes to a team the caller coordinates, or to a team its organisation takes part in whose
    area holds the household's neighbourhood. An organisation in no team registers nothing."""
    if is_coordinator(principal, team.id):
        return True
    if buurt_code is None or not area_codes_cover(team.area_codes, buurt_code):
        return False
    return await current_membership(session, team.id, principal.organisation_id) is not None


async def require_involvement_adder(
    session: AsyncSession, principal: Principal, case: Case, organisation_id: uuid.UUID
) -> None:
    """The team's coordinator may involve any organisation; an organisation involved in the case may bring
    in another organisation of the team. Organisations outside the team come in through a referral they
    accept, on a basis of their own."""
    if is_coordinator(principal, case.team_id):
        return
    member = await current_membership(session, case.team_id, organisation_id)
    if member is None:
        raise Forbidden("Only the team's coordinator involves an organisation from outside the team; refer to it.")


def require_involvement_change(principal: Principal, case: Case, involvement: Involvement) -> None:
    if involvement.organisation_id != principal.organisation_id and not is_coordinator(principal, case.team_id):
        raise Forbidden("Only the organisation itself or the team's coordinator may change an involvement.")


def require_own_reference(principal: Principal, organisation_id: uuid.UUID) -> None:
    """An organisation's own reference for a household is set by that organisation only."""
    if organisation_id != principal.organisation_id:
        raise InvalidInput.field("ownReference", "an organisation sets only its own reference")


def sees_own_reference(principal: Principal, involvement: Involvement) -> bool:
    """Others see that an organisation has its own reference for the household, not its value."""
    return involvement.organisation_id == principal.organisation_id


async def require_first_contact_recorder(session: AsyncSession, principal: Principal, signal: Signal) -> None:
    """The coordinator, or the organisation of a professional who took the signal up."""
    if is_coordinator(principal, signal.team_id):
        return
    statement = (
        select(Professional.organisation_id)
        .join(SignalAssignment, col(SignalAssignment.professional_id) == Professional.id)
        .where(SignalAssignment.signal_id == signal.id)
    )
    if principal.organisation_id not in set((await session.exec(statement)).all()):
        raise Forbidden("Only the coordinator or the professionals who took the signal up record contact.")


async def require_self_claimer(session: AsyncSession, principal: Principal, signal: Signal) -> uuid.UUID:
    """A professional takes a signal up themselves: one who works in the signal's team and has not left."""
    professional_id = principal.actor_professional_id
    if professional_id is None:
        raise Forbidden("A professional takes a signal up; this token acts for no professional.")
    statement = (
        select(Professional.id)
        .join(TeamMembership, col(TeamMembership.professional_id) == Professional.id)
        .where(
            Professional.id == professional_id,
            Professional.organisation_id == principal.organisation_id,
            TeamMembership.team_id == signal.team_id,
            still_working(),
        )
    )
    if (await session.exec(statement)).first() is None:
        raise Forbidden("Only a professional of the signal's team who has not left takes it up.")
    return professional_id


def require_referral_step(principal: Principal, referral: Referral, status: ReferralStatus) -> None:
    """The receiver takes each step of a referral; the sending side may only cancel it."""
    receiver = principal.organisation_id == referral.to_organisation_id
    if status == ReferralStatus.cancelled and receiver:
        raise Forbidden("The sending side cancels a referral; the receiver rejects it.")
    if status != ReferralStatus.cancelled and not receiver:
        raise Forbidden("Only the organisation referred to takes this step.")


def sees_match_signal(principal: Principal, match: Match) -> bool:
    """Which signal made a match is told to the organisation that made it and the team's coordinator."""
    return principal.organisation_id == match.organisation_id or is_coordinator(principal, match.team_id)


def sees_bsn(principal: Principal) -> bool:
    return principal.has("bsn:read")


def require_service_editor(principal: Principal, organisation_id: uuid.UUID) -> None:
    """An organisation edits its own entries in the service directory; an administrator anyone's."""
    if principal.has("admin"):
        return
    if not principal.has("record:write") or principal.organisation_id != organisation_id:
        raise Forbidden("An organisation edits only its own services.")


def require_professional_registrar(principal: Principal, organisation_id: uuid.UUID) -> None:
    """Organisations register their own staff; only an administrator registers anyone's."""
    if principal.has("admin"):
        return
    if not principal.has("record:write"):
        raise Forbidden("This operation needs the scope record:write.")
    if organisation_id != principal.organisation_id:
        raise Forbidden("You may register professionals of your own organisation only.")
