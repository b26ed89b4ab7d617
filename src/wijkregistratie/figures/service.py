"""Indicators for the municipality, read from the running totals the figures keep of the registration.

Every figure is an aggregate over a selection (a team, or a CBS area, and a completed month, quarter or
year) and every number passes disclosure control (`disclosure`) before it is published. A count that
appears in several indicators (the cases closed: by reason, by who handled them, by lead time, by
organisations) is the same set of records with the same keys, so it gets the same value everywhere.

Only a fixed grid is answered: whole months, quarters and years that have ended, for one team or one CBS
area. Free intervals, or a team combined with an area, would let an attacker ask for many different cells
that differ by the same few records and average their independent noise away.
"""

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.sql import Select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.assessments.schemas import InstrumentDomain
from wijkregistratie.assessments.service import FIGURES_INSTRUMENT, instrument_domains
from wijkregistratie.core.codes import ClosureReason, HandledBy, LifeDomain, SignalSource
from wijkregistratie.core.errors import Forbidden, InvalidInput, Unavailable
from wijkregistratie.figures import disclosure, labels, rollups
from wijkregistratie.figures.disclosure import Cell, CellStatus, protect, rate
from wijkregistratie.figures.models import FigureLeadTime, FigureRefresh, FigureRollup
from wijkregistratie.figures.schemas import DisclosureRules, FigureCell, Figures, Indicator, Selection
from wijkregistratie.households.models import Household
from wijkregistratie.municipalities.service import area_lies_in
from wijkregistratie.teams.models import Team

# Typed column collections of the tables the figures read.
HH = Household.__table__.c  # type: ignore[attr-defined]
RU = FigureRollup.__table__.c  # type: ignore[attr-defined]
LT = FigureLeadTime.__table__.c  # type: ignore[attr-defined]

INDICATORS = labels.INDICATORS
ORGANISATION_BUCKETS = ["1", "2", "3", "4+"]
LEAD_TIME_BANDS = [
    (first, last, f"{first}-{last}" if i < len(rollups.LEAD_TIME_BANDS) - 1 else f"{first}+")
    for i, (first, last) in enumerate(rollups.LEAD_TIME_BANDS)
]
# What one record can add to a sum scales the noise on that sum: a ZRM score changes by at most 4.
MAX_SCORE_CHANGE = 4
FIRST_YEAR = 1900
PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class Scope:
    team_id: uuid.UUID | None
    area_code: str | None
    start: date  # the first day of the period
    end: date  # the first day after it

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


def ended_period(value: str, today: date) -> tuple[date, date]:
    """A month, quarter or year of the fixed grid that ended before this month began."""
    if "/" in value:
        raise InvalidInput.field("period", "figures are published per month, quarter or year, not for intervals")
    start, end = parse_period(value, today)
    if end >= rollups.first_of_month(today):
        raise InvalidInput.field("period", f"figures are published for ended periods only; {value} ends on {end}")
    return start, end


def _in_scope(statement: Select[Any], scope: Scope, table: Any) -> Select[Any]:
    """Signals and cases keep their team and neighbourhood, so the scope needs no join."""
    if scope.team_id:
        statement = statement.where(table.team_id == scope.team_id)
    if (area := scope.in_area(table.buurt_code)) is not None:
        statement = statement.where(area)
    return statement


@dataclass(frozen=True)
class Tally:
    """How many records a cell counts, a sum over them, and the sum of their keys."""

    count: int = 0
    amount: float = 0.0
    key_sum: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.count + other.count, self.amount + other.amount, self.key_sum + other.key_sum)

    def __sub__(self, other: "Tally") -> "Tally":
        return Tally(self.count - other.count, self.amount - other.amount, self.key_sum - other.key_sum)

    def protect(self, minimum: int = 0) -> Cell:
        return protect(self.count, self.key_sum, minimum)

    def mean(self, largest_contribution: float, digits: int) -> float | None:
        return disclosure.mean(self.amount, self.key_sum, self.protect(), largest_contribution, digits)


