"""Keyset pagination: stable under concurrent inserts, sorted by time and then id.

A cursor is an opaque token naming the last item of the previous page; pages never skip or repeat
an item, however much is written meanwhile, and each page costs one index range scan.
"""

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import Field
from sqlalchemy import Uuid, and_, or_
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from wijkregistratie.core.errors import InvalidInput
from wijkregistratie.core.schemas import ApiModel

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

ItemT = TypeVar("ItemT")
RowT = TypeVar("RowT")


class Page(ApiModel, Generic[ItemT]):
    items: list[ItemT] = Field(description="The items of this page, in order.", max_length=MAX_PAGE_SIZE)
    next_cursor: str | None = Field(
        default=None,
        description="Pass as `cursor` to get the next page; absent on the last page.",
        max_length=200,
    )


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Page size, at most {MAX_PAGE_SIZE}.")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=200,
        description="The `nextCursor` of the previous page.",
        examples=["WyIyMDI2LTAzLTAyVDA4OjMwOjAwKzAwOjAwIiwgIjVlNGQwYTlhLTU3NmMtNGY4Zi04YjlkLTAxNmYxYzFiOGUzZiJd"],
    ),
]


def encode_cursor(moment: datetime, ident: uuid.UUID) -> str:
    raw = json.dumps([moment.isoformat(), str(ident)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, id_type: type[Any]) -> tuple[datetime, Any]:
    """The position a cursor names: a time, and an id of the type the list is keyed by (a uuid, or a code)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, ident = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(ident, str):
            raise TypeError("an id is written as text")
        return datetime.fromisoformat(moment), id_type(ident)
    except (ValueError, TypeError) as exc:
        raise InvalidInput.field("cursor", "not a cursor this API handed out") from exc


async def paginate(
    session: AsyncSession,
    statement: SelectOfScalar[RowT],
    order_by: Any,
    id_column: Any,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[RowT], str | None]:
    if cursor:
        moment, ident = _decode(cursor, uuid.UUID if isinstance(id_column.type, Uuid) else str)
        statement = statement.where(or_(order_by > moment, and_(order_by == moment, id_column > ident)))
    rows = (await session.exec(statement.order_by(order_by, id_column).limit(limit + 1))).all()
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(getattr(last, order_by.key), getattr(last, id_column.key))
