"""Request and response shapes of unsubscribes and exclusions (docs/api.md, "Orders, customer
events and customers")."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema, model_validator

from shopreviews.customers.rules import EMAIL_TYPES, parse_email_type
from shopreviews.kit.email_address import MAX_EMAIL, parse_email
from shopreviews.kit.pagination import Pagination
from shopreviews.kit.schemas import ExternalId, In, as_field_validator

Email = Annotated[
    str,
    BeforeValidator(as_field_validator(parse_email)),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": MAX_EMAIL,
            "description": "an address with exactly one @; stored and compared lower-cased",
            "examples": ["jane@example.com"],
        }
    ),
]
EmailType = Annotated[
    str,
    BeforeValidator(as_field_validator(parse_email_type)),
    WithJsonSchema({"type": "string", "enum": list(EMAIL_TYPES)}),
]


class CustomerIn(In):
    """A body where JSON null, "" and blank strings mean "not given" (docs/api.md, "Bodies",
    and an exclusion's "non-empty" fields), so a required field left empty reads as missing."""

    @model_validator(mode="before")
    @classmethod
    def _empty_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                k: v
                for k, v in data.items()
                if v is not None and not (isinstance(v, str) and not v.strip())
            }
        return data


class UnsubscribeIn(CustomerIn):
    email: Email
    email_type: EmailType = Field(examples=["review_request"])


class UnsubscribeOut(BaseModel):
    email: str = Field(examples=["jane@example.com"])
    email_type: str = Field(examples=["review_request"])
    created_at: str = Field(examples=["2026-06-05T07:21:56Z"])


class ExclusionIn(CustomerIn):
    """Body of create_customer_exclude: email and/or customer_id."""

    email: Email | None = None
    customer_id: ExternalId | None = Field(default=None, examples=["7712345678901"])

    @model_validator(mode="after")
    def _one_given(self) -> ExclusionIn:
        if self.email is None and self.customer_id is None:
            raise ValueError("give customer_id or email (or both)")
        return self


class ExclusionKeyIn(CustomerIn):
    """Body of delete_customer_exclude: exactly one of customer_id and email."""

    email: Email | None = None
    customer_id: ExternalId | None = Field(default=None, examples=["7712345678901"])

    @model_validator(mode="after")
    def _exactly_one(self) -> ExclusionKeyIn:
        if (self.email is None) == (self.customer_id is None):
            raise ValueError("give exactly one of customer_id and email")
        return self


class CustomerExclusionOut(BaseModel):
    customer_id: str = Field(examples=["7712345678901"])
    first_name: str = Field(examples=["Jane"])
    last_name: str = Field(examples=["Doe"])
    email: str = Field(examples=["jane@example.com"])
    phone: str = Field(examples=[""])
    created_at: str = Field(examples=["2026-06-05T07:21:56Z"])
    updated_at: str = Field(examples=["2026-06-05T07:21:56Z"])


class CustomerExclusionPage(BaseModel):
    page: Pagination
    list: list[CustomerExclusionOut]
