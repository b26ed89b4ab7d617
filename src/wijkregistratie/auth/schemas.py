import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel
from wijkregistratie.core.security import Scope
from wijkregistratie.municipalities.schemas import MUNICIPALITY_PATTERN


class TokenResponse(BaseModel):
    """The OAuth2 token response; its field names are fixed by RFC 6749."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ3ci1kZW1vIn0.c2lnbmF0dXJl",
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "scope": "record:read record:write",
                }
            ]
        }
    )

    access_token: str = Field(max_length=4096)
    token_type: str = Field(pattern="^Bearer$")
    expires_in: int = Field(ge=1, description="Seconds until the token expires.")
    scope: str = Field(max_length=500, description="The scopes granted, separated by spaces.")


class TokenRequest(BaseModel):
    """The client credentials grant, as a form (RFC 6749 §4.4.2)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "grant_type": "client_credentials",
                    "client_id": "wr-demo-woonstad",
                    "client_secret": "s3cr3t-shown-once",
                    "scope": "record:read record:write",
                }
            ]
        },
    )

    grant_type: str = Field(max_length=50, description="Always `client_credentials`.")
    client_id: str | None = Field(default=None, max_length=100, description="Or send HTTP Basic credentials.")
    client_secret: str | None = Field(default=None, max_length=200)
    scope: str | None = Field(default=None, max_length=500, description="Some of the client's scopes.")
    actor: str | None = Field(
        default=None, max_length=36, description="Id of the professional on whose behalf the system acts."
    )


_CLIENT_EXAMPLE: dict[str, Any] = {
    "clientId": "wr-3f9a1c2d4e5b6a70",
    "name": "Schuldhulp CRM",
    "organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
    "scopes": ["record:read", "record:write"],
    "coordinatedTeamIds": [],
    "active": True,
    "version": 1,
    "createdAt": "2026-03-02T08:30:00Z",
    "updatedAt": "2026-03-02T08:30:00Z",
}


class ClientCreate(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
                    "name": "Schuldhulp CRM",
                    "scopes": ["record:read", "record:write"],
                }
            ]
        }
    )

    organisation_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200, description="What the credentials are for.")
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope), json_schema_extra={"uniqueItems": True})
    coordinated_team_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=20, description="Teams the client coordinates: it sees their signals."
    )
    municipality_code: str | None = Field(
        default=None,
        pattern=MUNICIPALITY_PATTERN,
        description="The municipality whose figures the client reads; required with the `figures:read` scope.",
    )


class ClientRead(ApiModel):
    """Credentials without their secret."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CLIENT_EXAMPLE]})

    client_id: str = Field(max_length=100)
    name: str = Field(max_length=200)
    organisation_id: uuid.UUID
    scopes: list[Scope] = Field(max_length=len(Scope))
    coordinated_team_ids: list[uuid.UUID] = Field(max_length=20)
    municipality_code: str | None = Field(default=None, max_length=6)
    active: bool = Field(description="A disabled client gets no token, and its tokens are refused within seconds.")
    previous_secret_valid_until: datetime | None = Field(
        default=None, description="After a rotation: until when the previous secret still works."
    )
    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime


class ClientWithSecret(ClientRead):
    """Credentials just made or rotated: the secret is shown here once, and only its hash is kept."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CLIENT_EXAMPLE | {"clientSecret": "kQ3v...shown-once"}]})

    client_secret: str = Field(max_length=200)


class ClientPage(Page[ClientRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_CLIENT_EXAMPLE]}]})


class SecretRotation(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"previousValidSeconds": 86400}]})

    previous_valid_seconds: int = Field(
        default=86400, ge=0, le=30 * 86400, description="How long the previous secret keeps working (0: not at all)."
    )


class ClientUpdate(ApiModel):
    """What changes; fields left out stay as they are."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"active": False}]})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    scopes: list[Scope] | None = Field(
        default=None, min_length=1, max_length=len(Scope), json_schema_extra={"uniqueItems": True}
    )
    coordinated_team_ids: list[uuid.UUID] | None = Field(default=None, max_length=20)
    municipality_code: str | None = Field(default=None, pattern=MUNICIPALITY_PATTERN)
    active: bool | None = Field(default=None, description="`false` disables the client; `true` enables it again.")