@dataclass(frozen=True)
class Totals:
    """The running totals at the start and at the end of the period, summed over the scope."""

    rows: dict[tuple[str, str, date], Tally]
    start: date
    end: date

    def at(self, measure: str, key: str, month: date) -> Tally:
        return self.rows.get((measure, key, month), Tally())

    def during(self, measure: str, key: str) -> Tally:
        """Events of the period: the total at its end minus the total at its start."""
        return self.at(measure, key, self.end) - self.at(measure, key, self.start)

    def during_any(self, measure: str) -> Tally:
        """Events of the period whatever their key: the total of a breakdown, as a cell of its own."""
        keys = {k for m, k, _ in self.rows if m == measure}
        return sum((self.during(measure, k) for k in keys), Tally())

    def state_at_end(self, measure: str, key: str) -> Tally:
        return self.at(f"{rollups.STATE_PREFIX}{measure}", key, self.end)

    def active_at_end(self) -> Tally:
        return self.at("cases.opened", "", self.end) - self.at("cases.ended", "", self.end)


async def read_totals(session: AsyncSession, scope: Scope) -> Totals:
    statement = _in_scope(
        select(RU.measure, RU.key, RU.month, func.sum(RU.count), func.sum(RU.amount), func.sum(RU.key_sum))
        .where(RU.month.in_([scope.start, scope.end]))
        .group_by(RU.measure, RU.key, RU.month),
        scope,
        RU,
    )
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    tallies = {(m, k, rollups.as_date(month)): Tally(int(c), float(a), int(s)) for m, k, month, c, a, s in rows}
    return Totals(tallies, scope.start, scope.end)


def _cell(key: str, cell: Cell, label: str | None = None) -> FigureCell:
    return FigureCell(key=key, label=label or labels.label(key), value=cell.value, status=cell.status)


def _derived(key: str, value: float | None, label: str | None = None) -> FigureCell:
    """A share, mean or percentile: published only when computed from enough (perturbed) records."""
    return FigureCell(
        key=key,
        label=label or labels.label(key),
        value=value,
        status=CellStatus.published if value is not None else CellStatus.suppressed,
    )


def _indicator(code: str, cells: list[FigureCell], total: Cell | None = None) -> Indicator:
    return Indicator(
        code=code,
        title=INDICATORS[code],
        unit="count",
        total=_cell("total", total) if total is not None else None,
        cells=cells,
    )


def _breakdown(code: str, totals: Totals, measure: str, keys: Sequence[str]) -> Indicator:
    cells = [_cell(k, totals.during(measure, k).protect()) for k in keys]
    return _indicator(code, cells, totals.during_any(measure).protect())


def signals_by_source(totals: Totals) -> Indicator:
    return _breakdown("signals-by-source", totals, "signals.source", [s.value for s in SignalSource])


def signals_by_life_domain(totals: Totals) -> Indicator:
    """A signal may name several domains, so these cells overlap and have no total; sensitive ones need more."""

    def minimum(domain: str) -> int:
        return disclosure.SENSITIVE_MINIMUM if domain in disclosure.SENSITIVE_DOMAINS else 0

    keys = [d.value for d in LifeDomain]
    cells = [_cell(k, totals.during("signals.domain", k).protect(minimum(k))) for k in keys]
    return _indicator("signals-by-life-domain", cells)


def first_contact(totals: Totals) -> Indicator:
    """Of the signals whose first-contact deadline fell in the period: reached by the deadline or not."""
    within = totals.during("signals.contacted", "within").protect()
    late = totals.during("signals.contacted", "late").protect()
    total = totals.during_any("signals.contacted").protect()
    cells = [_cell("within_target", within), _cell("late_or_never", late)]
    return _indicator(
        "first-contact-within-target", [*cells, _derived("share_within_target", rate(within, total))], total
    )


