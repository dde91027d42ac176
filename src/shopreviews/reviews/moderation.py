"""The merchant's moderation of a review (docs/api.md, "Reviews"): what it may change, and the
customer's fields it refuses."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from shopreviews.kit.schemas import Flag
from shopreviews.reviews.schemas import (
    SERVER_FIELDS,
    WHY_FIXED,
    ReplyChange,
    ReviewIdIn,
    ReviewOut,
    ReviewUpdate,
    refuse_fixed,
)


class ReviewModeration(ReviewIdIn):
    is_published: Flag | None = Field(default=None, description="1 publishes, 0 hides")
    is_featured: Flag | None = None
    is_top: Flag | None = Field(default=None, description="pinned to the top")
    reply: ReplyChange = Field(
        default=None, description="an object sets the public reply; null removes it"
    )

    @model_validator(mode="before")
    @classmethod
    def _not_the_customers(cls, data: Any) -> Any:
        refuse_fixed(data, NOT_MODERATED, "cannot be changed by moderation")
        return data

    @model_validator(mode="after")
    def _something(self) -> ReviewModeration:
        given = self.model_fields_set - {"id", "review_id"}
        # JSON null is "not given" except for reply, where it removes the reply.
        if not any(getattr(self, f) is not None or f == "reply" for f in given):
            raise ValueError("give at least one of is_published, is_featured, is_top or reply")
        return self

    def as_update(self) -> ReviewUpdate:
        """The same change as an update_review body, to share its effects and events."""
        given = self.model_fields_set - {"id", "review_id"}
        values = {name: getattr(self, name) for name in given}
        return ReviewUpdate.model_construct(_fields_set={"id", *given}, id=self.review, **values)


# Why moderation leaves alone the fields update_review may change.
WHY_NOT_MODERATED = {
    "title": "the customer's words stay as written",
    "content": "the customer's words stay as written",
    "is_verified": "only the shop's integration marks a purchase verified",
}
# Fields of the Review object that moderation never changes, with the reason it gives: the
# customer's words and details, and facts about the purchase (every field but the moderated ones
# and the server's own, so a field the Review gains is refused here until moderation is meant
# to change it; importing fails until it has a reason). Sent anyway, they are refused (code 3),
# not ignored: a client that sends `content` means to change it and must not be told it did.
NOT_MODERATED = {
    name: {**WHY_FIXED, **WHY_NOT_MODERATED}[name]
    for name in ReviewOut.model_fields
    if name not in ReviewModeration.model_fields and name not in SERVER_FIELDS
}
