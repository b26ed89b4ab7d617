"""The adapter kinds: a partner's `kind` in the partners file picks the implementation here."""

from collections.abc import Callable
from typing import Any

import httpx

from wijkregistratie.adapters.base import Adapter
from wijkregistratie.adapters.config import PartnerConfig
from wijkregistratie.adapters.rest_json import RestJsonAdapter
from wijkregistratie.core.identifiers import BsnVault

AdapterFactory = Callable[[PartnerConfig, dict[str, Any], BsnVault, httpx.AsyncClient], Adapter]

KINDS: dict[str, AdapterFactory] = {
    "rest-json": RestJsonAdapter,
}


def build(partner: PartnerConfig, mapping: dict[str, Any], vault: BsnVault, http: httpx.AsyncClient) -> Adapter:
    return KINDS[partner.kind](partner, mapping, vault, http)
