"""Optimistic concurrency: ETags carry a resource's version; changes must name the one they saw.

One policy for every versioned resource: each answer carries its `ETag`, and every change to one that
exists names the version it saw in `If-Match`, so two organisations never overwrite each other unseen
(the second writer gets 412 and reloads; a change without it gets 428 rather than being applied blindly).
A resource that is created by writing to its own address (the plan's first version) is written with
`If-None-Match: *`, which fails with 412 if somebody else created it first.
"""

from datetime import datetime
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Header, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.errors import PreconditionFailed, PreconditionRequired

IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=10,
        description="`*` to create the first version: refused (412) if one exists already.",
        examples=["*"],
    ),
]

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description="The `ETag` of the version you last read; the change is refused (412) if it is stale.",
        examples=['"3"'],
    ),
]

ETAG_HEADER: dict[str, Any] = {
    "ETag": {
        "description": "The version of the resource, for `If-Match` on the next change.",
        "schema": {"type": "string", "examples": ['"3"']},
    }
}


def etag(version: int) -> str:
    return f'"{version}"'


T = TypeVar("T")


def versioned(response: Response, item: T, *, version: int | None = None, location: str | None = None) -> T:
    """The answer `item` with its `ETag` — its own `version` unless another is given (a case's lead is
    versioned with the case) — and, for what was just created, its `Location`."""
    response.headers["ETag"] = etag(version if version is not None else item.version)  # type: ignore[attr-defined]
    if location is not None:
        response.headers["Location"] = location
    return item


class Versioned(Protocol):
    version: int
    updated_at: datetime


def new_version(session: AsyncSession, row: Versioned) -> None:
    """`row` was changed: its next version, stamped now, goes in with the transaction."""
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)


def check_if_match(if_match: str | None, current_version: int) -> None:
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the ETag of the version you last read.")
    # Only a strong tag of this resource's current version will do: `*` (any version) and weak tags name
    # no version the writer saw.
    if etag(current_version) in (tag.strip() for tag in if_match.split(",")):
        return
    raise PreconditionFailed(
        f"The resource has changed since you read it; its current ETag is {etag(current_version)}. "
        "Reload, reapply your change and retry."
    )


def check_preconditions(if_match: str | None, if_none_match: str | None, current_version: int | None) -> None:
    """For a resource written at its own address: `If-None-Match: *` creates it, `If-Match` changes it."""
    if current_version is None:
        if if_match is not None:
            raise PreconditionFailed("There is no version yet, so none can match If-Match; send If-None-Match: *.")
        if if_none_match is None or if_none_match.strip() != "*":
            raise PreconditionRequired("Send If-None-Match: * to create the first version.")
        return
    if if_none_match is not None:
        raise PreconditionFailed(
            f"A version exists already (its ETag is {etag(current_version)}); reload it and change it with If-Match."
        )
    check_if_match(if_match, current_version)


# The `responses` entries that document the ETag an operation answers with.
WITH_ETAG: dict[int | str, dict[str, Any]] = {200: {"headers": ETAG_HEADER}}
CREATED_WITH_ETAG: dict[int | str, dict[str, Any]] = {201: {"headers": ETAG_HEADER}}
