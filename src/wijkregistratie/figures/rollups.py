"""Running totals for the figures, built in SQL from the registration.

Every countable event (a signal registered, a case opened or closed, ...) is a *flow* that counts from the
month after it happened. Summed over the months with a window, the flows become running totals: the row of
month M holds everything before M began. A figure for a period is then the row at its end minus the row at
its start, and "cases active at the end" is the cases opened before its end minus those ended before it.
So a year of a city with a million cases reads two months of rows instead of the cases. Beside every count
goes the sum of its records' keys, from which disclosure control draws the cell's noise.

What held at a moment rather than what happened (the waiting list) is kept as a state per month start, and
lead times as a histogram of whole days per month of closure: neither adds up over months.

Months that have ended are final. A refresh starts from the rows of the month the previous refresh began
in (which it left final) and adds only what happened since, so a published figure never changes: an
attacker who registers, changes or erases records cannot draw fresh noise for a month that is over. A
correction to an ended month reaches the figures only through a full rebuild (`refresh(..., full=True)`),
which an operator runs deliberately.

A refresh runs in one transaction: readers keep seeing the previous totals until it commits.
"""

import time
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, func, select, text
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.clock import utcnow
from wijkregistratie.figures.models import FigureRefresh

# Any fixed number identifies the lock that keeps two refreshes on one PostgreSQL from running at once.
REFRESH_LOCK = 4_711_000_601
# Before any month with a registration: the base of a full rebuild, which has no rows.
BEGINNING = date(1900, 1, 1)
STATE_PREFIX = "state."
# Days a signal had waited at a month's start, in the bands the waiting list publishes.
AGE_BUCKETS = [(0, 3, "0-3"), (4, 7, "4-7"), (8, 14, "8-14"), (15, 30, "15-30"), (31, None, "31+")]
# Days from the first signal to closure (first and last day of each band); the last is open-ended, and
# runs to its last day only where a percentile is interpolated in it.
LEAD_TIME_BANDS = [(0, 30), (31, 90), (91, 180), (181, 365), (366, 730)]
# Organisations are counted up to this many per case for their mean: it bounds what one case adds to the
# sum, which scales the noise on it.
MAX_ORGANISATIONS = 8
ORGANISATION_BUCKET = (
    "CASE WHEN c.organisations_involved <= 1 THEN '1' WHEN c.organisations_involved = 2 THEN '2' "
    "WHEN c.organisations_involved = 3 THEN '3' ELSE '4+' END"
)
SCORE_CLASS = (
    "ac.domain || CASE WHEN ac.latest_score > ac.first_score THEN '.improved' "
    "WHEN ac.latest_score = ac.first_score THEN '.unchanged' ELSE '.worsened' END"
)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _dialect_sql(dialect: str) -> dict[str, str]:
    """The few expressions the two databases spell differently."""
    if dialect == "postgresql":
        return {
            "next_month": "(date_trunc('month', {0} AT TIME ZONE 'UTC') + interval '1 month')::date",
            "next_month_of_day": "(date_trunc('month', {0}) + interval '1 month')::date",
            "domains": "CROSS JOIN LATERAL jsonb_array_elements_text(CAST(s.life_domains AS jsonb)) AS d(value)",
            "deadline": "((s.registered_at AT TIME ZONE 'UTC')::date + t.first_contact_target_days)",
            "month": "CAST(:month_{0} AS date)",
            "month_of": "date_trunc('month', {0} AT TIME ZONE 'UTC')::date",
            "days": "floor(extract(epoch FROM {0} - {1}) / 86400)::integer",
            "days_to_month": "(m.month - (s.registered_at AT TIME ZONE 'UTC')::date)",
            "at_month": "CAST(m.month AS timestamp) AT TIME ZONE 'UTC'",
            "base": "CAST(:base AS date)",
        }
    return {
        "next_month": "date({0}, 'start of month', '+1 month')",
        "next_month_of_day": "date({0}, 'start of month', '+1 month')",
        "domains": "CROSS JOIN json_each(s.life_domains) AS d",
        "deadline": "date(s.registered_at, '+' || t.first_contact_target_days || ' days')",
        "month": ":month_{0}",
        "month_of": "date({0}, 'start of month')",
        "days": "CAST(julianday({0}) - julianday({1}) AS INTEGER)",
        "days_to_month": "CAST(julianday(m.month) - julianday(date(s.registered_at)) AS INTEGER)",
        "at_month": "m.month",
        "base": ":base",
    }


