"""Base classes for API shapes: lowerCamelCase on the wire, unknown fields refused, dates as text."""

from collections.abc import Collection
from datetime import date, datetime
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from wijkregistratie.core.errors import InvalidInput


def _is_temporal(annotation: Any) -> bool:
    if annotation in (date, datetime):
        return True
    if get_origin(annotation) in (Union, UnionType):
        return any(_is_temporal(option) for option in get_args(annotation))
    return False


class ApiModel(BaseModel):
    """An API shape. Input refuses unknown fields, so ids, status or version cannot be smuggled in."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
        from_attributes=True,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _plain_input(cls, value: Any, info: ValidationInfo) -> Any:
        # Pydantic would read a number as seconds since 1970; the contract says ISO 8601 text.
        if isinstance(value, int | float) and not isinstance(value, bool) and info.field_name:
            field = cls.model_fields.get(info.field_name)
            if field is not None and _is_temporal(field.annotation):
                raise ValueError("a date or time is written as ISO 8601 text, not as a number")
        # PostgreSQL stores no NUL character in text, and no reader expects one.
        if _holds_nul(value):
            raise ValueError("text may not contain the NUL character (\\u0000)")
        return value


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


def requires_one_of(*groups: tuple[str, ...]) -> dict[str, Any]:
    """JSON Schema for "give these fields, or those": what a model validator checks, said in the contract
    so that clients and generators know it too. A list given this way is not empty."""
    return {
        "anyOf": [
            {"required": list(group), "properties": {name: {"not": {"type": "null"}, "minItems": 1} for name in group}}
            for group in groups
        ]
    }


def changes_of(update: BaseModel, *, nullable: Collection[str] = ()) -> dict[str, Any]:
    """The fields a PATCH sets (by field name). A field left out keeps its value; one set to null is refused
    by name unless it may be emptied."""
    changes = update.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in nullable:
            raise InvalidInput.field(to_camel(name), "may not be empty; leave it out to keep it")
    return changes
