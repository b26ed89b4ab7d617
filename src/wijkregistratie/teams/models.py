import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import id_field, json_field, text_field, timestamp_field


class Team(SQLModel, table=True):
    __tablename__ = "teams"

    id: uuid.UUID = id_field()
    name: str = text_field(200, index=True)
    municipality_code: str = text_field(6, index=True)
    # CBS codes (GMxxxx, WKxxxxxx, BUxxxxxxxx) of the area the team serves.
    area_codes: list[str] = json_field()
    first_contact_target_days: int = 3
    created_at: datetime = timestamp_field()


class TeamOrganisation(SQLModel, table=True):
    __tablename__ = "team_organisations"

    team_id: uuid.UUID = Field(foreign_key="teams.id", primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id", primary_key=True, index=True)
