from datetime import datetime

from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import text_field, timestamp_field


class Municipality(SQLModel, table=True):
    """A municipality (CBS `GMxxxx`): its teams and their areas belong to it, and its figures clients read
    its figures only. One deployment may serve several."""

    __tablename__ = "municipalities"

    code: str = Field(primary_key=True, max_length=6)
    name: str = text_field(200)
    version: int = 1
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
