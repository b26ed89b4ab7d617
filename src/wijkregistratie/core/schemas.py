"""Base classes for API shapes: lowerCamelCase on the wire, unknown fields refused."""

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
