import uuid
from datetime import datetime

from sqlmodel import SQLModel

from wijkregistratie.core.columns import code_field, id_field, text_field, timestamp_field


class Organisation(SQLModel, table=True):
    __tablename__ = "organisations"

    id: uuid.UUID = id_field()
    name: str = text_field(200, index=True)
    kind: str = code_field()
    kvk_number: str | None = text_field(8, default=None)
    agb_code: str | None = text_field(8, default=None)
    # The contact person (kartrekker) other organisations call.
    contact_name: str | None = text_field(200, default=None)
    contact_phone: str | None = text_field(30, default=None)
    contact_email: str | None = text_field(254, default=None)
    version: int = 1
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
