"""The REST/JSON adapter: a partner system with a JSON API of its own, read and written over HTTP with
the declarative mapping (see `mappings/schuldhulp.json`; its JSON Schema is `RestJsonMapping`'s, published
at `/docs/schemas/mappings/rest-json.json`, and `adapters.mapping` explains the mapping language).
"""

from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import Field

from wijkregistratie.adapters.base import Change, PartnerUnavailable
from wijkregistratie.adapters.config import PartnerConfig
from wijkregistratie.adapters.mapping import Intake, MappedAdapter, MappingModel, Outgoing
from wijkregistratie.core.identifiers import BsnVault


class Pull(Intake):
    """What the adapter reads: `GET {path}?{since}={checkpoint}` answering `{"{items}": [...]}`."""

    path: str = Field(pattern=r"^/")
    since: str = Field(min_length=1, description="The query parameter taking the last checkpoint.")
    items: str = Field(min_length=1, description="The member of the answer holding the changed records.")
    checkpoint: str = Field(min_length=1, description="The record's field holding its change marker.")


class Push(Outgoing):
    """What the adapter writes: `POST {path}` with one document per event the partner takes."""

    path: str = Field(pattern=r"^/")


class RestJsonMapping(MappingModel):
    """The mapping of a `rest-json` partner: how its records come in and what it is sent."""

    pull: Pull
    push: Push


class RestJsonAdapter(MappedAdapter):
    delivers_together = False  # each note is posted, and kept as posted, in turn

    def __init__(self, partner: PartnerConfig, mapping: RestJsonMapping, vault: BsnVault, client: httpx.AsyncClient):
        super().__init__(partner, mapping.pull, mapping.push, vault)
        self.mapping, self.client = mapping, client

    def _headers(self) -> dict[str, str]:
        token = self.partner.token()
        return {"authorization": f"Bearer {token}"} if token else {}

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.client.request(
                method,
                (self.partner.base_url or "").rstrip("/") + path,
                headers=self._headers(),
                timeout=self.partner.timeout_seconds,
                **kwargs,
            )
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(type(exc).__name__) from exc
        if response.status_code >= 300:
            raise PartnerUnavailable(f"answered {response.status_code}")
        return response

    async def fetch(self, since: str) -> Sequence[Change]:
        spec = self.mapping.pull
        response = await self._call("GET", spec.path, params={spec.since: since or "0"})
        try:
            items = response.json()[spec.items]
            return [Change(marker=str(item[spec.checkpoint]), record=item) for item in items]
        except (ValueError, KeyError, TypeError) as exc:  # invalid JSON, or not the agreed shape
            raise PartnerUnavailable("answered with something other than the agreed JSON") from exc

    async def deliver(self, documents: Sequence[dict[str, Any]]) -> None:
        for document in documents:
            await self._call("POST", self.mapping.push.path, json=document)
