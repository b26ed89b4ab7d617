"""Indicators for the municipality, computed in SQL from the registration itself.

Every figure is an aggregate over a selection (a team, or a CBS area, and a period); counts leave the
database already grouped, and every number passes disclosure control before it is published.
"""

import inspect
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, DateTime, and_, case, cast, func, select
from sqlalchemy.sql import Select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.assessments.schemas import InstrumentDomain
from wijkregistratie.assessments.service import FIGURES_INSTRUMENT, instrument_domains
from wijkregistratie.core.codes import (
    ClosureReason,
    HandledBy,
    LifeDomain,
    SignalSource,
    SignalStatus,
)
from wijkregistratie.core.errors import Forbidden, InvalidInput, Unavailable
from wijkregistratie.figures import rollups
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
from wijkregistratie.figures.models import FigureLeadTime, FigureRollup
from wijkregistratie.figures.schemas import DisclosureRules, FigureCell, Figures, Indicator, Selection
from wijkregistratie.households.models import Household
from wijkregistratie.municipalities.service import area_lies_in
from wijkregistratie.signals.models import Signal
from wijkregistratie.teams.models import Team

# Typed column collections of the tables the figures read.
SG = Signal.__table__.c  # type: ignore[attr-defined]
HH = Household.__table__.c  # type: ignore[attr-defined]
TM = Team.__table__.c  # type: ignore[attr-defined]
RU = FigureRollup.__table__.c  # type: ignore[attr-defined]
LT = FigureLeadTime.__table__.c  # type: ignore[attr-defined]

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
ORGANISATION_BUCKETS = ["1", "2", "3", "4+"]
AGE_BUCKETS = [(0, 3, "0-3"), (4, 7, "4-7"), (8, 14, "8-14"), (15, 30, "15-30"), (31, None, "31+")]
FIRST_YEAR = 1900
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
        if year < FIRST_YEAR:
            raise InvalidInput.field("period", f"a year from {FIRST_YEAR} on")
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


@dataclass(frozen=True)
class Totals:
    """The running totals at the start and at the end of the period, summed over the scope."""

    rows: dict[tuple[str, str, date], tuple[int, float]]
    start: date
    end: date

    def at(self, measure: str, key: str, month: date) -> tuple[int, float]:
        return self.rows.get((measure, key, month), (0, 0.0))

    def during(self, measure: str, key: str) -> int:
        """Events of the period: the total at its end minus the total at its start."""
        return self.at(measure, key, self.end)[0] - self.at(measure, key, self.start)[0]

    def active(self, key: str, opened: str, ended: str) -> tuple[int, float]:
        """Cases active at some moment of the period: opened before its end, not ended before its start."""
        (opened_count, opened_sum), (ended_count, ended_sum) = (
            self.at(opened, key, self.end),
            self.at(ended, key, self.start),
        )
        return opened_count - ended_count, opened_sum - ended_sum

    def at_end(self, key: str) -> int:
        return self.at("cases.opened", key, self.end)[0] - self.at("cases.ended", key, self.end)[0]


async def read_totals(session: AsyncSession, scope: Scope, last_month: date) -> Totals:
    # Totals do not grow after the refresh, so a period reaching past it reads the latest month.
    start, end = (min(moment.date(), last_month) for moment in (scope.start, scope.end))
    statement = _in_scope(
        select(RU.measure, RU.key, RU.month, func.sum(RU.count), func.sum(RU.amount))
        .where(RU.month.in_([start, end]))
        .group_by(RU.measure, RU.key, RU.month),
        scope,
        RU,
    )
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return Totals({(m, k, month): (int(c), float(a)) for m, k, month, c, a in rows}, start, end)


def _breakdown(code: str, totals: Totals, measure: str, keys: Sequence[str]) -> Indicator:
    total, cells = protect_breakdown([totals.during(measure, k) for k in keys])
    return Indicator(code=code, title=INDICATORS[code], unit="count", total=_total(total), cells=_cells(keys, cells))


