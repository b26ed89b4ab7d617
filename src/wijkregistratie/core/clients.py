"""What a registered client may do, as it stands now: read on every request, kept for a moment.

A token says who it was issued to; what that client may do is looked up afresh (at most a couple of
seconds old), so a client that is disabled, loses a scope or stops coordinating a team is refused or
reduced within seconds, whatever tokens it still holds. The lookup itself belongs to the part that keeps
the clients; core only caches its answers.
"""

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

GRANTS_KEPT_SECONDS = 2.0


@dataclass(frozen=True)
class ClientGrant:
    client_id: str
    organisation_id: uuid.UUID
    scopes: frozenset[str]
    coordinated_team_ids: frozenset[uuid.UUID]
    active: bool
    municipality_code: str | None = None


GrantLookup = Callable[[str], Awaitable[ClientGrant | None]]


class ClientRegistry:
    def __init__(self, lookup: GrantLookup, kept_seconds: float = GRANTS_KEPT_SECONDS) -> None:
        self._lookup = lookup
        self._kept = kept_seconds
        self._grants: dict[str, tuple[float, ClientGrant | None]] = {}

    async def grant(self, client_id: str) -> ClientGrant | None:
        """The client's grant, or None for a client that is unknown or disabled."""
        now = time.monotonic()
        kept = self._grants.get(client_id)
        if kept is None or now - kept[0] > self._kept:
            if len(self._grants) > 10_000:
                self._grants.clear()  # forget idle clients rather than grow without bound
            kept = (now, await self._lookup(client_id))
            self._grants[client_id] = kept
        grant = kept[1]
        return grant if grant is not None and grant.active else None
