"""The web review request and answers (docs/storefront.md "Web reviews")."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from shopreviews.kit.email_address import parse_email
from shopreviews.kit.envelope import InvalidArgument
from shopreviews.kit.schemas import (
    ExternalId,
    Flag,
    In,
    as_field_validator,
    describe_validation_error,
)

MAX_TITLE = 150
MAX_CONTENT = 5000
MAX_AUTHOR = 100
MAX_MEDIA = 5
MAX_URL = 2048
STORE_PRODUCT_ID = "0"


def _rating(value: Any) -> int:
    if isinstance(value, str) and value.strip() in ("1", "2", "3", "4", "5"):
        return int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValueError("must be an integer from 1 to 5")
    return value


def _email(value: Any, field: str) -> str:
    return parse_email(value, field)


def _media(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"must be an array of at most {MAX_MEDIA} photo URLs")
    if len(value) > MAX_MEDIA:
        raise ValueError(f"must have at most {MAX_MEDIA} photos")
    urls = []
    for index, item in enumerate(value):
        url = item.strip() if isinstance(item, str) else ""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL:
            raise ValueError(f"[{index}] must be the URL of a photo uploaded for this review")
        urls.append(url)
    return tuple(urls)


class WebReviewIn(In):
    """A web review as posted: text exactly as sent, ids and the address trimmed."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    product_id: ExternalId | None = Field(
        default=None, description='the product reviewed; "0" (or is_store_review 1): the store'
    )
    is_store_review: Flag = False
    rating: Annotated[int, BeforeValidator(_rating)] = Field(examples=[5])
    title: str = Field(default="", max_length=MAX_TITLE)
    content: str = Field(min_length=1, max_length=MAX_CONTENT)
    author: str = Field(examples=["Jane Doe"])
    author_email: Annotated[str, BeforeValidator(as_field_validator(_email))] = Field(
        examples=["jane@example.com"]
    )
    media: Annotated[tuple[str, ...], BeforeValidator(_media)] = Field(
        default=(), description=f"at most {MAX_MEDIA} photo URLs from image_upload_policy"
    )
    website: Any = Field(default=None, description="leave empty (a trap for robots)")

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data

    @field_validator("content")
    @classmethod
    def _content(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("author")
    @classmethod
    def _author(cls, value: str) -> str:
        if not 1 <= len(value.strip()) <= MAX_AUTHOR:
            raise ValueError(f"must be 1 to {MAX_AUTHOR} characters")
        return value

    @model_validator(mode="after")
    def _product(self) -> WebReviewIn:
        if self.is_store_review and self.product_id not in (None, STORE_PRODUCT_ID):
            raise ValueError("give product_id or is_store_review 1, not both")
        if not self.is_store_review and self.product_id is None:
            raise ValueError("product_id is required (or is_store_review 1 for the store)")
        return self

    @property
    def target(self) -> str:
        """The product id reviewed; "0" for the store."""
        return STORE_PRODUCT_ID if self.is_store_review else self.product_id or STORE_PRODUCT_ID

    @property
    def is_robot(self) -> bool:
        """Whether the honeypot field was filled in (people never see it)."""
        return self.website not in (None, "", [], {}) and not (
            isinstance(self.website, str) and not self.website.strip()
        )


def read_web_review(body: bytes) -> WebReviewIn:
    """The posted body (JSON whatever its Content-Type), or code 3 naming the field."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidArgument("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidArgument("body must be a JSON object")
    try:
        return WebReviewIn.model_validate(data)
    except ValidationError as exc:
        problem = describe_validation_error(dict(exc.errors()[0]))
        # A photo's problem names it as media[i].
        raise InvalidArgument(problem.replace("media: [", "media[", 1)) from None


class WebReviewOut(BaseModel):
    id: str = Field(examples=["1024"])
    status: Literal["published", "pending"] = Field(
        description="published, or pending: held for the merchant's decision"
    )
    confirmation_sent: bool = Field(
        description="whether an email was sent to confirm the address (a verified buyer)"
    )
