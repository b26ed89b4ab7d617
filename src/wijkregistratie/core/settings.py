"""Configuration from environment variables.

Every variable carries the prefix ``WR_`` except ``DATABASE_URL``, which keeps the name that
hosting platforms set. In production the application refuses to start with a development secret.
"""

import base64
import binascii
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BeforeValidator, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from wijkregistratie.core.external_tokens import ExternalProvider

# A PostgreSQL role name as `migrate` accepts it: lower case, digits and underscores.
ROLE_NAME = r"[a-z_][a-z0-9_]{0,62}"
DEV_TOKEN_SIGNING_KEY = "dev-only-token-signing-key-change-me-in-production-0123456789"
DEV_BSN_HASH_KEY = "dev-only-bsn-hash-key-change-me"
# A Fernet key (url-safe base64 of 32 bytes) for development only.
DEV_BSN_ENCRYPTION_KEY = "ZGV2LW9ubHktYnNuLWVuY3J5cHRpb24ta2V5LTAwMDA="
DEV_WEBHOOK_SECRET_KEY = "ZGV2LW9ubHktd2ViaG9vay1zZWNyZXQta2V5LTAwMDA="


def _comma_separated(value: Any) -> Any:
    """An environment variable lists its values with commas; code may also give a list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CommaList = Annotated[list[str], NoDecode, BeforeValidator(_comma_separated)]
SecretList = Annotated[list[SecretStr], NoDecode, BeforeValidator(_comma_separated)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WR_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default="sqlite+aiosqlite:///./wijkregistratie.db",
        validation_alias=AliasChoices("DATABASE_URL", "WR_DATABASE_URL"),
    )
    # A PostgreSQL streaming replica for reads that may be a moment behind (lists, figures); empty: none.
    database_replica_url: str = Field(
        default="", validation_alias=AliasChoices("DATABASE_REPLICA_URL", "WR_DATABASE_REPLICA_URL")
    )
    # PostgreSQL: connections each process (API worker or worker) keeps, and may open beyond them at a peak;
    # several processes must fit the server's max_connections (100 by default).
    database_pool_size: int = Field(default=5, ge=1, le=100)
    database_max_overflow: int = Field(default=5, ge=0, le=100)
    # PostgreSQL reached through a pooler in transaction mode (PgBouncer): the pooler keeps the
    # connections, and no prepared statement is reused across transactions.
    database_transaction_pooling: bool = False
    # PostgreSQL: the role the application runs as, given its rights by `migrate` (which runs as the owner).
    database_app_role: str = Field(default="", pattern=f"^({ROLE_NAME})?$")

    token_signing_key: SecretStr = SecretStr(DEV_TOKEN_SIGNING_KEY)
    token_issuer: str = "https://wijkregistratie.local"
    token_audience: str = "wijkregistratie-api"
    token_lifetime_seconds: int = Field(default=300, ge=30, le=3600)
    # Tokens claiming a longer life than this are refused, even when correctly signed.
    token_max_lifetime_seconds: int = Field(default=900, ge=60, le=3600)
    token_clock_leeway_seconds: int = Field(default=30, ge=0, le=300)

    bsn_hash_key: SecretStr = SecretStr(DEV_BSN_HASH_KEY)
    # Comma-separated Fernet keys; the first encrypts, all decrypt (key rotation).
    bsn_encryption_keys: SecretList = Field(default_factory=lambda: [SecretStr(DEV_BSN_ENCRYPTION_KEY)], min_length=1)

    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    max_attachment_bytes: int = Field(default=10_000_000, ge=1024)
    # Requests a client may make per minute; token requests per client id and address, per address, and in
    # all, per minute; signals a client may register per minute (each answers whether a household is known).
    rate_limit_per_minute: int = Field(default=600, ge=1)
    token_rate_limit_per_minute: int = Field(default=30, ge=1)
    token_rate_limit_per_address_per_minute: int = Field(default=60, ge=1)
    token_rate_limit_overall_per_minute: int = Field(default=600, ge=1)
    signal_rate_limit_per_minute: int = Field(default=30, ge=1)
    # Addresses of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; from any
    # other peer they are ignored, and the peer's own address is the caller's.
    trusted_proxies: CommaList = Field(default_factory=list)
    # Outside development the documentation and metrics can be kept off the public endpoint (404).
    public_docs: bool = True
    public_metrics: bool = True
    # Browser origins allowed to call the API; none by default (CORS closed).
    cors_origins: CommaList = Field(default_factory=list)
    # Identity providers whose RS256/ES256 tokens are accepted beside the API's own (a JSON list), each
    # bound to the registered clients its tokens act for.
    external_providers: list[ExternalProvider] = Field(default_factory=list)
    # Webhook signing secrets must be read back to sign, so they are encrypted (Fernet keys, first encrypts).
    webhook_secret_keys: SecretList = Field(default_factory=lambda: [SecretStr(DEV_WEBHOOK_SECRET_KEY)], min_length=1)
    # Callback hosts (host or host:port) allowed although they resolve to private or loopback addresses.
    webhook_allowed_hosts: CommaList = Field(default_factory=list)
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=60)
    # Subscriptions delivered at once by one worker, and how long one may keep sending before the others
    # get their turn: a slow receiver holds its own lane, never another's.
    webhook_concurrency: int = Field(default=8, ge=1, le=100)
    webhook_round_seconds: float = Field(default=5, gt=0, le=300)
    # How long a subscription keeps being retried (backing off) after its oldest waiting delivery was
    # queued; then it is suspended and what waits is dead-lettered. About a day by default.
    webhook_retry_window_seconds: float = Field(default=86400, ge=1)
    # The worker: how often it looks for work, and how often it rebuilds the figures' running totals.
    worker_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    worker_figures_every_seconds: int = Field(default=900, ge=0)
    worker_metrics_port: int = Field(default=9101, ge=0, le=65535)
    # How long access-log entries are kept; never less than five years (NEN 7513).
    access_log_retention_days: int = Field(default=1830, ge=1830)
    # How long a household's file is kept after its last case closed or its last signal came in: a youth
    # file (someone in the household under 18 then; Jeugdwet art. 7.3.8) and any other (Wmo 2015).
    retention_years_youth: int = Field(default=20, ge=1, le=100)
    retention_years_wmo: int = Field(default=15, ge=1, le=100)
    # The partner systems the worker keeps in step (see wijkregistratie.adapters.config); none by default.
    adapters_file: str = ""
    # The dashboard's sign-in. A person signs in with the municipality's own identity provider (OpenID
    # Connect, authorisation code with PKCE, as a public client); its tokens are accepted through
    # `external_providers`. For development only, a figures client the dashboard signs in as without a secret.
    dashboard_oidc_issuer: str = ""
    dashboard_oidc_client_id: str = ""
    dashboard_oidc_scope: str = "openid figures:read"
    dashboard_development_client: str = ""

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> "Settings":
        if self.environment != "production":
            return self
        defaults = {
            "WR_TOKEN_SIGNING_KEY": self.token_signing_key.get_secret_value() == DEV_TOKEN_SIGNING_KEY,
            "WR_BSN_HASH_KEY": self.bsn_hash_key.get_secret_value() == DEV_BSN_HASH_KEY,
            "WR_BSN_ENCRYPTION_KEYS": DEV_BSN_ENCRYPTION_KEY in _values(self.bsn_encryption_keys),
            "WR_WEBHOOK_SECRET_KEYS": DEV_WEBHOOK_SECRET_KEY in _values(self.webhook_secret_keys),
        }
        if self.dashboard_development_client:
            raise ValueError("production has no development sign-in; leave WR_DASHBOARD_DEVELOPMENT_CLIENT unset")
        unsafe = [name for name, is_default in defaults.items() if is_default]
        if unsafe:
            raise ValueError(f"production refuses development secrets; set {', '.join(unsafe)}")
        weak = [
            name
            for name, key in (("WR_TOKEN_SIGNING_KEY", self.token_signing_key), ("WR_BSN_HASH_KEY", self.bsn_hash_key))
            if _is_weak(key.get_secret_value())
        ]
        weak += [
            name
            for name, keys in (
                ("WR_BSN_ENCRYPTION_KEYS", self.bsn_encryption_keys),
                ("WR_WEBHOOK_SECRET_KEYS", self.webhook_secret_keys),
            )
            if not all(_is_fernet_key(k) for k in _values(keys))
        ]
        if weak:
            raise ValueError(
                f"production refuses weak keys; {', '.join(weak)}: at least 32 characters of which 16 different, "
                "Fernet keys as `Fernet.generate_key()` makes them"
            )
        plain = [p.issuer for p in self.external_providers if not p.jwks_url.startswith("https://")]
        if plain:
            raise ValueError(f"production fetches identity providers' keys over https only: {', '.join(plain)}")
        return self


def _is_weak(key: str) -> bool:
    return len(key) < 32 or len(set(key)) < 16


def _is_fernet_key(key: str) -> bool:
    """32 bytes in url-safe base64, and not a repeated pattern (a key typed by hand)."""
    try:
        raw = base64.urlsafe_b64decode(key.encode())
    except (ValueError, binascii.Error):
        return False
    return len(raw) == 32 and len(set(raw)) >= 16


def _values(secrets: list[SecretStr]) -> list[str]:
    return [secret.get_secret_value() for secret in secrets]


@lru_cache
def get_settings() -> Settings:
    return Settings()