def waiting_list(totals: Totals) -> Indicator:
    """The signals still waiting for triage at the end of the period, by the days they had waited then."""
    keys = [label for _, _, label in rollups.AGE_BUCKETS]
    cells = [_cell(k, totals.state_at_end("waiting", k).protect()) for k in keys]
    total = sum((totals.state_at_end("waiting", k) for k in keys), Tally()).protect()
    return _indicator("waiting-list", cells, total)


def cases_overview(totals: Totals) -> Indicator:
    cells = [
        _cell("opened", totals.during("cases.opened", "").protect()),
        _cell("active_at_end", totals.active_at_end().protect()),
        _cell("closed", totals.during_any("cases.closed").protect()),
    ]
    return _indicator("cases", cells)


def closed_by_reason(totals: Totals) -> Indicator:
    return _breakdown("cases-closed-by-reason", totals, "cases.closed", [r.value for r in ClosureReason])


def handled_by(totals: Totals) -> Indicator:
    team = totals.during("cases.handled", HandledBy.team).protect()
    specialist = totals.during("cases.handled", HandledBy.specialist_care).protect()
    total = totals.during_any("cases.handled").protect()
    cells = [_cell(HandledBy.team, team), _cell(HandledBy.specialist_care, specialist)]
    return _indicator("handled-by", [*cells, _derived("share_team", rate(team, total))], total)


async def lead_time(session: AsyncSession, scope: Scope) -> Indicator:
    """Closed cases by days from the first signal to closure, in bands; median and p80 interpolated within
    the bands from their published counts, so neither is ever a real case's value."""
    statement = _in_scope(
        select(LT.days, func.sum(LT.count), func.sum(LT.key_sum))
        .where(LT.month >= scope.start, LT.month < scope.end)
        .group_by(LT.days),
        scope,
        LT,
    )
    tallies = {int(first): Tally(int(c), 0.0, int(k)) for first, c, k in (await session.exec(statement)).all()}  # type: ignore[call-overload]
    bands = [(first, last, label, tallies.get(first, Tally()).protect()) for first, last, label in LEAD_TIME_BANDS]
    published = [(first, last, cell.value or 0) for first, last, _, cell in bands]
    cells = [_cell(label, cell, f"{labels.label(label)} dagen") for _, _, label, cell in bands]
    percentiles = [_derived(k, disclosure.grouped_percentile(published, f)) for k, f in (("median", 0.5), ("p80", 0.8))]
    return _indicator("lead-time", [*cells, *percentiles], sum(tallies.values(), Tally()).protect())


def organisations_per_case(totals: Totals) -> Indicator:
    cells = [_cell(b, totals.during("cases.organisations", b).protect()) for b in ORGANISATION_BUCKETS]
    total = totals.during_any("cases.organisations")
    return _indicator(
        "organisations-per-case", [*cells, _derived("mean", total.mean(rollups.MAX_ORGANISATIONS, 1))], total.protect()
    )


