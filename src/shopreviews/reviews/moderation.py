"""The merchant's moderation of a review (docs/api.md, "Reviews"): what it may change, and the
customer's fields it refuses."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from shopreviews.kit.schemas import Flag
from shopreviews.reviews.changes import MAX_TAG, ReplyEdit, ReviewChange
from shopreviews.reviews.schemas import (
    SERVER_FIELDS,
    WHY_FIXED,
    ReplyChange,
    ReviewIdIn,
    ReviewOut,
    refuse_fixed,
)


class ReviewModeration(ReviewIdIn):
    is_published: Flag | None = Field(default=None, description="1 publishes, 0 hides")
    is_featured: Flag | None = None
    is_top: Flag | None = Field(default=None, description="pinned to the top")
    reply: ReplyChange = Field(
        default=None, description="an object sets the public reply; null removes it"
    )
    tag: str | None = Field(
        default=None, max_length=MAX_TAG, description='[ext] the merchant\'s label; "" clears it'
    )
    hide_media: int | None = Field(
        default=None,
        ge=0,
        description="[ext] index (from 0) of an item of the review's `media` list to stop "
        "showing (its is_published becomes 0)",
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
            raise ValueError(
                "give at least one of is_published, is_featured, is_top, reply, tag or hide_media"
            )
        return self

    def as_change(self) -> ReviewChange:
        """The change the reviews service applies (changes.py), as for every merchant change."""
        reply = None
        if "reply" in self.model_fields_set:
            given = self.reply
            reply = ReplyEdit(None) if given is None else ReplyEdit(given.content, given.reply_at)
        return ReviewChange(
            is_published=self.is_published,
            is_featured=self.is_featured,
            is_top=self.is_top,
            tag=self.tag,
            reply=reply,
            hide_media=self.hide_media,
        )


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
