"""Time as the record keeps it: timestamps in UTC, days as the teams count them, in the Netherlands.

A date such as "involved until 5 March" or "first contact within three days" is a day on the Dutch
calendar, whatever zone the server runs in: between midnight and 01:00 or 02:00 in Amsterdam, UTC still
says yesterday.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

TEAM_ZONE = ZoneInfo("Europe/Amsterdam")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today(now: datetime | None = None) -> date:
    """The day it is in the Netherlands (at `now`, or at this moment)."""
    return (now or utcnow()).astimezone(TEAM_ZONE).date()
