"""Which partner systems the worker keeps in step, from a JSON file named by WR_ADAPTERS_FILE.

    [{"name": "schuldhulp", "kind": "rest-json", "organisationId": "...", "teamId": "...",
      "baseUrl": "https://crm.schuldhulp.example", "tokenEnv": "SCHULDHULP_TOKEN",
      "everySeconds": 60, "mapping": "schuldhulp.json"}]

Credentials are never in the file: `tokenEnv` names the environment variable that holds them. A mapping
is looked up beside the file, then among the mappings that come with wijkregistratie.
"""

import json
import os
import uuid
from collections.abc import Collection
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

BUILT_IN_MAPPINGS = Path(__file__).parent / "mappings"


class PartnerConfig(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9-]{1,60}$")
    kind: str = Field(default="rest-json", pattern=r"^[a-z0-9-]{1,40}$")
    organisation_id: uuid.UUID
    team_id: uuid.UUID | None = None
    base_url: str
    token_env: str | None = None
    every_seconds: float = Field(default=60, gt=0)
    timeout_seconds: float = Field(default=10, gt=0, le=120)
    mapping: str

    def token(self) -> str | None:
        return os.environ.get(self.token_env) if self.token_env else None


def load_partners(path: str, kinds: Collection[str]) -> list[tuple[PartnerConfig, dict[str, Any]]]:
    """The partners and their mappings; an error here stops the worker at start, not halfway."""
    if not path:
        return []
    file = Path(path)
    partners = [PartnerConfig.model_validate(p) for p in json.loads(file.read_text(encoding="utf-8"))]
    loaded = []
    for partner in partners:
        if partner.kind not in kinds:
            raise ValueError(f"partner {partner.name}: kind {partner.kind} is not one of {', '.join(sorted(kinds))}")
        candidates = [file.parent / partner.mapping, BUILT_IN_MAPPINGS / partner.mapping]
        mapping_file = next((c for c in candidates if c.is_file()), None)
        if mapping_file is None:
            raise ValueError(f"partner {partner.name}: mapping {partner.mapping} not found")
        loaded.append((partner, json.loads(mapping_file.read_text(encoding="utf-8"))))
    return loaded
