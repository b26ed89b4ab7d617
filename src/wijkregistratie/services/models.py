import uuid
from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import id_field, json_field, text_field, timestamp_field


class Service(SQLModel, table=True):
    """An entry of the service directory (sociale kaart)."""

    __tablename__ = "services"

    id: uuid.UUID = id_field()
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id", index=True)
    name: str = text_field(200)
    description: str = Field(sa_type=Text)
    life_domains: list[str] = json_field()
    area_codes: list[str] = json_field()
    # Four-digit postcode areas served, for "what is there near 3072?".
    pc4_areas: list[str] = json_field()
    eligibility: str | None = Field(default=None, sa_type=Text)
    phone: str | None = text_field(30, default=None)
    email: str | None = text_field(254, default=None)
    website: str | None = text_field(500, default=None)
    visiting_address: str | None = text_field(300, default=None)
    version: int = 1
    created_at: datetime = timestamp_field(index=True)
