"""Request and response shapes of reviews and ratings (docs/api.md, "Reviews")."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from shopreviews.kit.envelope import Envelope
from shopreviews.kit.pagination import Pagination
from shopreviews.kit.params import disagreement
from shopreviews.kit.schemas import ExternalId, Flag, In, ServerId
from shopreviews.kit.timefmt import parse_time

MAX_IMAGES = 10
MAX_VIDEOS = 1
VIDEO_SUFFIXES = (".mp4", ".mov", ".webm")


def _text(limit: int) -> Any:
    """A string of at most `limit` code points; JSON null means not given."""
    return Field(default=None, max_length=limit)


def _time_input(value: Any) -> Any:
    if value is None or value == "":
        return None
    return parse_time(value)


TimeInput = Annotated[
    Any,
    BeforeValidator(_time_input),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "string", "examples": ["2026-06-05 07:21:56"]},
                {"type": "integer", "description": "Unix seconds"},
            ]
        }
    ),
]


def _rating(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be an integer from 1 to 5")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 1 <= value <= 5:
        raise ValueError("must be an integer from 1 to 5")
    return value


Rating = Annotated[
    int,
    BeforeValidator(_rating),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "integer", "minimum": 1, "maximum": 5},
                {"type": "string", "enum": ["1", "2", "3", "4", "5"]},
            ]
        }
    ),
]


def _trimmed(value: Any) -> Any:
    """Identifiers and emails lose surrounding whitespace *before* validation (docs/api.md,
    "Requests"),
    so a length limit applies to the trimmed text; a JSON integer id becomes its string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else value


Trimmed = BeforeValidator(_trimmed)


def _reply_object(value: Any) -> Any:
    # Without this a non-object reply is reported as "body must be a JSON object", which
    # names the wrong thing (the envelope maps every model-type error to the whole body).
    if value is not None and not isinstance(value, dict):
        raise ValueError("must be an object {content, reply_at}")
    return value


class ReviewIn(In):
    """A review body (In refuses text that cannot be stored, e.g. lone surrogates)."""


class CreateIn(ReviewIn):
    """A create body: JSON null for a field means "not given", so its default applies
    (docs/api.md, "Requests"). Without this, `"is_published": null` failed the flag check."""

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data


def _absolute_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 2048:
        raise ValueError("must be an absolute http(s) URL of at most 2048 characters")
    return value


def _url_at(value: str, *loc: str | int) -> str:
    """`value` as an absolute URL; otherwise a validation error located at `loc` inside the
    field being validated, so the message names it (`media.images[0]: must be ...`)."""
    try:
        return _absolute_url(value)
    except ValueError as exc:
        raise ValidationError.from_exception_data(
            "media",
            [{"type": "value_error", "loc": loc, "input": value, "ctx": {"error": exc}}],
        ) from None


