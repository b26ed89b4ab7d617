"""Which partner systems the worker keeps in step, from a JSON file named by WR_ADAPTERS_FILE.

    [{"name": "schuldhulp", "kind": "rest-json", "organisationId": "...", "teamId": "...",
      "baseUrl": "https://crm.schuldhulp.example", "tokenEnv": "SCHULDHULP_TOKEN",
      "everySeconds": 60, "mapping": "schuldhulp.json"}]

Credentials are never in the file: `tokenEnv` names the environment variable that holds them. A mapping
is looked up beside the file, then among the mappings that come with wijkregistratie, and checked
against its kind's mapping model. Both files have a published JSON Schema (`partners_schema`, and each
kind's mapping model); a file that does not fit is refused with its line and the field named, before the
worker starts.
"""

import json
import os
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel, to_snake

BUILT_IN_MAPPINGS = Path(__file__).parent / "mappings"


class PartnerConfig(BaseModel):
    """One partner organisation's system, as the partners file names it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9-]{1,60}$", description="The partner's name here: its job, metrics, logs.")
    kind: str = Field(default="rest-json", description="Which adapter speaks to it: one of the registered kinds.")
    organisation_id: uuid.UUID = Field(description="The organisation the adapter acts as.")
    team_id: uuid.UUID | None = Field(default=None, description="The team its new clients are signalled to.")
    base_url: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Where a partner's API is reached (`rest-json`; `zgw`: the Zaken API's root, ending in `/api/v1`).",
    )
    folder: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="A file-exchanging partner's drop folder (`csv`): it puts files in `import/`, and takes "
        "them from `export/`.",
    )
    token_env: str | None = Field(
        default=None,
        pattern=r"^[A-Z][A-Z0-9_]{0,99}$",
        description="The environment variable holding its token (`zgw`: the secret its JWTs are signed with).",
    )
    client_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The client id the partner knows this adapter by (`zgw`: the JWT's `client_id` and `iss`).",
    )
    every_seconds: float = Field(default=60, gt=0, description="Seconds between rounds.")
    timeout_seconds: float = Field(default=10, gt=0, le=120, description="How long one call may take.")
    mapping: str = Field(min_length=1, max_length=200, description="The mapping file, beside this file or built in.")

    def token(self) -> str | None:
        return os.environ.get(self.token_env) if self.token_env else None


class PartnersFileError(ValueError):
    """A partners or mapping file that does not fit its schema: which file, which line, which field, why."""

    def __init__(self, file: Path, line: int | None, field: str, reason: str) -> None:
        self.file, self.line, self.field, self.reason = file, line, field, reason
        where = f"{file}, line {line}" if line else str(file)
        super().__init__(f"{where}: {field or 'the file'}: {reason}")


def partners_schema(kinds: Sequence[str]) -> dict[str, Any]:
    """The JSON Schema of the partners file, naming the registered kinds."""
    schema = TypeAdapter(list[PartnerConfig]).json_schema(by_alias=True)
    schema["$defs"]["PartnerConfig"]["properties"]["kind"]["enum"] = sorted(kinds)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Partners file"} | schema


def load_partners(
    path: str, mappings: Mapping[str, type[BaseModel]], needs: Mapping[str, Sequence[str]]
) -> list[tuple[PartnerConfig, BaseModel]]:
    """The partners and their mappings, each mapping checked against its kind's model (`mappings`), each
    partner having the fields its kind `needs` (`baseUrl`, `folder`); an error here stops the worker at start."""
    if not path:
        return []
    file = Path(path)
    partners = _parsed(file, TypeAdapter(list[PartnerConfig]))
    loaded = []
    for index, partner in enumerate(partners):
        if partner.kind not in mappings:
            line = _line_of(file.read_text(encoding="utf-8"), (index, "kind"))
            raise PartnersFileError(file, line, f"[{index}].kind", f"not one of {', '.join(sorted(mappings))}")
        for needed in needs.get(partner.kind, ()):
            if getattr(partner, to_snake(needed)) is None:
                line = _line_of(file.read_text(encoding="utf-8"), (index,))
                raise PartnersFileError(file, line, f"[{index}].{needed}", f"a {partner.kind} partner needs it")
        candidates = [file.parent / partner.mapping, BUILT_IN_MAPPINGS / partner.mapping]
        mapping_file = next((c for c in candidates if c.is_file()), None)
        if mapping_file is None:
            line = _line_of(file.read_text(encoding="utf-8"), (index, "mapping"))
            raise PartnersFileError(file, line, f"[{index}].mapping", f"{partner.mapping} is not found")
        loaded.append((partner, _parsed(mapping_file, TypeAdapter(mappings[partner.kind]))))
    return loaded


def _parsed(file: Path, shape: TypeAdapter[Any]) -> Any:
    try:
        text = file.read_text(encoding="utf-8")
        document = json.loads(text)
    except OSError as exc:
        raise PartnersFileError(file, None, "", f"cannot be read ({type(exc).__name__})") from exc
    except UnicodeDecodeError as exc:
        raise PartnersFileError(file, None, "", "is not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise PartnersFileError(file, exc.lineno, "", f"is not JSON ({exc.msg}, column {exc.colno})") from exc
    try:
        return shape.validate_python(document)
    except ValidationError as invalid:
        error = invalid.errors()[0]
        loc = tuple(error["loc"])
        # A union's error names the alternative it tried: keep the place in the file, not the model's name.
        keys = _keys(document, loc)
        missing = loc[-1:] if error["type"] == "missing" else ()
        place = tuple(p for p in loc if isinstance(p, int) or p in keys) + tuple(p for p in missing if p not in keys)
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in place).lstrip(".")
        raise PartnersFileError(file, _line_of(text, place), field, error["msg"]) from invalid


def _keys(document: Any, loc: tuple[Any, ...]) -> set[str]:
    """Every key met walking `loc` into the document, as far as it goes."""
    keys: set[str] = set()
    value = document
    for part in loc:
        if isinstance(value, dict):
            keys.update(value)
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
    return keys


def _line_of(text: str, place: tuple[Any, ...]) -> int:
    """The line on which the value at `place` (keys and indexes) starts, or its nearest parent's."""
    decoder = json.JSONDecoder()
    position = _skip(text, 0)
    for part in place:
        found = _child(text, position, part, decoder)
        if found is None:
            break
        position = found
    return text.count("\n", 0, position) + 1


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _child(text: str, position: int, part: Any, decoder: json.JSONDecoder) -> int | None:
    """Where the member `part` of the object or array starting at `position` starts."""
    opening = text[position : position + 1]
    if opening not in ("{", "["):
        return None
    position, index = _skip(text, position + 1), 0
    while position < len(text) and text[position] not in "}]":
        if opening == "{":
            key, position = decoder.raw_decode(text, position)
            position = _skip(text, _skip(text, position) + 1)  # past the colon
            if key == part:
                return position
        elif index == part:
            return position
        _, end = decoder.raw_decode(text, position)
        position, index = _skip(text, end), index + 1
        if text[position : position + 1] == ",":
            position = _skip(text, position + 1)
    return None
