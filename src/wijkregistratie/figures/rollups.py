"""Running totals for the figures, rebuilt in SQL from the registration.

Every countable event (a signal registered, a case opened or closed, ...) is a *flow* that counts from the
month after it happened. Summed over the months with a window, the flows become running totals: the row of
month M holds everything before M began. A figure for a period is then the row at its end minus the row at
its start, and "cases active during the period" is the cases opened before its end minus those closed before
its start. So a year of a city with a million cases reads two months of rows instead of the cases.

Lead times are kept apart, as a histogram of whole days per month of closure: percentiles do not add up.

The rebuild runs in one transaction: readers keep seeing the previous totals until it commits.
"""

import time
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, func, select, text
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.clock import utcnow
from wijkregistratie.figures.models import FigureRefresh

# Any fixed number identifies the lock that keeps two refreshes on one PostgreSQL from running at once.
REFRESH_LOCK = 4_711_000_601


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _dialect_sql(dialect: str) -> dict[str, str]:
    """The few expressions the two databases spell differently."""
    if dialect == "postgresql":
        return {
            "next_month": "(date_trunc('month', {0} AT TIME ZONE 'UTC') + interval '1 month')::date",
            "domains": "CROSS JOIN LATERAL jsonb_array_elements_text(CAST(s.life_domains AS jsonb)) AS d(value)",
            "contact_days": "(s.first_contact_on - (s.registered_at AT TIME ZONE 'UTC')::date)",
            "month": "CAST(:month_{0} AS date)",
            "month_of": "date_trunc('month', {0} AT TIME ZONE 'UTC')::date",
            "days": "floor(extract(epoch FROM {0} - {1}) / 86400)::integer",
        }
    return {
        "next_month": "date({0}, 'start of month', '+1 month')",
        "domains": "CROSS JOIN json_each(s.life_domains) AS d",
        "contact_days": "(julianday(s.first_contact_on) - julianday(date(s.registered_at)))",
        "month": ":month_{0}",
        "month_of": "date({0}, 'start of month')",
        "days": "CAST(julianday({0}) - julianday({1}) AS INTEGER)",
    }


ORGANISATION_BUCKET = (
    "CASE WHEN c.organisations_involved <= 1 THEN '1' WHEN c.organisations_involved = 2 THEN '2' "
    "WHEN c.organisations_involved = 3 THEN '3' ELSE '4+' END"
)
SCORE_CLASS = (
    "ac.domain || CASE WHEN ac.latest_score > ac.first_score THEN '.improved' "
    "WHEN ac.latest_score = ac.first_score THEN '.unchanged' ELSE '.worsened' END"
)


def _flows(dialect: str) -> str:
    """Each event once, as (month it starts counting, team, neighbourhood, measure, key, count, amount)."""
    sql = _dialect_sql(dialect)

    def after(column: str) -> str:
        return sql["next_month"].format(column)

    case_dims = "c.team_id, COALESCE(c.buurt_code, '')"
    signal_dims = "s.team_id, COALESCE(s.buurt_code, '')"
    scored = (
        "FROM assessment_changes ac JOIN cases c ON c.id = ac.case_id "
        "WHERE ac.instrument_version = '2017' AND ac.measurements >= 2"
    )
    return "\nUNION ALL\n".join(
        [
            f"SELECT {after('s.registered_at')}, {signal_dims}, 'signals.source', s.source, 1, 0.0 FROM signals s",
            f"SELECT {after('s.registered_at')}, {signal_dims}, 'signals.domain', d.value, 1, 0.0 "
            f"FROM signals s {sql['domains']}",
            f"SELECT {after('s.registered_at')}, {signal_dims}, 'signals.contacted', "
            f"CASE WHEN {sql['contact_days']} <= t.first_contact_target_days THEN 'within' ELSE 'late' END, 1, 0.0 "
            "FROM signals s JOIN teams t ON t.id = s.team_id WHERE s.first_contact_on IS NOT NULL",
            f"SELECT {after('c.opened_at')}, {case_dims}, 'cases.opened', {ORGANISATION_BUCKET}, 1, "
            "c.organisations_involved FROM cases c",
            f"SELECT {after('c.closed_at')}, {case_dims}, 'cases.ended', {ORGANISATION_BUCKET}, 1, "
            "c.organisations_involved FROM cases c WHERE c.closed_at IS NOT NULL",
            f"SELECT {after('c.closed_at')}, {case_dims}, 'cases.closed', COALESCE(c.closure_reason, ''), 1, 0.0 "
            "FROM cases c WHERE c.status = 'closed' AND c.closed_at IS NOT NULL",
            f"SELECT {after('c.closed_at')}, {case_dims}, 'cases.handled', COALESCE(c.handled_by, ''), 1, 0.0 "
            "FROM cases c WHERE c.status = 'closed' AND c.closed_at IS NOT NULL",
            f"SELECT {after('c.opened_at')}, {case_dims}, 'scores.opened', {SCORE_CLASS}, 1, "
            f"ac.latest_score - ac.first_score {scored}",
            f"SELECT {after('c.closed_at')}, {case_dims}, 'scores.ended', {SCORE_CLASS}, 1, "
            f"ac.latest_score - ac.first_score {scored} AND c.closed_at IS NOT NULL",
        ]
    )


