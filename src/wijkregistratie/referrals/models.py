import uuid
from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import code_field, id_field, text_field, timestamp_field


class Referral(SQLModel, table=True):
    """A referral from a case to an organisation: a closed loop, modelled on the FHIR Task."""

    __tablename__ = "referrals"

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    from_organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    to_organisation_id: uuid.UUID = Field(foreign_key="organisations.id", index=True)
    service_id: uuid.UUID | None = Field(default=None, foreign_key="services.id")
    reason: str = Field(sa_type=Text)
    basis: str = code_field()
    basis_reference: str = text_field(200)
    consent_id: uuid.UUID | None = Field(default=None, foreign_key="consents.id")
    status: str = code_field(index=True)
    status_reason: str | None = Field(default=None, sa_type=Text)
    outcome: str | None = code_field(default=None)
    version: int = 1
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class ReferralStatusChange(SQLModel, table=True):
    __tablename__ = "referral_status_changes"

    id: uuid.UUID = id_field()
    referral_id: uuid.UUID = Field(foreign_key="referrals.id", index=True)
    status: str = code_field()
    reason: str | None = Field(default=None, sa_type=Text)
    outcome: str | None = code_field(default=None)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    client_id: str = Field(max_length=100)
    at: datetime = timestamp_field()
