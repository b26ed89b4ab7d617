from pydantic import BaseModel, ConfigDict, Field


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
