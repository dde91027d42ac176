"""Email address and email-type rules shared by unsubscribes, exclusions and order intake."""

from __future__ import annotations

from typing import Any

from shopreviews.kit.envelope import InvalidArgument

MAX_EMAIL = 254

# email_unsubscribe's 17 types (spec orders-events-customers.md); "all" stops every type.
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


def email_problem(value: str) -> str | None:
    """Why `value` is not an acceptable address, or None."""
    # Also after lower-casing: a few letters grow ("İ" -> "i̇"), and the lower-cased form is
    # what is stored in a 254-character column.
    if len(value) > MAX_EMAIL or len(value.lower()) > MAX_EMAIL:
        return f"must be at most {MAX_EMAIL} characters"
    local, at, domain = value.partition("@")
    if not at or not local or not domain or "@" in domain or any(c.isspace() for c in value):
        return "must be an email address such as jane@example.com"
    return None


def parse_email(value: Any, field: str = "email") -> str:
    """A valid address, trimmed and lower-cased (how every address is stored and compared).

    Surrounding whitespace goes before validation (README §3.1), so the limit counts the
    trimmed text."""
    if not isinstance(value, str):
        raise InvalidArgument(f"{field} must be a string")
    text = value.strip()
    problem = email_problem(text)
    if problem:
        raise InvalidArgument(f"{field} {problem}")
    return text.lower()


def parse_email_type(value: Any, field: str = "email_type") -> str:
    """One of EMAIL_TYPES, exactly (after trimming)."""
    if not isinstance(value, str):
        raise InvalidArgument(f"{field} must be a string")
    text = value.strip()
    if text not in EMAIL_TYPES:
        raise InvalidArgument(f"{field} must be one of {', '.join(EMAIL_TYPES)}")
    return text
