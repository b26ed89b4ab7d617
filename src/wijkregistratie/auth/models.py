import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import id_field, json_field, optional_timestamp_field, text_field, timestamp_field


class ApiClient(SQLModel, table=True):
    """A partner system's credentials. The secret is stored only as a salted scrypt hash."""

    __tablename__ = "api_clients"

    id: uuid.UUID = id_field()
    client_id: str = Field(max_length=100, unique=True, index=True)
    name: str = text_field(200)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id", index=True)
    secret_hash: str = text_field(255)
    # After a rotation the previous secret keeps working until then, so the partner can switch over.
    previous_secret_hash: str | None = text_field(255, default=None)
    previous_secret_valid_until: datetime | None = optional_timestamp_field()
    scopes: str = text_field(500)
    # Teams this client coordinates: it sees their signals and cases.
    coordinated_team_ids: list[str] = json_field()
    # The municipality whose figures a figures client reads, and nobody else's.
    municipality_code: str | None = Field(default=None, foreign_key="municipalities.code", max_length=6)
    active: bool = True
    version: int = 1
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