class MediaItemIn(CreateIn):
    url: str
    thumbnail_url: str | None = None
    type: Annotated[
        int | None,
        WithJsonSchema(
            {
                "oneOf": [
                    {"type": "integer", "enum": [1, 2]},
                    {"type": "string", "enum": ["1", "2", "image", "video"]},
                    # The field's default: the document's default must be one of its values.
                    {"type": "null"},
                ],
                "description": "1 image, 2 video; absent or null: a video when the URL ends "
                "in .mp4, .mov or .webm, an image otherwise",
            }
        ),
    ] = None
    is_published: Flag = True

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> int | None:
        if value is None:
            return None
        mapping = {1: 1, 2: 2, "1": 1, "2": 2, "image": 1, "video": 2}
        # Only an integer or a string is looked up: an object or an array cannot be a dict
        # key (TypeError, a 500), and `true == 1` would pass for an image.
        key = value.strip() if isinstance(value, str) else value
        if isinstance(value, bool) or not isinstance(value, int | str) or key not in mapping:
            raise ValueError("must be 1 (image) or 2 (video)")
        return mapping[key]

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _absolute_url(value)

    @field_validator("thumbnail_url")
    @classmethod
    def _thumbnail(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None if value is None else ""
        return _absolute_url(value)

    def normalised(self) -> dict[str, Any]:
        kind = self.type
        if kind is None:
            kind = 2 if urlsplit(self.url).path.lower().endswith(VIDEO_SUFFIXES) else 1
        thumbnail = self.thumbnail_url
        if thumbnail is None:
            thumbnail = self.url if kind == 1 else ""
        return {
            "url": self.url,
            "thumbnail_url": thumbnail,
            "type": kind,
            "is_published": int(self.is_published),
        }


class LegacyMediaIn(CreateIn):
    images: list[str | None] | None = None
    thumbnails: list[str | None] | None = None
    video: str | None = None
    video_thumbnail: str | None = None

    def normalised(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        thumbs = self.thumbnails or []
        for i, image in enumerate(self.images or []):
            if not image or not image.strip():
                continue
            thumb = thumbs[i] if i < len(thumbs) and thumbs[i] and str(thumbs[i]).strip() else image
            items.append(
                {
                    "url": _url_at(image, "images", i),
                    "thumbnail_url": _url_at(
                        str(thumb), "thumbnails" if thumb != image else "images", i
                    ),
                    "type": 1,
                    "is_published": 1,
                }
            )
        if self.video and self.video.strip():
            thumb = (self.video_thumbnail or "").strip()
            items.append(
                {
                    "url": _url_at(self.video, "video"),
                    "thumbnail_url": _url_at(thumb, "video_thumbnail") if thumb else "",
                    "type": 2,
                    "is_published": 1,
                }
            )
        return items


class ReplyIn(CreateIn):
    content: str | None = Field(default=None, max_length=10000)
    reply_at: TimeInput = None


# Validated as one list, so an error names its item: media[2].url.
_MEDIA_LIST = TypeAdapter(list[MediaItemIn])


def normalise_media(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, list):
        items = [item.normalised() for item in _MEDIA_LIST.validate_python(value)]
    elif isinstance(value, dict):
        items = LegacyMediaIn.model_validate(value).normalised()
    else:
        raise ValueError(
            "must be a list of media items or the object {images, thumbnails, video, ...}"
        )
    if sum(1 for m in items if m["type"] == 1) > MAX_IMAGES:
        raise ValueError(f"must have at most {MAX_IMAGES} images")
    if sum(1 for m in items if m["type"] == 2) > MAX_VIDEOS:
        raise ValueError(f"must have at most {MAX_VIDEOS} video")
    return items


MediaInput = Annotated[
    list[dict[str, Any]],
    BeforeValidator(normalise_media),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "array", "items": {"$ref": "#/components/schemas/MediaItemIn"}},
                {"$ref": "#/components/schemas/LegacyMediaIn"},
            ],
            "description": "list form, or the legacy object form",
        }
    ),
]


def _product_id(value: Any) -> Any:
    # `type(...) is int`: `false == 0` and `0.0 == 0` are true in Python, but neither is an id.
    if (
        value is None
        or (type(value) is int and value == 0)
        or (isinstance(value, str) and value.strip() in ("", "0"))
    ):
        return "0"
    return value