def signals_by_source(totals: Totals) -> Indicator:
    return _breakdown("signals-by-source", totals, "signals.source", [s.value for s in SignalSource])


def signals_by_life_domain(totals: Totals) -> Indicator:
    # A signal may name several domains, so these cells overlap and have no total to subtract from.
    keys = [d.value for d in LifeDomain]
    return Indicator(
        code="signals-by-life-domain",
        title=INDICATORS["signals-by-life-domain"],
        unit="count",
        cells=_cells(keys, [protect(totals.during("signals.domain", k)) for k in keys]),
    )


async def first_contact(session: AsyncSession, scope: Scope, totals: Totals, dialect: str, today: date) -> Indicator:
    """Of the signals whose deadline has come (or that had contact), the share reached within the target.

    Contacted signals come from the totals; those still without contact depend on today, so they are
    counted live (few rows, found by a partial index).
    """
    waiting = _days_between(dialect, func.date(today.isoformat()), func.date(SG.registered_at))
    statement = _in_scope(
        select(func.count())
        .select_from(Signal)
        .join(Team, TM.id == SG.team_id)
        .where(
            SG.first_contact_on.is_(None),
            waiting > TM.first_contact_target_days,
            SG.registered_at >= scope.start,
            SG.registered_at < scope.end,
        ),
        scope,
        SG,
    )
    overdue = int(await session.scalar(statement) or 0)
    on_time, late = totals.during("signals.contacted", "within"), totals.during("signals.contacted", "late")
    total, cells = protect_group(on_time + late + overdue, [on_time, late + overdue])
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


def cases_overview(totals: Totals) -> Indicator:
    buckets = ORGANISATION_BUCKETS
    opened = sum(totals.during("cases.opened", b) for b in buckets)
    active_at_end = sum(totals.at_end(b) for b in buckets)
    closed = sum(totals.during("cases.closed", r) for r in [*ClosureReason, ""])
    return Indicator(
        code="cases",
        title=INDICATORS["cases"],
        unit="count",
        cells=_cells(["opened", "active_at_end", "closed"], [protect(opened), protect(active_at_end), protect(closed)]),
    )


def closed_by_reason(totals: Totals) -> Indicator:
    return _breakdown("cases-closed-by-reason", totals, "cases.closed", [r.value for r in ClosureReason])


def handled_by(totals: Totals) -> Indicator:
    keys = [h.value for h in HandledBy]
    total, cells = protect_breakdown([totals.during("cases.handled", k) for k in keys])
    return Indicator(
        code="handled-by",
        title=INDICATORS["handled-by"],
        unit="count",
        total=_total(total),
        cells=[*_cells(keys, cells), _derived("share_team", "Share handled by the team (%)", rate(cells[0], total))],
    )


async def lead_time(session: AsyncSession, scope: Scope) -> Indicator:
    """Median and 80th percentile of the whole days from the first signal to closure, over enough cases only."""
    statement = _in_scope(
        select(LT.days, func.sum(LT.count))
        .where(LT.month >= scope.start.date(), LT.month < scope.end.date())
        .group_by(LT.days)
        .order_by(LT.days),
        scope,
        LT,
    )
    histogram = [(int(days), int(count)) for days, count in (await session.exec(statement)).all()]  # type: ignore[call-overload]
    count = sum(n for _, n in histogram)
    cells = [
        _derived(key, key, _percentile(histogram, count, fraction) if count >= MIN_RATE_DENOMINATOR else None)
        for key, fraction in (("median", 0.5), ("p80", 0.8))
    ]
    return Indicator(
        code="lead-time", title=INDICATORS["lead-time"], unit="days", total=_total(protect(count)), cells=cells
    )


def _percentile(histogram: Sequence[tuple[int, int]], count: int, fraction: float) -> float:
    """The first value at or past the fraction of the cases (as SQL's percentile_disc)."""
    seen = 0
    for days, n in histogram:
        seen += n
        if seen >= fraction * count:
            return float(days)
    return float(histogram[-1][0])


