"""What every table holds about households, how it is reached from a person, and what erasure does to it.

Every table is either listed in `PERSONAL_TABLES` or in `NOT_PERSONAL` with the reason; a test fails for a
table that is neither, so a new table cannot be left out of the export or the erasure.
"""

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Table, or_
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.cases.models import Case
from wijkregistratie.referrals.models import Referral
from wijkregistratie.signals.models import Signal


class Erase(StrEnum):
    delete = "delete"  # the rows go
    empty = "empty"  # the row stays for the figures (and the feed's numbering); its personal data goes
    keep = "keep"  # kept on purpose: the reason is given with the table


@dataclass(frozen=True)
class PersonalTable:
    # (column, key): the column holds one of the ids under that key, see `Reach`.
    links: tuple[tuple[str, str], ...]
    erase: Erase
    emptied: dict[str, Any] = field(default_factory=dict)  # column -> what takes its place when emptied
    reason: str = ""  # why it is kept


# In the order erasure works through them: rows that point at others go before the rows they point at.
PERSONAL_TABLES: dict[str, PersonalTable] = {
    # Answers kept for a retry: they show the file, so they go with it.
    "idempotency_keys": PersonalTable((("household_id", "household"), ("case_id", "cases")), Erase.delete),
    "referral_status_changes": PersonalTable((("referral_id", "referrals"),), Erase.delete),
    "referrals": PersonalTable((("case_id", "cases"),), Erase.delete),
    "attachments": PersonalTable((("case_id", "cases"),), Erase.delete),
    "journal_entries": PersonalTable((("case_id", "cases"),), Erase.delete),
    "plan_versions": PersonalTable((("case_id", "cases"),), Erase.delete),
    "assessments": PersonalTable((("case_id", "cases"),), Erase.delete),
    "lead_assignments": PersonalTable((("case_id", "cases"),), Erase.delete),
    "involvements": PersonalTable((("case_id", "cases"),), Erase.delete),
    "matches": PersonalTable((("household_id", "household"),), Erase.delete),
    "triage_actions": PersonalTable((("signal_id", "signals"),), Erase.delete),
    "signal_assignments": PersonalTable((("signal_id", "signals"),), Erase.delete),
    "adapter_references": PersonalTable((("household_id", "household"), ("signal_id", "signals")), Erase.delete),
    "adapter_resources": PersonalTable((("case_id", "cases"),), Erase.delete),
    "consents": PersonalTable((("member_id", "person"),), Erase.delete),
    "household_corrections": PersonalTable((("household_id", "household"),), Erase.delete),
    "members": PersonalTable((("id", "person"),), Erase.delete),
    "events": PersonalTable((("case_id", "cases"), ("signal_id", "signals")), Erase.empty, {"data": {}}),
    "signals": PersonalTable(
        (("household_id", "household"),), Erase.empty, {"description": "", "triage_reason": None, "reporter": None}
    ),
    "cases": PersonalTable((("household_id", "household"),), Erase.empty, {"learning_note": None}),
    "households": PersonalTable(
        (("id", "household"),),
        Erase.empty,
        # The neighbourhood code stays: the figures count per neighbourhood.
        {
            "postcode": "",
            "house_number": 0,
            "house_number_addition": "",
            "street": None,
            "city": None,
            "phone": None,
            "email": None,
        },
    ),
    "assessment_changes": PersonalTable(
        (("case_id", "cases"),),
        Erase.keep,
        reason="first and latest score per life domain of a case, no person: the figures' change in self-sufficiency",
    ),
    "access_log": PersonalTable(
        (("household_id", "household"),),
        Erase.keep,
        reason="NEN 7513: who looked at the file is kept for five years, the erasure itself included",
    ),
}
NOT_PERSONAL: dict[str, str] = {
    "organisations": "the directory of organisations",
    "municipalities": "the municipalities the deployment serves",
    "teams": "the directory of teams",
    "team_organisations": "which organisation works in which team",
    "professionals": "professionals' work contact details, the directory",
    "team_memberships": "which professional works in which team",
    "services": "the service directory",
    "api_clients": "partner systems' credentials",
    "figure_rollups": "counts without persons",
    "figure_lead_times": "counts without persons",
    "figure_refreshes": "when the counts were rebuilt",
    "webhook_subscriptions": "organisations' callback addresses",
    "webhook_deliveries": "event ids and delivery states; the content is the event's",
    "event_recipients": "event numbers and organisations",
    "adapter_checkpoints": "partner systems' positions",
    "erasures": "when a household's file was erased, on what grounds, and how many rows: no content",
    "reminders": "which due items were announced, by id and day: no content",
    "assessment_instruments": "the self-sufficiency instruments and their domains, a code list",
}


@dataclass
class Reach:
    """The ids through which the personal tables are found: the people, their household, and its cases,
    signals and referrals."""

    person: list[uuid.UUID]
    household: list[uuid.UUID]
    cases: list[uuid.UUID]
    signals: list[uuid.UUID]
    referrals: list[uuid.UUID]

    def condition(self, table: Table, entry: PersonalTable) -> ColumnElement[bool] | None:
        """The rows of `table` about these ids, or None when there are none."""
        conditions = [table.c[column].in_(getattr(self, key)) for column, key in entry.links if getattr(self, key)]
        return or_(*conditions) if conditions else None


async def reach(session: AsyncSession, household_id: uuid.UUID, person: list[uuid.UUID]) -> Reach:
    cases = list((await session.exec(select(Case.id).where(Case.household_id == household_id))).all())
    signals = list((await session.exec(select(Signal.id).where(Signal.household_id == household_id))).all())
    statement = select(Referral.id).where(col(Referral.case_id).in_(cases))
    referrals = list((await session.exec(statement)).all()) if cases else []
    return Reach(person=person, household=[household_id], cases=cases, signals=signals, referrals=referrals)


def table(name: str) -> Table:
    return SQLModel.metadata.tables[name]
