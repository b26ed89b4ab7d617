"""Optimistic concurrency: ETags carry a resource's version; changes must name the one they saw.

Two organisations can then never overwrite each other unseen: the second writer gets 412 and
reloads. A change without If-Match is refused with 428 rather than applied blindly.
"""

from typing import Annotated, Any, TypeVar

from fastapi import Header, Response

from wijkregistratie.core.errors import PreconditionFailed, PreconditionRequired

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


# The `responses` entries that document the ETag an operation answers with.
WITH_ETAG: dict[int | str, dict[str, Any]] = {200: {"headers": ETAG_HEADER}}
CREATED_WITH_ETAG: dict[int | str, dict[str, Any]] = {201: {"headers": ETAG_HEADER}}
