from typing import Annotated

from fastapi import APIRouter, Query

from wijkregistratie.core.database import Session
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import Reader
from wijkregistratie.events import service
from wijkregistratie.events.codes import DESCRIPTIONS
from wijkregistratie.events.schemas import FEED_MAX, EventPage

router = APIRouter(prefix=f"{API_PREFIX}/events", tags=["Events"], route_class=route_class(personal=True))

_TYPES = "\n".join(f"- `{t.value}`: {d}" for t, d in DESCRIPTIONS.items())


@router.get(
    "",
    response_model=EventPage,
    summary="Read the change feed",
    description="The changes the caller's organisation may know about, oldest first, as CloudEvents. Start "
    "with `after=0` (or leave it out), then pass each answer's `nextCursor`: the feed is resumable and "
    "gap-free — an event never appears later under a lower position than one already read. An organisation "
    "receives the events of the cases it is involved in while it is (starting with a `case.snapshot` when it "
    "joins), of the signals it registered, was forwarded or took up, and a coordinator those of the team. "
    f"Event types:\n\n{_TYPES}",
    responses=errors(),
)
async def read_events(
    session: Session,
    principal: Reader,
    after: Annotated[
        str | None,
        Query(
            max_length=18,
            pattern=r"^[0-9]{1,18}$",
            description="`nextCursor` of the previous page.",
            examples=["1041"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=FEED_MAX, description=f"At most {FEED_MAX}.")] = 100,
) -> EventPage:
    return await service.read_feed(session, principal, after, limit)