class ReviewCreate(CreateIn):
    """Body of create_review: the union of both documented shapes."""

    product_id: Annotated[ExternalId, BeforeValidator(_product_id)] = Field(
        default="0",
        description='product id; absent, 0, "0" or "" make a store review',
        examples=["9200305176832"],
    )
    product_handle: Annotated[str | None, Trimmed] = Field(
        default=None,
        max_length=255,
        description="with a product_id, sets the product's catalogue handle; "
        '"" or null leaves it as it is',
    )
    product_title: str | None = Field(
        default=None,
        max_length=255,
        description="with a product_id, sets the product's catalogue title; "
        '"" or null leaves it as it is',
    )
    order_id: Annotated[str | None, Trimmed] = Field(default=None, max_length=64)
    rating: Rating
    author: str = Field(examples=["Jane D."])
    author_email: Annotated[str | None, Trimmed] = Field(default=None, max_length=254)
    author_phone: str | None = Field(default=None, max_length=32)
    author_country: str | None = Field(default=None, max_length=64)
    title: str | None = _text(300)
    content: str | None = _text(10000)
    commented_at: TimeInput = None
    item_type: str | None = _text(120)
    source: str | None = _text(64)
    tag: str | None = _text(255)
    is_verified: Flag = False
    is_featured: Flag = False
    is_published: Flag = True
    is_top: Flag = False
    media: MediaInput = Field(default_factory=list)
    reply: Annotated[ReplyIn | None, BeforeValidator(_reply_object)] = None

    @field_validator("author")
    @classmethod
    def _author(cls, value: str) -> str:
        if not 1 <= len(value.strip()) <= 120:
            raise ValueError("must be 1 to 120 characters")
        return value

    @field_validator("author_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value:
            local, _, domain = value.partition("@")
            if not local or not domain or "@" in domain or any(c.isspace() for c in value):
                raise ValueError("must be an email address such as jane@example.com")
        return value

    @field_validator("product_handle")
    @classmethod
    def _handle(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if any(c.isspace() for c in value):
            raise ValueError("must not contain whitespace")
        return value


class ReplyUpdate(ReviewIn):
    content: str = Field(min_length=1, max_length=10000)
    reply_at: TimeInput = None

    @field_validator("content")
    @classmethod
    def _content(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


# The reply of a change (update_review, moderate_review): an object sets it, null removes it.
ReplyChange = Annotated[ReplyUpdate | None, BeforeValidator(_reply_object)]


class ReviewIdIn(ReviewIn):
    id: ServerId | None = Field(default=None, description="review id")
    review_id: ServerId | None = Field(default=None, description="alias of id")

    @model_validator(mode="after")
    def _one_id(self) -> ReviewIdIn:
        if self.id is None and self.review_id is None:
            raise ValueError("id is required")
        problem = disagreement(("id", self.id), ("review_id", self.review_id))
        if problem is not None:
            raise ValueError(problem)
        return self

    @property
    def review(self) -> int:
        value = self.id if self.id is not None else self.review_id
        assert value is not None
        return value


class ReviewUpdate(ReviewIdIn):
    is_verified: Flag | None = None
    is_featured: Flag | None = None
    is_published: Flag | None = None
    is_top: Flag | None = None
    title: str | None = _text(300)
    content: str | None = _text(10000)
    reply: ReplyChange = Field(
        default=None, description="an object sets the reply; null removes it"
    )

    @model_validator(mode="before")
    @classmethod
    def _not_fixed(cls, data: Any) -> Any:
        refuse_fixed(data, UPDATE_FIXED, "cannot be changed")
        return data

    @model_validator(mode="after")
    def _something(self) -> ReviewUpdate:
        given = self.model_fields_set - {"id", "review_id"}
        # JSON null is "not given" except for reply, where it removes the reply.
        if not any(getattr(self, f) is not None or f == "reply" for f in given):
            raise ValueError(
                "give at least one of is_verified, is_featured, is_published, is_top, title, "
                "content or reply"
            )
        return self


def refuse_fixed(data: Any, fixed: dict[str, str], verb: str) -> None:
    """Refuse the first field of `fixed` a body gives (JSON null is "not given"), with its
    reason: "<field> <verb>: <why>"."""
    if isinstance(data, dict):
        for name, why in fixed.items():
            if data.get(name) is not None:
                raise ValueError(f"{name} {verb}: {why}")


class MediaOut(BaseModel):
    url: str
    thumbnail_url: str
    type: int = Field(examples=[1])
    is_published: int = Field(examples=[1])


class ReplyOut(BaseModel):
    content: str = Field(examples=["Thank you!"])
    reply_at: str = Field(examples=["2026-06-06 10:02:11"])


class ReviewOut(BaseModel):
    id: str = Field(examples=["1024"])
    product_id: str = Field(examples=["9200305176832"])
    product_handle: str = Field(examples=["linen-shirt"])
    product_title: str = Field(examples=["Linen Shirt"])
    order_id: str
    rating: int = Field(examples=[5])
    author: str
    author_email: str
    author_phone: str
    author_country: str
    title: str
    content: str
    commented_at: str = Field(examples=["2026-06-05 07:21:56"])
    item_type: str
    source: str = Field(examples=["Open API"])
    tag: str
    is_verified: int
    is_featured: int
    is_published: int
    is_top: int
    media: list[MediaOut]
    reply: ReplyOut | None
    created_at: str = Field(examples=["2026-06-05T07:21:56Z"])
    updated_at: str = Field(examples=["2026-06-05T07:21:56Z"])


# Fields of the Review object only the server writes: a change never refuses them, so a client
# may send a review back as it read it, with these in it.
SERVER_FIELDS = ("id", "created_at", "updated_at")
# Why a change never touches a field of the Review object. Sent anyway (not null), such a field
# is refused with code 3 naming it and the reason rather than ignored: a client that sends
# `rating` means to change it and must not be told it did.
WHY_FIXED = {
    "product_id": "a review stays on its product",
    "product_handle": "it comes from the shop's product catalogue",
    "product_title": "it comes from the shop's product catalogue",
    "order_id": "a review stays linked to its order",
    "rating": "the rating is the customer's own",
    "author": "the author's details are the customer's own",
    "author_email": "the author's details are the customer's own",
    "author_phone": "the author's details are the customer's own",
    "author_country": "the author's details are the customer's own",
    "commented_at": "a review keeps the date it was written",
    "item_type": "it names the item the customer reviewed",
    "source": "it records where the review came from",
    "tag": "it is set when the review is created",
    "media": "a review keeps the photos and videos it was written with",
}
# What update_review refuses: every field of the Review object it does not change. A field the
# Review gains has no reason here until one is written, and importing this module fails.
UPDATE_FIXED = {
    name: WHY_FIXED[name]
    for name in ReviewOut.model_fields
    if name not in ReviewUpdate.model_fields and name not in SERVER_FIELDS
}


class ReviewPagination(Pagination):
    next_cursor: str = Field(
        default="",
        description="[ext] pass as `cursor` to read the next page without offset paging; "
        '"" on the last page',
    )


class ReviewPage(BaseModel):
    page: ReviewPagination
    list: list[ReviewOut]


class RatingOut(BaseModel):
    rating_value: str = Field(examples=["4.7"])
    review_count: int = Field(examples=[10])
    star1_count: int
    star2_count: int
    star3_count: int
    star4_count: int
    star5_count: int


class CreateReviewEnvelope(Envelope[ReviewOut]):
    """create_review also repeats the new id at the top level."""

    id: str = Field(examples=["1024"])


# --- the storefront's public shapes (docs/storefront.md) ------------------------------------
# Nothing merchant-only: no author_email, author_phone, order_id, tag, source, is_published or
# unpublished media. tests/storefront/test_public_data.py walks every public answer for them.


class PublicMediaOut(BaseModel):
    url: str
    thumbnail_url: str
    type: int = Field(examples=[1], description="1 image, 2 video")


class PublicReviewOut(BaseModel):
    id: str = Field(examples=["1024"])
    product_id: str = Field(examples=["9200305176832"])
    product_handle: str = Field(examples=["linen-shirt"])
    product_title: str = Field(examples=["Linen Shirt"])
    rating: int = Field(examples=[5])
    title: str
    content: str
    author: str = Field(
        examples=["Jane D."], description="as the shop's author_display says; '' for anonymous"
    )
    author_country: str
    item_type: str
    is_verified: int
    is_featured: int
    is_top: int
    commented_at: str = Field(examples=["2026-06-05 07:21:56"])
    media: list[PublicMediaOut] = Field(description="published media items only")
    reply: ReplyOut | None
    collected_via: str = Field(
        examples=["email_request"], description="email_request, storefront, import or api"
    )


class PublicReviewPage(BaseModel):
    page: ReviewPagination
    list: list[PublicReviewOut]


class PublicRatingOut(RatingOut):
    """The Rating object, with what the widget's transparency notice shows [ext]."""

    reviews_disclosure: str = Field(
        examples=[""], description="the shop's own notice; '' for the default one"
    )
    collected_via: dict[str, int] = Field(
        examples=[{"email_request": 7, "storefront": 2, "import": 0, "api": 1}],
        description="published reviews of the scope per collection method",
    )


class ProductRatingOut(BaseModel):
    product_id: str = Field(examples=["9200305176832"])
    rating_value: str = Field(examples=["4.7"])
    review_count: int = Field(examples=[10])
    star1_count: int
    star2_count: int
    star3_count: int
    star4_count: int
    star5_count: int


class ProductRatingList(BaseModel):
    list: list[ProductRatingOut]


class HandleRatingOut(BaseModel):
    """One entry of get_products_rating (Trustoo's storefront badge answer)."""

    product_handle: str = Field(examples=["linen-shirt"])
    rating: float = Field(examples=[4.7], description="one decimal; 0 without reviews")
    total_reviews: int = Field(examples=[12])


class CatalogueOut(BaseModel):
    """A product's catalogue entry as search engines and shopping channels see it."""

    product_id: str = Field(examples=["9200305176832"])
    handle: str = Field(examples=["linen-shirt"])
    title: str = Field(examples=["Linen Shirt"])
    sku: str = Field(examples=["LS-001"])
    gtin: str = Field(examples=["04006381333931"])
    mpn: str = Field(examples=["LS-001-M"])
    brand: str = Field(examples=["Acme"])
    url: str = Field(examples=["https://www.example-shop.com/products/linen-shirt"])
    image_url: str = Field(examples=["https://cdn.example.com/linen-shirt.jpg"])