def _flows(dialect: str) -> str:
    """Each event once: (month it starts counting, team, neighbourhood, measure, key, count, amount, key)."""
    sql = _dialect_sql(dialect)

    def after(column: str) -> str:
        return sql["next_month"].format(column)

    signal = "s.team_id, COALESCE(s.buurt_code, '')"
    case = "c.team_id, COALESCE(c.buurt_code, '')"
    closed = "FROM cases c WHERE c.status = 'closed' AND c.closed_at IS NOT NULL"
    scored = (
        "FROM assessment_changes ac JOIN cases c ON c.id = ac.case_id "
        "WHERE ac.instrument_version = '2017' AND ac.measurements >= 2 "
        "AND c.status = 'closed' AND c.closed_at IS NOT NULL"
    )
    deadline = sql["deadline"]
    return "\nUNION ALL\n".join(
        [
            f"SELECT {after('s.registered_at')}, {signal}, 'signals.source', s.source, 1, 0.0, s.record_key "
            "FROM signals s",
            f"SELECT {after('s.registered_at')}, {signal}, 'signals.domain', d.value, 1, 0.0, s.record_key "
            f"FROM signals s {sql['domains']}",
            # Counted in the month its deadline fell in, which has passed when that month's figures are final.
            f"SELECT {sql['next_month_of_day'].format(deadline)}, {signal}, 'signals.contacted', "
            f"CASE WHEN s.first_contact_on <= {deadline} THEN 'within' ELSE 'late' END, 1, 0.0, s.record_key "
            "FROM signals s JOIN teams t ON t.id = s.team_id",
            f"SELECT {after('c.opened_at')}, {case}, 'cases.opened', '', 1, 0.0, c.record_key FROM cases c",
            f"SELECT {after('c.closed_at')}, {case}, 'cases.ended', '', 1, 0.0, c.record_key "
            "FROM cases c WHERE c.closed_at IS NOT NULL",
            f"SELECT {after('c.closed_at')}, {case}, 'cases.closed', COALESCE(c.closure_reason, ''), 1, 0.0, "
            f"c.record_key {closed}",
            f"SELECT {after('c.closed_at')}, {case}, 'cases.handled', COALESCE(c.handled_by, ''), 1, 0.0, "
            f"c.record_key {closed}",
            f"SELECT {after('c.closed_at')}, {case}, 'cases.organisations', {ORGANISATION_BUCKET}, 1, "
            f"CASE WHEN c.organisations_involved > {MAX_ORGANISATIONS} THEN {MAX_ORGANISATIONS} "
            f"ELSE c.organisations_involved END, c.record_key {closed}",
            f"SELECT {after('c.closed_at')}, {case}, 'scores.closed', {SCORE_CLASS}, 1, "
            f"ac.latest_score - ac.first_score, c.record_key {scored}",
        ]
    )


def _months(dialect: str, months: list[date]) -> str:
    return " UNION ALL ".join(f"SELECT {_dialect_sql(dialect)['month'].format(i)} AS month" for i in range(len(months)))


def _running_totals(dialect: str, months: list[date]) -> str:
    """The running totals of the months after the base month, continuing from the base month's final rows."""
    base = _dialect_sql(dialect)["base"]
    return f"""
WITH flows (month, team_id, buurt_code, measure, key, count, amount, key_sum) AS ({_flows(dialect)}),
months AS ({_months(dialect, months)}),
start AS (
    SELECT month, team_id, buurt_code, measure, key, count, amount, key_sum FROM figure_rollups
    WHERE month = {base} AND measure NOT LIKE '{STATE_PREFIX}%'
    UNION ALL
    SELECT month, team_id, buurt_code, measure, key, count, amount, key_sum FROM flows WHERE month > {base}
),
dense AS (
    SELECT month, team_id, buurt_code, measure, key, count, amount, key_sum FROM start
    UNION ALL
    SELECT m.month, k.team_id, k.buurt_code, k.measure, k.key, 0, 0.0, 0
    FROM months m CROSS JOIN (SELECT DISTINCT team_id, buurt_code, measure, key FROM start) k
),
monthly AS (
    SELECT month, team_id, buurt_code, measure, key, SUM(count) AS count, SUM(amount) AS amount,
           SUM(key_sum) AS key_sum
    FROM dense GROUP BY month, team_id, buurt_code, measure, key
),
running AS (
    SELECT month, team_id, buurt_code, measure, key,
           SUM(count) OVER w AS count, SUM(amount) OVER w AS amount, SUM(key_sum) OVER w AS key_sum
    FROM monthly
    WINDOW w AS (PARTITION BY team_id, buurt_code, measure, key ORDER BY month)
)
INSERT INTO figure_rollups (month, team_id, buurt_code, measure, key, count, amount, key_sum)
SELECT month, team_id, buurt_code, measure, key, count, amount, key_sum FROM running WHERE month > {base}
"""


