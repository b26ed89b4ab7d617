import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import timestamp_field


class FigureRollup(SQLModel, table=True):
    """Running totals per team, neighbourhood, measure and key: everything counted before `month` began.

    A figure for a period is then the difference of two months' rows, whatever the size of the history.
    Measures named `state.…` are not running totals but what held at the start of the month (the waiting
    list). Rows of months that had ended at a refresh are final: later refreshes leave them as they are.
    """

    __tablename__ = "figure_rollups"

    month: date = Field(primary_key=True)
    measure: str = Field(max_length=40, primary_key=True)
    key: str = Field(max_length=60, primary_key=True)
    team_id: uuid.UUID = Field(primary_key=True)
    buurt_code: str = Field(max_length=10, primary_key=True, description="Empty when the household has none.")
    count: int
    amount: float = Field(description="A sum beside the count, for means (organisations, score changes).")
    key_sum: int = Field(sa_type=BigInteger, description="The sum of the counted records' keys.")


class FigureLeadTime(SQLModel, table=True):
    """Closed cases per month of closure, team, neighbourhood and band of days from first signal to closure.

    Percentiles do not add up, so these are kept per month (not as running totals) and a period's median
    is interpolated in the sum of its months' bands.
    """

    __tablename__ = "figure_lead_times"

    month: date = Field(primary_key=True)
    team_id: uuid.UUID = Field(primary_key=True)
    buurt_code: str = Field(max_length=10, primary_key=True)
    days: int = Field(primary_key=True, description="The first day of the band.")
    count: int
    key_sum: int = Field(sa_type=BigInteger)


class FigureRefresh(SQLModel, table=True):
    """One rebuild of the rollups; the latest tells how current the figures are."""

    __tablename__ = "figure_refreshes"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = timestamp_field()
    finished_at: datetime = timestamp_field(index=True)
    last_month: date = Field(description="The latest month the running totals reach (the one after the refresh).")
    final_before: date | None = Field(
        default=None, description="The month this refresh began in: every month before it is final from now on."
    )
    row_count: int
    duration_ms: int
