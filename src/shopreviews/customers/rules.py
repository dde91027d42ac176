"""Email types of unsubscribes (the address rule itself is kit/email_address.py)."""

from __future__ import annotations

from typing import Any

from shopreviews.kit.envelope import InvalidValue

# email_unsubscribe's 17 types (docs/api.md, "Orders, customer events and
# customers"); "all" stops every type.
EMAIL_TYPES = (
    "all",
    "review_request",
    "review_request_test",
    "discount_for_photo_review",
    "left_review",
    "market_email",
    "question_notification",
    "answer_notification",
    "review_request_quota_exhausted",
    "review_display_quota_exhausted",
    "reply_to_review",
    "post_purchase_referral",
    "advocate_reward_paid",
    "advocate_reward_refund",
    "review_media_remind",
    "auto_leave_review",
    "request_update_review",
)


def parse_email_type(value: Any, field: str = "email_type") -> str:
    """One of EMAIL_TYPES, exactly (after trimming)."""
    if not isinstance(value, str):
        raise InvalidValue(field, "must be a string")
    text = value.strip()
    if text not in EMAIL_TYPES:
        raise InvalidValue(field, f"must be one of {', '.join(EMAIL_TYPES)}")
    return text
