import uuid
from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import id_field, text_field, timestamp_field


class Attachment(SQLModel, table=True):
    """A file on a case, kept in the database with the record so both live and go together."""

    __tablename__ = "attachments"

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    name: str = text_field(255)
    media_type: str = text_field(100)
    size: int
    sha256: str = text_field(64)
    content: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = timestamp_field()