def _waiting(dialect: str, months: list[date]) -> str:
    """Per month start: the signals registered before it that had not left the queue, by days waited."""
    sql = _dialect_sql(dialect)
    age = sql["days_to_month"]
    bucket = " ".join(
        f"WHEN {age} BETWEEN {low} AND {high} THEN '{label}'" if high is not None else f"ELSE '{label}'"
        for low, high, label in AGE_BUCKETS
    )
    return f"""
WITH months AS ({_months(dialect, months)})
INSERT INTO figure_rollups (month, team_id, buurt_code, measure, key, count, amount, key_sum)
SELECT m.month, s.team_id, COALESCE(s.buurt_code, ''), '{STATE_PREFIX}waiting', CASE {bucket} END,
       COUNT(*), 0.0, SUM(s.record_key)
FROM months m JOIN signals s ON s.registered_at < {sql["at_month"]}
     AND (s.triaged_at IS NULL OR s.triaged_at >= {sql["at_month"]})
WHERE m.month > {sql["base"]}
GROUP BY m.month, s.team_id, COALESCE(s.buurt_code, ''), CASE {bucket} END
"""


def _lead_times(dialect: str) -> str:
    """Closed cases per month of closure and band of days from the first signal (the band's first day)."""
    sql = _dialect_sql(dialect)
    days = sql["days"].format("closed_at", "COALESCE(first_signal_at, opened_at)")
    band = "CASE " + " ".join(f"WHEN {days} <= {last} THEN {first}" for first, last in LEAD_TIME_BANDS[:-1])
    band += f" ELSE {LEAD_TIME_BANDS[-1][0]} END"
    month = sql["month_of"].format("closed_at")
    return f"""
INSERT INTO figure_lead_times (month, team_id, buurt_code, days, count, key_sum)
SELECT {month}, team_id, COALESCE(buurt_code, ''), {band}, COUNT(*), SUM(record_key)
FROM cases WHERE status = 'closed' AND closed_at IS NOT NULL AND {month} >= {sql["base"]}
GROUP BY {month}, team_id, COALESCE(buurt_code, ''), {band}
"""


async def refresh(session: AsyncSession, *, full: bool = False) -> FigureRefresh | None:
    """Bring the totals up to now, from the last final month on (or from the beginning when `full`).

    None when another refresh holds the lock (PostgreSQL).
    """
    dialect = session.bind.dialect.name  # type: ignore[union-attr]
    if dialect == "postgresql":
        locked = await session.scalar(select(func.pg_try_advisory_xact_lock(REFRESH_LOCK)))
        if not locked:
            return None
    started, began = utcnow(), time.perf_counter()
    previous = None if full else await latest(session)
    base = previous.final_before if previous is not None and previous.final_before else BEGINNING
    last_month = month_after(started.date())
    month = month_after(base) if base != BEGINNING else await _first_month(session, last_month)
    months = []
    while month <= last_month:
        months.append(month)
        month = month_after(month)
    parameters = {"base": base if dialect == "postgresql" else base.isoformat()}
    parameters |= {f"month_{i}": m if dialect == "postgresql" else m.isoformat() for i, m in enumerate(months)}
    await session.exec(text("DELETE FROM figure_rollups WHERE month > :base").bindparams(base=parameters["base"]))  # type: ignore[call-overload]
    await session.exec(text("DELETE FROM figure_lead_times WHERE month >= :base").bindparams(base=parameters["base"]))  # type: ignore[call-overload]
    for statement in (_lead_times(dialect), _running_totals(dialect, months), _waiting(dialect, months)):
        bound = text(statement).bindparams(
            *(bindparam(name, value) for name, value in parameters.items() if f":{name}" in statement)
        )
        await session.exec(bound)  # type: ignore[call-overload]
    rows = int(await session.scalar(text("SELECT COUNT(*) FROM figure_rollups")) or 0)
    run = FigureRefresh(
        started_at=started,
        finished_at=utcnow(),
        last_month=last_month,
        final_before=first_of_month(started.date()),
        row_count=rows,
        duration_ms=round((time.perf_counter() - began) * 1000),
    )
    session.add(run)
    await session.flush()
    return run


async def _first_month(session: AsyncSession, last_month: date) -> date:
    earliest = await session.scalar(text("SELECT MIN(registered_at) FROM signals"))
    opened = await session.scalar(text("SELECT MIN(opened_at) FROM cases"))
    firsts = [as_date(m) for m in (earliest, opened) if m is not None]
    return first_of_month(min(firsts)) if firsts else last_month


def as_date(value: object) -> date:
    """A date from what the database answers: SQLite gives dates and timestamps as text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    return date.fromisoformat(str(value)[:10])


async def latest(session: AsyncSession) -> FigureRefresh | None:
    statement = select(FigureRefresh).order_by(FigureRefresh.finished_at.desc()).limit(1)  # type: ignore[attr-defined]
    return (await session.exec(statement)).scalars().first()  # type: ignore[call-overload,no-any-return]
