import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import timestamp_field


class FigureRollup(SQLModel, table=True):
    """Running totals per team, neighbourhood, measure and key: everything counted before `month` began.

    A figure for a period is then the difference of two months' rows, whatever the size of the history.
    Rebuilt as a whole by each refresh, so every row describes the registration at one moment.
    """

    __tablename__ = "figure_rollups"

    month: date = Field(primary_key=True)
    measure: str = Field(max_length=40, primary_key=True)
    key: str = Field(max_length=60, primary_key=True)
    team_id: uuid.UUID = Field(primary_key=True)
    buurt_code: str = Field(max_length=10, primary_key=True, description="Empty when the household has none.")
    count: int
    amount: float = Field(description="A sum beside the count, for means (organisations, score changes).")


class FigureLeadTime(SQLModel, table=True):
    """Closed cases per month of closure, team, neighbourhood and whole days from first signal to closure.

    Percentiles do not add up, so these are kept per month (not as running totals) and a period's median
    is read from the sum of its months' histograms.
    """

    __tablename__ = "figure_lead_times"

    month: date = Field(primary_key=True)
    team_id: uuid.UUID = Field(primary_key=True)
    buurt_code: str = Field(max_length=10, primary_key=True)
    days: int = Field(primary_key=True)
    count: int


class FigureRefresh(SQLModel, table=True):
    """One rebuild of the rollups; the latest tells how current the figures are."""

    __tablename__ = "figure_refreshes"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = timestamp_field()
    finished_at: datetime = timestamp_field(index=True)
    last_month: date = Field(description="The latest month the running totals reach (the one after the refresh).")
    row_count: int
    duration_ms: int
