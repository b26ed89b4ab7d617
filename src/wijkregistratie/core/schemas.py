"""Base classes for API shapes: lowerCamelCase on the wire, unknown fields refused."""

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """An API shape. Input refuses unknown fields, so ids, status or version cannot be smuggled in."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
        from_attributes=True,
    )


def requires_one_of(*groups: tuple[str, ...]) -> dict[str, Any]:
    """JSON Schema for "give these fields, or those": what a model validator checks, said in the contract
    so that clients and generators know it too."""
    return {
        "anyOf": [
            {"required": list(group), "properties": {name: {"not": {"type": "null"}} for name in group}}
            for group in groups
        ]
    }
