"""Indicators for the municipality, computed in SQL from the registration itself.

Every figure is an aggregate over a selection (a team, or a CBS area, and a period); counts leave the
database already grouped, and every number passes disclosure control before it is published.
"""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, DateTime, String, and_, case, cast, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import Select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.assessments.models import AssessmentChange
from wijkregistratie.assessments.service import instruments
from wijkregistratie.cases.models import Case
from wijkregistratie.core.codes import (
    CaseStatus,
    ClosureReason,
    HandledBy,
    LifeDomain,
    SignalSource,
    SignalStatus,
)
from wijkregistratie.core.errors import InvalidInput
from wijkregistratie.figures.disclosure import (
    MIN_RATE_DENOMINATOR,
    ROUND_TO,
    SECRET_BELOW,
    Cell,
    CellStatus,
    protect,
    protect_breakdown,
    protect_group,
    rate,
)
from wijkregistratie.figures.schemas import DisclosureRules, FigureCell, Figures, Indicator, Selection
from wijkregistratie.households.models import Household
from wijkregistratie.signals.models import Signal
from wijkregistratie.teams.models import Team

# Typed column collections of the tables the figures read.
SG = Signal.__table__.c  # type: ignore[attr-defined]
CS = Case.__table__.c  # type: ignore[attr-defined]
HH = Household.__table__.c  # type: ignore[attr-defined]
TM = Team.__table__.c  # type: ignore[attr-defined]
AC = AssessmentChange.__table__.c  # type: ignore[attr-defined]

INDICATORS = {
    "signals-by-source": "Signals by source",
    "signals-by-life-domain": "Signals by life domain",
    "first-contact-within-target": "First contact within the team's target",
    "waiting-list": "Open signals by age in days (the waiting list)",
    "cases": "Cases opened, active at the end, and closed",
    "cases-closed-by-reason": "Cases closed, by reason",
    "handled-by": "Closed cases handled by the team or referred to specialist care",
    "lead-time": "Days from first signal to closure",
    "organisations-per-case": "Organisations involved per active case",
    "self-sufficiency-change": "Change in self-sufficiency between first and latest assessment",
}
AGE_BUCKETS = [(0, 3, "0-3"), (4, 7, "4-7"), (8, 14, "8-14"), (15, 30, "15-30"), (31, None, "31+")]
PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class Scope:
    team_id: uuid.UUID | None
    area_code: str | None
    start: datetime
    end: datetime  # exclusive

    def in_area(self, buurt_code: Any) -> ColumnElement[bool] | None:
        """Rows whose neighbourhood lies in the area: a BU code starts with the digits of its WK and GM codes."""
        if self.area_code is None:
            return None
        condition: ColumnElement[bool] = buurt_code.like(f"BU{self.area_code[2:]}%")
        return condition