def _mean(amount: float, count: int, digits: int) -> float | None:
    """A mean over enough cases only."""
    return round(amount / count, digits) if count >= MIN_RATE_DENOMINATOR else None


def organisations_per_case(totals: Totals) -> Indicator:
    active = [totals.active(b, "cases.opened", "cases.ended") for b in ORGANISATION_BUCKETS]
    total, cells = protect_breakdown([count for count, _ in active])
    mean = _mean(sum(amount for _, amount in active), sum(count for count, _ in active), 1)
    return Indicator(
        code="organisations-per-case",
        title=INDICATORS["organisations-per-case"],
        unit="count",
        total=_total(total),
        cells=[*_cells(ORGANISATION_BUCKETS, cells), _derived("mean", "Mean", mean)],
    )


def self_sufficiency_change(totals: Totals, domains: Sequence[InstrumentDomain]) -> Indicator:
    """Per domain, of the cases measured at least twice: improved, unchanged, worsened, and the mean change."""
    cells: list[FigureCell] = []
    for domain in domains:
        classes = ("improved", "unchanged", "worsened")
        active = [totals.active(f"{domain.code}.{k}", "scores.opened", "scores.ended") for k in classes]
        count = sum(c for c, _ in active)
        _, parts = protect_group(count, [c for c, _ in active])
        cells += [
            FigureCell(key=f"{domain.code}.{k}", label=f"{domain.name}: {k}", value=c.value, status=c.status)
            for k, c in zip(classes, parts, strict=True)
        ]
        mean = _mean(sum(a for _, a in active), count, 2)
        cells.append(_derived(f"{domain.code}.mean_change", f"{domain.name}: mean change", mean))
    return Indicator(
        code="self-sufficiency-change", title=INDICATORS["self-sufficiency-change"], unit="count", cells=cells
    )


async def municipality_read_by(session: AsyncSession, municipality_code: str | None, team_id: uuid.UUID | None) -> str:
    """The municipality a figures client is bound to; a team it names must be one of that municipality's."""
    if municipality_code is None:
        raise Forbidden("This client is bound to no municipality; an administrator binds it (municipalityCode).")
    if team_id is not None:
        team = await session.get(Team, team_id)
        if team is None or team.municipality_code != municipality_code:  # another's team is as good as unknown
            raise InvalidInput.field("teamId", "unknown team")
    return municipality_code


async def compute(
    session: AsyncSession,
    municipality_code: str | None,
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
    municipality_code = await municipality_read_by(session, municipality_code, team_id)
    if team_id is None and area_code is None:
        area_code = municipality_code
    if area_code is not None and not area_lies_in(area_code, municipality_code):
        raise InvalidInput.field("areaCode", f"lies outside {municipality_code}, the municipality this client reads")
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
    refreshed = await rollups.latest(session) or await rollups.refresh(session)
    if refreshed is None:  # another process is building the very first totals
        raise Unavailable("the figures are being prepared; try again in a minute")
    totals = await read_totals(session, scope, refreshed.last_month)
    zrm_domains = await instrument_domains(session, *FIGURES_INSTRUMENT)
    computations: dict[str, Callable[[], Awaitable[Indicator] | Indicator]] = {
        "signals-by-source": lambda: signals_by_source(totals),
        "signals-by-life-domain": lambda: signals_by_life_domain(totals),
        "first-contact-within-target": lambda: first_contact(session, scope, totals, dialect, today),
        "waiting-list": lambda: waiting_list(session, scope, dialect, today),
        "cases": lambda: cases_overview(totals),
        "cases-closed-by-reason": lambda: closed_by_reason(totals),
        "handled-by": lambda: handled_by(totals),
        "lead-time": lambda: lead_time(session, scope),
        "organisations-per-case": lambda: organisations_per_case(totals),
        "self-sufficiency-change": lambda: self_sufficiency_change(totals, zrm_domains),
    }
    indicators = []
    for code in wanted or INDICATORS:
        computed = computations[code]()
        indicators.append(await computed if inspect.isawaitable(computed) else computed)
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
            as_of=refreshed.finished_at,
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
