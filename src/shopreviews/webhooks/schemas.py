"""Request and response shapes of webhook subscriptions and their delivery log."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from shopreviews.kit.schemas import In, ServerId

TOPICS = ("review/created", "review/updated", "review/deleted", "customer_event/created")
# A bearer owner needs one of these scopes, at subscription and again at every fan-out.
TOPIC_SCOPES = {
    "review/created": ("read_reviews", "write_reviews"),
    "review/updated": ("read_reviews", "write_reviews"),
    "review/deleted": ("read_reviews", "write_reviews"),
    "customer_event/created": ("read_customer_events",),
}


class WebhookIn(In):
    topic: str = Field(examples=["review/created"])
    url: str = Field(examples=["https://hooks.example.net/reviews"])

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str) -> str:
        value = value.strip()
        if value not in TOPICS:
            raise ValueError(f"must be one of {', '.join(TOPICS)}")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return value.strip()


class WebhookUpdate(WebhookIn):
    id: ServerId


class WebhookIdIn(In):
    id: ServerId


class WebhookOut(BaseModel):
    id: str = Field(examples=["19"])
    topic: str = Field(examples=["review/created"])
    url: str = Field(examples=["https://hooks.example.net/reviews"])
    created_at: str = Field(examples=["2026-06-05T07:21:56Z"])
    updated_at: str = Field(examples=["2026-06-05T07:21:56Z"])
    status: str = Field(examples=["enabled"])
    disabled_reason: str = Field(examples=[""])


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="the Standard Webhooks secret; shown only in this response",
        examples=["whsec_j1gm+jJ5uFZihUZUmYtg8S6jmbJkK7JRvbpHylwQ5qw="],
    )


class SecretRotated(WebhookOut):
    secret: str = Field(description="the new secret; the previous one also signs for 24 hours")
    previous_secret_expires_at: str = Field(examples=["2026-06-06T07:21:56Z"])


class AttemptOut(BaseModel):
    attempt: int = Field(examples=[1])
    started_at: str = Field(examples=["2026-06-05T07:21:57Z"])
    duration_ms: int = Field(examples=[84])
    status_code: int | None = Field(examples=[200])
    succeeded: int = Field(examples=[1])
    response: str = Field(description="the first 1,000 characters of the response body")
    error: str = Field(examples=[""])


class DeliveryOut(BaseModel):
    id: str = Field(examples=["5120"])
    webhook_id: str = Field(examples=["19"])
    event_id: str = Field(examples=["4f3564d60effdef1f019a2bb52d1dad3"])
    topic: str = Field(examples=["review/created"])
    status: str = Field(description="pending, succeeded, dead or cancelled", examples=["succeeded"])
    attempts: int = Field(examples=[1])
    next_attempt_at: str = Field(description="'' unless pending")
    created_at: str
    attempt_log: list[AttemptOut]


class RedeliverIn(In):
    event_id: str = Field(
        min_length=32, max_length=32, examples=["4f3564d60effdef1f019a2bb52d1dad3"]
    )
    webhook_id: ServerId | None = Field(default=None, description="only this subscription")