def parse_period(value: str, today: date) -> tuple[date, date]:
    """`2026`, `2026-Q2`, `2026-03`, or an interval of those: `2026-01/2026-03`. Returns first and last day."""
    parts = value.split("/")
    if len(parts) > 2:
        raise InvalidInput.field("period", "a period, or two periods separated by '/'")
    starts, ends = [], []
    for part in parts:
        match = PERIOD.match(part)
        if match is None:
            raise InvalidInput.field("period", "use a year (2026), quarter (2026-Q2) or month (2026-03)")
        year = int(match["year"])
        if match["quarter"]:
            first_month, months = 3 * int(match["quarter"]) - 2, 3
        elif match["month"]:
            first_month, months = int(match["month"]), 1
        else:
            first_month, months = 1, 12
        start = date(year, first_month, 1)
        after = date(year + (first_month + months - 1) // 12, (first_month + months - 1) % 12 + 1, 1)
        starts.append(start)
        ends.append(after - timedelta(days=1))
    start, end = starts[0], ends[-1]
    if end < start:
        raise InvalidInput.field("period", "the period ends before it begins")
    if start > today:
        raise InvalidInput.field("period", "the period lies in the future")
    return start, end


def _days_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[Any]:
    """Days from `earlier` to `later` (dates or timestamps), in the database's own arithmetic."""
    if dialect == "postgresql":
        moment = DateTime(timezone=True)
        return func.extract("epoch", cast(later, moment) - cast(earlier, moment)) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def _in_scope(statement: Select[Any], scope: Scope, table: Any) -> Select[Any]:
    """Signals and cases keep their team and neighbourhood, so the scope needs no join."""
    if scope.team_id:
        statement = statement.where(table.team_id == scope.team_id)
    if (area := scope.in_area(table.buurt_code)) is not None:
        statement = statement.where(area)
    return statement


def _cells(keys: Sequence[str], cells: Sequence[Cell]) -> list[FigureCell]:
    return [
        FigureCell(key=k, label=k.replace("_", " ").capitalize(), value=c.value, status=c.status)
        for k, c in zip(keys, cells, strict=True)
    ]


def _derived(key: str, label: str, value: float | None) -> FigureCell:
    """A share or mean, published only when disclosure control let it be computed."""
    return FigureCell(
        key=key,
        label=label,
        value=value,
        status=CellStatus.published if value is not None else CellStatus.suppressed,
    )


def _total(cell: Cell) -> FigureCell:
    return FigureCell(key="total", label="Total", value=cell.value, status=cell.status)


async def signals_by_source(session: AsyncSession, scope: Scope) -> Indicator:
    statement = _in_scope(
        select(SG.source, func.count()).where(SG.registered_at >= scope.start, SG.registered_at < scope.end),
        scope,
        SG,
    ).group_by(SG.source)
    counts = dict((await session.exec(statement)).all())  # type: ignore[call-overload]
    keys = [s.value for s in SignalSource]
    total, cells = protect_breakdown([int(counts.get(k, 0)) for k in keys])
    return Indicator(
        code="signals-by-source",
        title=INDICATORS["signals-by-source"],
        unit="count",
        total=_total(total),
        cells=_cells(keys, cells),
    )


def _names_domain(dialect: str, domain: str) -> ColumnElement[bool]:
    if dialect == "postgresql":  # JSONB containment, without turning every row into text
        contains: ColumnElement[bool] = type_coerce(SG.life_domains, JSONB).contains([domain])
        return contains
    # Codes are whole quoted words in the JSON text, so a text match is exact.
    return cast(SG.life_domains, String).like(f'%"{domain}"%')


async def signals_by_life_domain(session: AsyncSession, scope: Scope, dialect: str) -> Indicator:
    # A signal may name several domains, so these cells overlap and have no total to subtract from.
    keys = [d.value for d in LifeDomain]
    columns = [func.sum(case((_names_domain(dialect, k), 1), else_=0)) for k in keys]
    statement = _in_scope(
        select(*columns).where(SG.registered_at >= scope.start, SG.registered_at < scope.end),
        scope,
        SG,
    )
    row = (await session.exec(statement)).one()  # type: ignore[call-overload]
    cells = [protect(int(v or 0)) for v in row]
    return Indicator(
        code="signals-by-life-domain",
        title=INDICATORS["signals-by-life-domain"],
        unit="count",
        cells=_cells(keys, cells),
    )


async def first_contact(session: AsyncSession, scope: Scope, dialect: str, today: date) -> Indicator:
    """Of the signals whose deadline has come (or that had contact), the share reached within the target."""
    registered_on = func.date(SG.registered_at)
    waited = _days_between(dialect, SG.first_contact_on, registered_on)
    waiting = _days_between(dialect, func.date(today.isoformat()), registered_on)
    due = or_(SG.first_contact_on.is_not(None), waiting > TM.first_contact_target_days)
    within = and_(SG.first_contact_on.is_not(None), waited <= TM.first_contact_target_days)
    statement = _in_scope(
        select(func.sum(case((due, 1), else_=0)), func.sum(case((within, 1), else_=0)))
        .join(Team, TM.id == SG.team_id)
        .where(SG.registered_at >= scope.start, SG.registered_at < scope.end),
        scope,
        SG,
    )
    measured, on_time = (int(v or 0) for v in (await session.exec(statement)).one())  # type: ignore[call-overload]
    total, cells = protect_group(measured, [on_time, measured - on_time])
    share = rate(cells[0], total)
    return Indicator(
        code="first-contact-within-target",
        title=INDICATORS["first-contact-within-target"],
        unit="count",
        total=_total(total),
        cells=[
            *_cells(["within_target", "late_or_not_yet"], cells),
            _derived("share_within_target", "Share within target (%)", share),
        ],
    )


async def waiting_list(session: AsyncSession, scope: Scope, dialect: str, today: date) -> Indicator:
    age = _days_between(dialect, func.date(today.isoformat()), func.date(SG.registered_at))
    columns = [
        func.sum(case((and_(age >= low, age <= high) if high is not None else age >= low, 1), else_=0))
        for low, high, _ in AGE_BUCKETS
    ]
    statement = _in_scope(
        select(*columns).where(
            SG.status.in_([SignalStatus.open, SignalStatus.in_triage]), SG.registered_at < scope.end
        ),
        scope,
        SG,
    )
    row = (await session.exec(statement)).one()  # type: ignore[call-overload]
    total, cells = protect_breakdown([int(v or 0) for v in row])
    return Indicator(
        code="waiting-list",
        title=INDICATORS["waiting-list"],
        unit="count",
        total=_total(total),
        cells=_cells([label for _, _, label in AGE_BUCKETS], cells),
    )


def _cases(scope: Scope, *columns: Any) -> Select[Any]:
    return _in_scope(select(*columns), scope, CS)


def _closed_in(scope: Scope) -> ColumnElement[bool]:
    return and_(CS.status == CaseStatus.closed, CS.closed_at >= scope.start, CS.closed_at < scope.end)


async def cases_overview(session: AsyncSession, scope: Scope) -> Indicator:
    active_at_end = and_(CS.opened_at < scope.end, or_(CS.closed_at.is_(None), CS.closed_at >= scope.end))
    opened = and_(CS.opened_at >= scope.start, CS.opened_at < scope.end)
    statement = _cases(
        scope,
        func.sum(case((opened, 1), else_=0)),
        func.sum(case((active_at_end, 1), else_=0)),
        func.sum(case((_closed_in(scope), 1), else_=0)),
    )
    row = (await session.exec(statement)).one()  # type: ignore[call-overload]
    return Indicator(
        code="cases",
        title=INDICATORS["cases"],
        unit="count",
        cells=_cells(["opened", "active_at_end", "closed"], [protect(int(v or 0)) for v in row]),
    )


async def closed_by_reason(session: AsyncSession, scope: Scope) -> Indicator:
    statement = _cases(scope, CS.closure_reason, func.count()).where(_closed_in(scope)).group_by(CS.closure_reason)
    counts = dict((await session.exec(statement)).all())  # type: ignore[call-overload]
    keys = [r.value for r in ClosureReason]
    total, cells = protect_breakdown([int(counts.get(k, 0)) for k in keys])
    return Indicator(
        code="cases-closed-by-reason",
        title=INDICATORS["cases-closed-by-reason"],
        unit="count",
        total=_total(total),
        cells=_cells(keys, cells),
    )


async def handled_by(session: AsyncSession, scope: Scope) -> Indicator:
    statement = _cases(scope, CS.handled_by, func.count()).where(_closed_in(scope)).group_by(CS.handled_by)
    counts = dict((await session.exec(statement)).all())  # type: ignore[call-overload]
    keys = [h.value for h in HandledBy]
    total, cells = protect_breakdown([int(counts.get(k, 0)) for k in keys])
    share = rate(cells[0], total)
    return Indicator(
        code="handled-by",
        title=INDICATORS["handled-by"],
        unit="count",
        total=_total(total),
        cells=[
            *_cells(keys, cells),
            _derived("share_team", "Share handled by the team (%)", share),
        ],
    )


async def lead_time(session: AsyncSession, scope: Scope, dialect: str) -> Indicator:
    """Median and 80th percentile of the days from the first signal to closure, over enough cases only."""
    days = _days_between(dialect, CS.closed_at, func.coalesce(CS.first_signal_at, CS.opened_at)).label("days")
    base = _cases(scope, days).where(_closed_in(scope))
    count = int(await session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    cells = []
    for key, fraction in (("median", 0.5), ("p80", 0.8)):
        if count < MIN_RATE_DENOMINATOR:
            cells.append(_derived(key, key, None))
            continue
        if dialect == "postgresql":
            picked = await session.scalar(
                _cases(scope, func.percentile_disc(fraction).within_group(days)).where(_closed_in(scope))
            )
        else:  # picked by position, as SQLite has no percentile function
            picked = await session.scalar(base.order_by(days).offset(max(0, round(fraction * count) - 1)).limit(1))
        cells.append(_derived(key, key, round(float(picked), 1)))
    return Indicator(
        code="lead-time", title=INDICATORS["lead-time"], unit="days", total=_total(protect(count)), cells=cells
    )


async def organisations_per_case(session: AsyncSession, scope: Scope) -> Indicator:
    active = and_(CS.opened_at < scope.end, or_(CS.closed_at.is_(None), CS.closed_at >= scope.start))
    n = CS.organisations_involved
    statement = _cases(
        scope,
        func.sum(case((n <= 1, 1), else_=0)),
        func.sum(case((n == 2, 1), else_=0)),
        func.sum(case((n == 3, 1), else_=0)),
        func.sum(case((n >= 4, 1), else_=0)),
        func.avg(n),
        func.count(),
    ).where(active)
    *buckets, mean, count = (await session.exec(statement)).one()  # type: ignore[call-overload]
    total, cells = protect_breakdown([int(v or 0) for v in buckets])
    enough = mean is not None and count >= MIN_RATE_DENOMINATOR
    mean_cell = _derived("mean", "Mean", round(float(mean), 1) if enough else None)
    return Indicator(
        code="organisations-per-case",
        title=INDICATORS["organisations-per-case"],
        unit="count",
        total=_total(total),
        cells=[*_cells(["1", "2", "3", "4+"], cells), mean_cell],
    )


async def self_sufficiency_change(session: AsyncSession, scope: Scope) -> Indicator:
    """Per domain, of the cases measured at least twice: improved, unchanged, worsened, and the mean change."""
    change = AC.latest_score - AC.first_score
    columns = (
        AC.domain,
        func.sum(case((change > 0, 1), else_=0)),
        func.sum(case((change == 0, 1), else_=0)),
        func.sum(case((change < 0, 1), else_=0)),
        func.avg(change),
        func.count(),
    )
    joined = select(*columns).select_from(Case).join(AssessmentChange, AC.case_id == CS.id)
    statement = _in_scope(
        joined.where(
            AC.instrument_version == "2017",
            AC.measurements >= 2,
            CS.opened_at < scope.end,
            or_(CS.closed_at.is_(None), CS.closed_at >= scope.start),
        ),
        scope,
        CS,
    ).group_by(AC.domain)
    rows = {r[0]: r[1:] for r in (await session.exec(statement)).all()}  # type: ignore[call-overload]
    cells: list[FigureCell] = []
    domains = next(i for i in instruments() if i.version == "2017").domains
    for domain in domains:
        improved, same, worse, mean, count = rows.get(domain.code, (0, 0, 0, None, 0))
        _, parts = protect_group(int(count), [int(improved), int(same), int(worse)])
        cells += [
            FigureCell(key=f"{domain.code}.{k}", label=f"{domain.name}: {k}", value=c.value, status=c.status)
            for k, c in zip(("improved", "unchanged", "worsened"), parts, strict=True)
        ]
        enough = mean is not None and count >= MIN_RATE_DENOMINATOR
        cells.append(
            _derived(
                f"{domain.code}.mean_change", f"{domain.name}: mean change", round(float(mean), 2) if enough else None
            )
        )
    return Indicator(
        code="self-sufficiency-change", title=INDICATORS["self-sufficiency-change"], unit="count", cells=cells
    )


async def compute(
    session: AsyncSession,
    team_id: uuid.UUID | None,
    area_code: str | None,
    area_code_year: int | None,
    period: str,
    wanted: Sequence[str],
) -> Figures:
    today = date.today()
    unknown = [w for w in wanted if w not in INDICATORS]
    if unknown:
        raise InvalidInput.field("indicator", f"unknown indicator '{unknown[0]}'; known: {', '.join(INDICATORS)}")
    if team_id is not None and await session.get(Team, team_id) is None:
        raise InvalidInput.field("teamId", "unknown team")
    start_day, end_day = parse_period(period, today)
    scope = Scope(
        team_id=team_id,
        area_code=area_code,
        start=datetime.combine(start_day, time.min, UTC),
        end=datetime.combine(end_day + timedelta(days=1), time.min, UTC),
    )
    if area_code is not None:
        area = scope.in_area(HH.buurt_code)
        known = await session.scalar(select(HH.id).where(area).limit(1))  # type: ignore[arg-type]
        if known is None:
            raise InvalidInput.field("areaCode", "no household is registered in this area; check the code")
    dialect = session.bind.dialect.name  # type: ignore[union-attr]
    computations = {
        "signals-by-source": lambda: signals_by_source(session, scope),
        "signals-by-life-domain": lambda: signals_by_life_domain(session, scope, dialect),
        "first-contact-within-target": lambda: first_contact(session, scope, dialect, today),
        "waiting-list": lambda: waiting_list(session, scope, dialect, today),
        "cases": lambda: cases_overview(session, scope),
        "cases-closed-by-reason": lambda: closed_by_reason(session, scope),
        "handled-by": lambda: handled_by(session, scope),
        "lead-time": lambda: lead_time(session, scope, dialect),
        "organisations-per-case": lambda: organisations_per_case(session, scope),
        "self-sufficiency-change": lambda: self_sufficiency_change(session, scope),
    }
    indicators = [await computations[code]() for code in (wanted or INDICATORS)]
    if all(
        cell.status is not CellStatus.published and (i.total is None or i.total.status is not CellStatus.published)
        for i in indicators
        for cell in i.cells
    ):
        raise InvalidInput.field(
            "period",
            "at this granularity every figure falls below the disclosure threshold; "
            "choose a longer period or a larger area",
        )
    return Figures(
        selection=Selection(
            team_id=team_id,
            area_code=area_code,
            area_code_year=area_code_year or start_day.year,
            period=period,
            start_date=start_day,
            end_date=end_day,
        ),
        disclosure=DisclosureRules(
            rounded_to=ROUND_TO, secret_below=SECRET_BELOW, min_rate_denominator=MIN_RATE_DENOMINATOR
        ),
        indicators=indicators,
    )


def to_csv(figures: Figures) -> str:
    """One row per cell; a hidden value is '.', as CBS publishes it."""
    lines = ["indicator,key,value,status"]
    for indicator in figures.indicators:
        for cell in ([indicator.total] if indicator.total else []) + indicator.cells:
            value = "." if cell.value is None else f"{cell.value:g}"
            lines.append(f"{indicator.code},{cell.key},{value},{cell.status}")
    return "\n".join(lines) + "\n"