def _rebuild(dialect: str, months: list[date]) -> str:
    month_values = " UNION ALL ".join(
        f"SELECT {_dialect_sql(dialect)['month'].format(i)} AS month" for i in range(len(months))
    )
    return f"""
WITH flows (month, team_id, buurt_code, measure, key, count, amount) AS ({_flows(dialect)}),
months AS ({month_values}),
dense AS (
    SELECT month, team_id, buurt_code, measure, key, count, amount FROM flows
    UNION ALL
    SELECT m.month, k.team_id, k.buurt_code, k.measure, k.key, 0, 0.0
    FROM months m CROSS JOIN (SELECT DISTINCT team_id, buurt_code, measure, key FROM flows) k
),
monthly AS (
    SELECT month, team_id, buurt_code, measure, key, SUM(count) AS count, SUM(amount) AS amount
    FROM dense GROUP BY month, team_id, buurt_code, measure, key
)
INSERT INTO figure_rollups (month, team_id, buurt_code, measure, key, count, amount)
SELECT month, team_id, buurt_code, measure, key,
       SUM(count) OVER running, SUM(amount) OVER running
FROM monthly
WINDOW running AS (PARTITION BY team_id, buurt_code, measure, key ORDER BY month)
"""


def _lead_times(dialect: str) -> str:
    sql = _dialect_sql(dialect)
    days = sql["days"].format("closed_at", "COALESCE(first_signal_at, opened_at)")
    month = sql["month_of"].format("closed_at")
    return f"""
INSERT INTO figure_lead_times (month, team_id, buurt_code, days, count)
SELECT {month}, team_id, COALESCE(buurt_code, ''), {days}, COUNT(*)
FROM cases WHERE status = 'closed' AND closed_at IS NOT NULL
GROUP BY {month}, team_id, COALESCE(buurt_code, ''), {days}
"""


async def refresh(session: AsyncSession) -> FigureRefresh | None:
    """Rebuild the running totals; None when another refresh holds the lock (PostgreSQL)."""
    dialect = session.bind.dialect.name  # type: ignore[union-attr]
    if dialect == "postgresql":
        locked = await session.scalar(select(func.pg_try_advisory_xact_lock(REFRESH_LOCK)))
        if not locked:
            return None
    started, began = utcnow(), time.perf_counter()
    last_month = month_after(started.date())
    earliest = await session.scalar(text("SELECT MIN(registered_at) FROM signals"))
    opened = await session.scalar(text("SELECT MIN(opened_at) FROM cases"))
    firsts = [_as_date(m) for m in (earliest, opened) if m is not None]
    month = first_of_month(min(firsts)) if firsts else last_month
    months = []
    while month <= last_month:
        months.append(month)
        month = month_after(month)
    for table in ("figure_rollups", "figure_lead_times"):
        await session.exec(text(f"DELETE FROM {table}"))  # type: ignore[call-overload]
    await session.exec(text(_lead_times(dialect)))  # type: ignore[call-overload]
    statement = text(_rebuild(dialect, months)).bindparams(
        *(bindparam(f"month_{i}", m if dialect == "postgresql" else m.isoformat()) for i, m in enumerate(months))
    )
    await session.exec(statement)  # type: ignore[call-overload]
    rows = int(await session.scalar(text("SELECT COUNT(*) FROM figure_rollups")) or 0)
    run = FigureRefresh(
        started_at=started,
        finished_at=utcnow(),
        last_month=last_month,
        row_count=rows,
        duration_ms=round((time.perf_counter() - began) * 1000),
    )
    session.add(run)
    await session.flush()
    return run


def _as_date(value: object) -> date:
    """SQLite answers MIN() over timestamps as text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    return date.fromisoformat(str(value)[:10])


async def latest(session: AsyncSession) -> FigureRefresh | None:
    statement = select(FigureRefresh).order_by(FigureRefresh.finished_at.desc()).limit(1)  # type: ignore[attr-defined]
    return (await session.exec(statement)).scalars().first()  # type: ignore[call-overload,no-any-return]