def self_sufficiency_change(totals: Totals, domains: Sequence[InstrumentDomain]) -> Indicator:
    """Per domain, of the closed cases measured at least twice: improved, unchanged, worsened, mean change."""
    cells: list[FigureCell] = []
    for domain in domains:
        classes = ("improved", "unchanged", "worsened")
        tallies = [totals.during("scores.closed", f"{domain.code}.{k}") for k in classes]
        cells += [
            _cell(f"{domain.code}.{k}", t.protect(), f"{domain.name}: {labels.CLASSES[k]}")
            for k, t in zip(classes, tallies, strict=True)
        ]
        mean = sum(tallies, Tally()).mean(MAX_SCORE_CHANGE, 2)
        cells.append(_derived(f"{domain.code}.mean_change", mean, f"{domain.name}: {labels.CLASSES['mean_change']}"))
    return _indicator("self-sufficiency-change", cells)


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
    if team_id is not None and area_code is not None:
        raise InvalidInput.field("areaCode", "ask for a team or for an area, not both: a team's area is its own")
    municipality_code = await municipality_read_by(session, municipality_code, team_id)
    if team_id is None and area_code is None:
        area_code = municipality_code
    if area_code is not None and not area_lies_in(area_code, municipality_code):
        raise InvalidInput.field("areaCode", f"lies outside {municipality_code}, the municipality this client reads")
    start_day, end_day = ended_period(period, today)
    scope = Scope(team_id=team_id, area_code=area_code, start=start_day, end=end_day + timedelta(days=1))
    if area_code is not None:
        area = scope.in_area(HH.buurt_code)
        known = await session.scalar(select(HH.id).where(area).limit(1))  # type: ignore[arg-type]
        if known is None:
            raise InvalidInput.field("areaCode", "no household is registered in this area; check the code")
    refreshed = await final_totals_through(session, scope.end)
    totals = await read_totals(session, scope)
    zrm_domains = await instrument_domains(session, *FIGURES_INSTRUMENT)
    computations: dict[str, Callable[[], Indicator]] = {
        "signals-by-source": lambda: signals_by_source(totals),
        "signals-by-life-domain": lambda: signals_by_life_domain(totals),
        "first-contact-within-target": lambda: first_contact(totals),
        "waiting-list": lambda: waiting_list(totals),
        "cases": lambda: cases_overview(totals),
        "cases-closed-by-reason": lambda: closed_by_reason(totals),
        "handled-by": lambda: handled_by(totals),
        "organisations-per-case": lambda: organisations_per_case(totals),
        "self-sufficiency-change": lambda: self_sufficiency_change(totals, zrm_domains),
    }
    indicators = [
        await lead_time(session, scope) if code == "lead-time" else computations[code]()
        for code in wanted or INDICATORS
    ]
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
            method="cell-key",
            max_noise=disclosure.MAX_NOISE,
            variance=float(disclosure.VARIANCE),
            not_published_up_to=disclosure.NOT_PUBLISHED_UP_TO,
            sensitive_minimum=disclosure.SENSITIVE_MINIMUM,
            min_rate_denominator=disclosure.MIN_RATE_DENOMINATOR,
        ),
        indicators=indicators,
    )


async def final_totals_through(session: AsyncSession, end: date) -> FigureRefresh:
    """The refresh whose totals hold the period ending before `end` as final; one is run when none does."""
    refreshed = await rollups.latest(session)
    if refreshed is None or refreshed.final_before is None or refreshed.final_before < end:
        refreshed = await rollups.refresh(session)
    if refreshed is None:  # another process is bringing the totals up to date right now
        raise Unavailable("the figures are being brought up to date; try again in a minute")
    return refreshed


CSV_HEADER = "period;area;asOf;indicator;key;label;value;status;rule"


def rule_text(rules: DisclosureRules) -> str:
    return (
        f"cell key: noise at most {rules.max_noise}, variance {rules.variance:g}, "
        f"no values 1-{rules.not_published_up_to}; sensitive life domains from {rules.sensitive_minimum}; "
        f"shares and means from {rules.min_rate_denominator}"
    )


def to_csv(figures: Figures) -> str:
    """One row per cell, as Dutch spreadsheets read it (semicolons, decimal commas, a byte-order mark), each
    row saying what was selected, as of when, and by which rule its value was protected; a hidden value is
    '.', as CBS publishes it."""
    selection = figures.selection
    area = f"team:{selection.team_id}" if selection.team_id else str(selection.area_code)
    as_of = f"{selection.as_of:%Y-%m-%dT%H:%M:%SZ}" if selection.as_of else ""
    rule = rule_text(figures.disclosure)
    lines = [CSV_HEADER]
    for indicator in figures.indicators:
        for cell in ([indicator.total] if indicator.total else []) + indicator.cells:
            value = "." if cell.value is None else f"{cell.value:g}".replace(".", ",")
            label = cell.label.replace('"', '""')
            lines.append(
                f'{selection.period};{area};{as_of};{indicator.code};{cell.key};"{label}";{value};{cell.status};"{rule}"'
            )
    return "\ufeff" + "\r\n".join(lines) + "\r\n"
