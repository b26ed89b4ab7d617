"""The adapter kinds: a partner's `kind` in the partners file picks the implementation and the model its
mapping file is checked against (whose JSON Schema is published beside the partners file's)."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
from pydantic import BaseModel

from wijkregistratie.adapters.base import Adapter
from wijkregistratie.adapters.config import PartnerConfig, load_partners, partners_schema
from wijkregistratie.adapters.csv_files import CsvAdapter, CsvMapping
from wijkregistratie.adapters.fhir import FhirAdapter, FhirMapping
from wijkregistratie.adapters.fhir_resources import conformance
from wijkregistratie.adapters.rest_json import RestJsonAdapter, RestJsonMapping
from wijkregistratie.adapters.zgw import ZgwAdapter, ZgwMapping
from wijkregistratie.core.identifiers import BsnVault


@dataclass(frozen=True)
class Kind:
    adapter: Callable[[PartnerConfig, Any, BsnVault, httpx.AsyncClient], Adapter]
    mapping: type[BaseModel]
    needs: tuple[str, ...]  # the partners file's fields saying where and how the partner is reached


KINDS: dict[str, Kind] = {
    "rest-json": Kind(RestJsonAdapter, RestJsonMapping, ("baseUrl",)),
    "csv": Kind(CsvAdapter, CsvMapping, ("folder",)),
    "zgw": Kind(ZgwAdapter, ZgwMapping, ("baseUrl", "clientId", "tokenEnv")),
    "fhir-r4": Kind(FhirAdapter, FhirMapping, ("baseUrl",)),
}


def partners(path: str) -> list[tuple[PartnerConfig, BaseModel]]:
    """The partners file's partners and their checked mappings (`PartnersFileError` names what is wrong)."""
    mappings = {name: kind.mapping for name, kind in KINDS.items()}
    return load_partners(path, mappings, {name: kind.needs for name, kind in KINDS.items()})


def build(partner: PartnerConfig, mapping: BaseModel, vault: BsnVault, http: httpx.AsyncClient) -> Adapter:
    return KINDS[partner.kind].adapter(partner, mapping, vault, http)


@cache  # built once per process: they change only with the code
def schemas() -> dict[str, dict[str, Any]]:
    """The published JSON Schemas, the partners file's and each kind's mapping file's, and the FHIR
    definitions the `fhir-r4` kind's resources use, by file name."""
    published = {"partners.json": partners_schema(list(KINDS))}
    for name, kind in KINDS.items():
        schema = kind.mapping.model_json_schema(by_alias=True)
        published[f"mappings/{name}.json"] = {"$schema": "https://json-schema.org/draft/2020-12/schema"} | schema
    published |= {f"fhir/{name}": resource for name, resource in conformance().items()}
    return published
