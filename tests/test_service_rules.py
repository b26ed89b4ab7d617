"""The service tier: the record's rules tried through the services themselves, without a server, on both
databases, each test in a transaction that is rolled back (`make test-fast`)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import RolledBack
from wijkregistratie.cases import service as cases
from wijkregistratie.cases.models import Involvement
from wijkregistratie.cases.queries import current_lead, involvement_is_current
from wijkregistratie.cases.schemas import CaseClose, InvolvementCreate, InvolvementUpdate, LeadAssign
from wijkregistratie.core.clock import today
from wijkregistratie.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from wijkregistratie.core.etag import etag
from wijkregistratie.events.service import OUTBOX
from wijkregistratie.signals import triage
from wijkregistratie.signals.schemas import FirstContact, SignalAccept, SignalClaim, SignalDecline, SignalForward
from wijkregistratie.signals.service import get_signal

pytestmark = pytest.mark.fast


def _events(session: Any) -> list[str]:
    """The types of the events this transaction would write at its commit, in order."""
    return [pending.event.type for pending in session.info.get(OUTBOX, [])]


# --- what "today" and "current" mean ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 3, 5, 22, 59, tzinfo=UTC), date(2026, 3, 5)),  # 23:59 in Amsterdam (CET)
        (datetime(2026, 3, 5, 23, 0, tzinfo=UTC), date(2026, 3, 6)),  # midnight in Amsterdam, still the 5th in UTC
        (datetime(2026, 7, 1, 22, 0, tzinfo=UTC), date(2026, 7, 2)),  # midnight in summer time (CEST)
        (datetime(2026, 7, 1, 21, 59, tzinfo=UTC), date(2026, 7, 1)),
    ],
)
def test_a_day_is_a_day_in_the_netherlands(moment: datetime, day: date) -> None:
    assert today(moment) == day


def test_an_involvement_is_current_through_its_last_day(rolled_back: RolledBack[Any]) -> None:
    async def work(session: Any) -> None:
        world = await factories.team(session)
        case, _ = await factories.case(session, world, lead=None)
        ggz = (
            await session.exec(
                select(Involvement).where(
                    Involvement.case_id == case.id, Involvement.organisation_id == world.orgs["ggz"]
                )
            )
        ).one()
        ggz.until = date(2026, 3, 5)
        session.add(ggz)
        await session.flush()

        async def current_on(day: date) -> bool:
            statement = select(Involvement.id).where(Involvement.id == ggz.id, involvement_is_current(day))
            return (await session.exec(statement)).first() is not None

        assert await current_on(date(2026, 3, 5))
        assert not await current_on(date(2026, 3, 6))
        assert await current_on(today(datetime(2026, 3, 5, 22, 30, tzinfo=UTC)))
        assert not await current_on(today(datetime(2026, 3, 5, 23, 30, tzinfo=UTC)))

    rolled_back(work)


# --- the lead professional ------------------------------------------------------------------------


def test_the_first_lead_is_agreed_then_the_lead_hands_over(rolled_back: RolledBack[Any]) -> None:
    async def work(session: Any) -> None:
        world = await factories.team(session)
        case, tag = await factories.case(session, world, lead=None)
        # The team's coordinator assigns the first lead; an involved organisation may not take it, and an
        # organisation not involved does not even see the case.
        with pytest.raises(NotFound):
            await cases.assign_lead(
                session, world.debt, case.id, LeadAssign(professional_id=world.professionals["debt"]), tag
            )
        with pytest.raises(Forbidden):
            await cases.assign_lead(
                session, world.ggz, case.id, LeadAssign(professional_id=world.professionals["ggz"]), tag
            )
        _, version = await cases.assign_lead(
            session, world.coordinator, case.id, LeadAssign(professional_id=world.professionals["ggz"]), tag
        )
        assert "nl.wijkregistratie.lead-professional.changed" in _events(session)
        # The lead organisation hands over to the debt counsellor, whose organisation joins as lead.
        _, version = await cases.assign_lead(
            session, world.ggz, case.id, LeadAssign(professional_id=world.professionals["debt"]), etag(version)
        )
        lead = await current_lead(session, case.id)
        assert lead is not None and lead.organisation_id == world.orgs["debt"]
        involvements = {i.organisation_id: i.role for i in await cases.list_involvements(session, world.debt, case.id)}
        assert involvements[world.orgs["debt"]] == "lead" and involvements[world.orgs["ggz"]] == "carries_out"
        # GGZ no longer leads: it cannot hand over again; the coordinator always can.
        with pytest.raises(Forbidden):
            await cases.assign_lead(
                session, world.ggz, case.id, LeadAssign(professional_id=world.professionals["ggz"]), etag(version)
            )
        with pytest.raises(PreconditionFailed):
            await cases.assign_lead(
                session, world.coordinator, case.id, LeadAssign(professional_id=world.professionals["ggz"]), etag(1)
            )
        _, version = await cases.assign_lead(
            session, world.coordinator, case.id, LeadAssign(professional_id=world.professionals["ggz"]), etag(version)
        )
        record = await cases.get_case_record(session, factories.VAULT, world.coordinator, case.id)
        assert [p.professional.professional_id for p in record.lead_history] == [
            world.professionals["ggz"],
            world.professionals["debt"],
            world.professionals["ggz"],
        ]
        assert [p.ended_at is None for p in record.lead_history] == [False, False, True]

    rolled_back(work)


def test_a_lead_comes_from_the_team_and_is_never_assigned_twice(rolled_back: RolledBack[Any]) -> None:
    async def work(session: Any) -> None:
        world = await factories.team(session)
        case, tag = await factories.case(session, world)
        with pytest.raises(Conflict):
            await cases.assign_lead(
                session, world.coordinator, case.id, LeadAssign(professional_id=world.professionals["ggz"]), tag
            )
        with pytest.raises(InvalidInput):
            await cases.assign_lead(
                session, world.coordinator, case.id, LeadAssign(professional_id=world.orgs["ggz"]), tag
            )

    rolled_back(work)


def test_only_the_lead_or_the_coordinator_closes(rolled_back: RolledBack[Any]) -> None:
    async def work(session: Any) -> None:
        world = await factories.team(session)
        case, tag = await factories.case(session, world)
        await cases.add_involvement(
            session,
            world.coordinator,
            case.id,
            InvolvementCreate(
                organisation_id=world.orgs["debt"], role="consulted", basis="statutory_task", basis_reference="x"
            ),
        )
        with pytest.raises(Forbidden):
            await cases.close_case(
                session, world.debt, case.id, CaseClose(reason="goal_reached", handled_by="team"), tag
            )
        closed = await cases.close_case(
            session,
            world.ggz,
            case.id,
            CaseClose(reason="referred_to_specialist_care", handled_by="specialist_care"),
            tag,
        )
        assert closed.status == "closed" and closed.handled_by == "specialist_care"
        assert await current_lead(session, case.id) is None

    rolled_back(work)


# --- involvements ---------------------------------------------------------------------------------


def test_an_involvement_is_changed_by_its_organisation_or_the_coordinator(rolled_back: RolledBack[Any]) -> None:
    async def work(session: Any) -> None:
        world = await factories.team(session)
        case, _ = await factories.case(session, world)
        debt = await cases.add_involvement(
            session,
            world.coordinator,
            case.id,
            InvolvementCreate(
                organisation_id=world.orgs["debt"], role="consulted", basis="statutory_task", basis_reference="x"
            ),
        )
        with pytest.raises(Forbidden):  # GGZ sees the case, but the involvement is the debt counsellor's
            await cases.update_involvement(
                session, world.ggz, case.id, debt.id, InvolvementUpdate(role="carries_out"), etag(1)
            )
        with pytest.raises(InvalidInput):  # an organisation sets only its own reference
            await cases.update_involvement(
                session, world.coordinator, case.id, debt.id, InvolvementUpdate(own_reference="SH-1"), etag(1)
            )
        changed = await cases.update_involvement(
            session, world.debt, case.id, debt.id, InvolvementUpdate(own_reference="SH-1"), etag(1)
        )
        assert changed.own_reference == "SH-1" and changed.version == 2
        others = {i.organisation_id: i for i in await cases.list_involvements(session, world.ggz, case.id)}
        assert others[world.orgs["debt"]].own_reference is None  # others see that it exists, not its value

    rolled_back(work)


def test_an_organisation_is_involved_once_and_the_lead_stays_while_it_leads(rolled_back: RolledBack[Any]) -> None:
    async def work(session: Any) -> None:
        world = await factories.team(session)
        case, _ = await factories.case(session, world)
        with pytest.raises(Conflict):
            await cases.add_involvement(
                session,
                world.coordinator,
                case.id,
                InvolvementCreate(
                    organisation_id=world.orgs["ggz"], role="consulted", basis="statutory_task", basis_reference="x"
                ),
            )
        ggz = next(i for i in await cases.list_involvements(session, world.ggz, case.id) if i.role == "lead")
        with pytest.raises(Conflict):
            await cases.update_involvement(
                session, world.ggz, case.id, ggz.id, InvolvementUpdate(until=today()), etag(ggz.version)
            )
        with pytest.raises(Conflict):
            await cases.update_involvement(
                session, world.ggz, case.id, ggz.id, InvolvementUpdate(role="consulted"), etag(ggz.version)
            )

    rolled_back(work)


def test_an_ended_involvement_ends_the_sight_of_the_case(rolled_back: RolledBack[Any]) -> None:
    async def work(session: Any) -> None:
        world = await factories.team(session)
        case, _ = await factories.case(session, world)
        debt = await cases.add_involvement(
            session,
            world.coordinator,
            case.id,
            InvolvementCreate(
                organisation_id=world.orgs["debt"],
                role="consulted",
                basis="statutory_task",
                basis_reference="x",
                since=today() - timedelta(days=7),
            ),
        )
        yesterday = today() - timedelta(days=1)
        ended = await cases.update_involvement(
            session, world.debt, case.id, debt.id, InvolvementUpdate(until=yesterday), etag(debt.version)
        )
        assert ended.until == yesterday
        with pytest.raises(NotFound):
            await cases.get_case_record(session, factories.VAULT, world.debt, case.id)
        # Involved again: a new involvement, and a snapshot of the case as it stands for the newcomer.
        await cases.add_involvement(
            session,
            world.coordinator,
            case.id,
            InvolvementCreate(
                organisation_id=world.orgs["debt"], role="consulted", basis="statutory_task", basis_reference="x"
            ),
        )
        # ... and, as it comes to organisations already involved, a match with each of them.
        told = _events(session)
        found = "nl.wijkregistratie.match.found"
        assert [e for e in told if e != found][-2:] == [
            "nl.wijkregistratie.case.snapshot",
            "nl.wijkregistratie.involvement.started",
        ]
        assert told[-1] == found
        assert (await cases.get_case_record(session, factories.VAULT, world.debt, case.id)).id == case.id

    rolled_back(work)


# --- triage ----------------------------------------------------------------------------------------


def test_triage_moves_a_signal_on_once(rolled_back: RolledBack[Any]) -> None:
    async def work(session: Any) -> None:
        world = await factories.team(session)
        signal = await factories.signal(session, world.housing, world.id)
        with pytest.raises(Forbidden):  # the reporter sees its signal, but triage is the coordinator's
            await triage.claim(
                session, world.housing, signal.id, SignalClaim(professional_ids=[world.professionals["ggz"]]), etag(1)
            )
        with pytest.raises(InvalidInput):
            await triage.claim(
                session, world.coordinator, signal.id, SignalClaim(professional_ids=[world.orgs["ggz"]]), etag(1)
            )
        with pytest.raises(PreconditionRequired):  # a change names the version it saw
            await triage.claim(
                session, world.coordinator, signal.id, SignalClaim(professional_ids=[world.professionals["ggz"]]), None
            )
        claimed = await triage.claim(
            session, world.coordinator, signal.id, SignalClaim(professional_ids=[world.professionals["ggz"]]), etag(1)
        )
        assert claimed.status == "in_triage" and claimed.version == 2
        with pytest.raises(PreconditionFailed):
            await triage.decline(session, world.coordinator, signal.id, SignalDecline(reason="Dubbel."), etag(1))
        accepted = await triage.accept(session, world.coordinator, signal.id, SignalAccept(), etag(2))
        assert accepted.status == "accepted" and accepted.case_id is not None
        for settle in (
            triage.accept(session, world.coordinator, signal.id, SignalAccept(), None),
            triage.decline(session, world.coordinator, signal.id, SignalDecline(reason="Te laat."), None),
            triage.forward(
                session,
                world.coordinator,
                signal.id,
                SignalForward(organisation_id=world.orgs["debt"], reason="x"),
                None,
            ),
        ):
            with pytest.raises(Conflict):
                await settle
        actions = [a.action for a in await triage.actions(session, world.coordinator, signal.id)]
        assert actions == ["claimed", "accepted"]

    rolled_back(work)


def test_a_second_signal_joins_the_open_case(rolled_back: RolledBack[Any]) -> None:
    async def work(session: Any) -> None:
        world = await factories.team(session)
        first = await factories.signal(session, world.housing, world.id)
        opened = await triage.accept(session, world.coordinator, first.id, SignalAccept(), etag(1))
        household = {"id": first.household_id}
        second = await factories.signal(session, world.coordinator, world.id, household=household, source="school")
        joined = await triage.accept(session, world.coordinator, second.id, SignalAccept(), etag(1))
        assert joined.case_id == opened.case_id

    rolled_back(work)


def test_first_contact_is_recorded_once_by_those_who_took_it_up(rolled_back: RolledBack[Any]) -> None:
    async def work(session: Any) -> None:
        world = await factories.team(session)
        signal = await factories.signal(session, world.housing, world.id)
        with pytest.raises(InvalidInput):  # not before registration, not in the future
            await triage.record_first_contact(
                session, world.coordinator, signal.id, FirstContact(contacted_on=today() + timedelta(days=1)), None
            )
        with pytest.raises(Forbidden):
            await triage.record_first_contact(
                session, world.housing, signal.id, FirstContact(contacted_on=today()), None
            )
        await triage.claim(
            session, world.coordinator, signal.id, SignalClaim(professional_ids=[world.professionals["debt"]]), etag(1)
        )
        recorded = await triage.record_first_contact(
            session, world.debt, signal.id, FirstContact(contacted_on=today()), etag(2)
        )
        assert recorded.first_contact_on == today()
        with pytest.raises(Conflict):
            await triage.record_first_contact(
                session, world.coordinator, signal.id, FirstContact(contacted_on=today()), None
            )

    rolled_back(work)


def test_a_forwarded_signal_is_its_receivers_to_see(rolled_back: RolledBack[Any]) -> None:
    async def work(session: Any) -> None:
        world = await factories.team(session)
        signal = await factories.signal(session, world.housing, world.id)
        with pytest.raises(NotFound):
            await get_signal(session, world.debt, signal.id)
        await triage.forward(
            session,
            world.coordinator,
            signal.id,
            SignalForward(organisation_id=world.orgs["debt"], reason="Alleen geld."),
            etag(1),
        )
        assert (await get_signal(session, world.debt, signal.id)).status == "forwarded"

    rolled_back(work)
