import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import id_field, json_field, partial_index, text_field, timestamp_field


class Team(SQLModel, table=True):
    __tablename__ = "teams"

    id: uuid.UUID = id_field()
    name: str = text_field(200, index=True)
    municipality_code: str = Field(foreign_key="municipalities.code", max_length=6, index=True)
    # CBS codes (GMxxxx, WKxxxxxx, BUxxxxxxxx) of the area the team serves, all within its municipality.
    area_codes: list[str] = json_field()
    first_contact_target_days: int = 3
    # How far back a closed case still makes a match (its former lead is suggested), how long a match stays
    # on the lists, and after how many days a referral without an answer is on the team's due list.
    returning_household_days: int = 730
    match_valid_days: int = 90
    referral_answer_days: int = 10
    version: int = 1
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class TeamOrganisation(SQLModel, table=True):
    """An organisation taking part in a team, from a day until a day: the team's history is kept."""

    __tablename__ = "team_organisations"
    __table_args__ = (
        partial_index(
            "uq_team_organisations_current", "team_id", "organisation_id", where="until IS NULL", unique=True
        ),
    )

    id: uuid.UUID = id_field()
    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id", index=True)
    since: date
    until: date | None = None
