"""Who is still at work, asked the same way by triage, lead assignment and the coordinator's lists."""

from datetime import date

from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from wijkregistratie.core.clock import today
from wijkregistratie.professionals.models import Professional


def still_working(on: date | None = None) -> ColumnElement[bool]:
    """The professional has not left: no last working day, or one not yet past (on the Dutch calendar)."""
    return or_(col(Professional.left_on).is_(None), col(Professional.left_on) >= (on or today()))
