"""The merchant back office

- merchant_users.role: `owner` (everything) or `staff` (moderation and replies only); every
  existing user is an owner, as every user could do everything before.
- reviews.moderated_at: when a merchant last published or hid the review. An unpublished review
  never moderated is waiting for a decision (the back office's "pending" tab); one with a
  decision is hidden.
- Two indexes for the back office's lists of a shop in newest order: every review, published
  or not, and those with media.
- shops.review_request_subject and review_request_text: the merchant's own wording of the
  review request email ("" keeps the built-in wording).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shopreviews.kit.models

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE ADD/DROP COLUMN throughout: a batch copy on SQLite would drop the triggers
# of migrations 0005 and 0006 on reviews.


def upgrade() -> None:
    op.add_column(
        "merchant_users",
        sa.Column("role", sa.String(length=8), nullable=False, server_default="owner"),
    )
    op.add_column(
        "reviews",
        sa.Column("moderated_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_reviews_shop_all", "reviews", ["shop_id", "commented_at", "id"])
    op.create_index(
        "ix_reviews_shop_media", "reviews", ["shop_id", "has_media", "commented_at", "id"]
    )
    op.add_column(
        "shops",
        sa.Column(
            "review_request_subject", sa.String(length=200), nullable=False, server_default=""
        ),
    )
    op.add_column(
        "shops", sa.Column("review_request_text", sa.Text(), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("shops", "review_request_text")
    op.drop_column("shops", "review_request_subject")
    op.drop_index("ix_reviews_shop_media", table_name="reviews")
    op.drop_index("ix_reviews_shop_all", table_name="reviews")
    op.drop_column("reviews", "moderated_at")
    op.drop_column("merchant_users", "role")
