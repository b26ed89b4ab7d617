import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from wijkregistratie.core.schemas import ApiModel
from wijkregistratie.events.codes import EventType

# The shape of a callback; whether its host resolves to a public address is checked when it is given.
# `\x85` and `\ufeff` are named because the contract's and the server's `\s` disagree on them.
CALLBACK_PATTERN = r"^https?://[^\s\x85\ufeff/?#@]+([/?#][^\s\x85\ufeff]*)?$"
_URL = Field(
    max_length=2000,
    pattern=CALLBACK_PATTERN,
    description="Where events are POSTed; https, and not a private address.",
    json_schema_extra={"format": "uri"},
)


class SubscriptionCreate(ApiModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://crm.schuldhulp.example/hooks/wijkregistratie",
                    "eventTypes": ["nl.wijkregistratie.plan.updated"],
                    "description": "Ons CRM",
                }
            ]
        },
    )

    url: str = _URL
    event_types: list[EventType] = Field(
        default_factory=list, max_length=50, description="Only these types; none means every type."
    )
    description: str | None = Field(default=None, max_length=200)


class SubscriptionUpdate(ApiModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "active"}, {"eventTypes": []}]}
    )

    url: str | None = Field(
        default=None, max_length=2000, pattern=CALLBACK_PATTERN, json_schema_extra={"format": "uri"}
    )
    event_types: list[EventType] | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=200)
    status: Literal["active", "disabled"] | None = Field(
        default=None, description="`active` switches a subscription on again (after a 410 or a suspension, say)."
    )


class SubscriptionRead(ApiModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "id": "3f0b1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "url": "https://crm.schuldhulp.example/hooks/wijkregistratie",
                    "eventTypes": [],
                    "status": "active",
                    "failures": 0,
                    "version": 1,
                    "createdAt": "2026-03-02T08:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    organisation_id: uuid.UUID
    url: str = Field(max_length=2000)
    event_types: list[Annotated[str, StringConstraints(max_length=100)]] = Field(max_length=50)
    description: str | None = Field(default=None, max_length=200)
    status: str = Field(
        max_length=20,
        description="`active`; `disabled` by its owner or after its callback answered `410 Gone`; `suspended` "
        "after its receiver kept failing for longer than the retry window (about a day). What waited was then "
        "dead-lettered; set `active` to switch it on again, and send dead-lettered deliveries again.",
    )
    disabled_reason: str | None = Field(default=None, max_length=200)
    failures: int = Field(
        description="Tries of its oldest waiting delivery that failed in a row; the subscription backs off as a whole."
    )
    retry_at: datetime | None = Field(default=None, description="When a failing subscription is tried again.")
    version: int
    created_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(
        max_length=100,
        description="The `whsec_` signing secret (Standard Webhooks). Shown only now: keep it to verify "
        "`webhook-signature`.",
    )


class DeliveryRead(ApiModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "id": "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "eventId": "0c6c8f5e-8b0e-4d0e-9f57-3c1d2f1e9a10",
                    "eventType": "nl.wijkregistratie.plan.updated",
                    "eventSequence": 1042,
                    "state": "pending",
                    "attempts": 2,
                    "nextAttemptAt": "2026-03-02T08:32:30Z",
                    "lastStatus": 503,
                    "lastError": "the receiver answered 503",
                    "createdAt": "2026-03-02T08:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str = Field(max_length=100)
    event_sequence: int
    state: str = Field(
        max_length=20,
        description="`pending`, `delivered`, `dead` (dead-lettered) or `withdrawn` (its owner may no longer see it).",
    )
    attempts: int
    next_attempt_at: datetime
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=300)
    delivered_at: datetime | None = None
    created_at: datetime
