"""Reviews say whether they show media, for the storefront's featured order

The storefront's default order (docs/storefront.md) puts pinned reviews first, then featured
ones, then those with at least one published media item, then the newest; its "with photos"
filter keeps the last kind only. A review's media are set when it is created and never change,
so the flag is computed once then (reviews/service.py) and read from an index here, instead of
opening every review's JSON on each page of a large shop. The Google product reviews feed's
Last-Modified (the latest `updated_at` of the shop's reviews) gets an index of its own.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The reviews that show at least one media item: an item whose is_published is 1 (the partner
# API writes 1 or 0; older rows may hold true).
_SQLITE_BACKFILL = """
    UPDATE reviews SET has_media = 1 WHERE EXISTS (
      SELECT 1 FROM json_each(reviews.media)
      WHERE json_extract(value, '$.is_published') IN (1, 'true'))
"""
_POSTGRES_BACKFILL = """
    UPDATE reviews SET has_media = true WHERE EXISTS (
      SELECT 1 FROM json_array_elements(reviews.media::json) AS item
      WHERE item->>'is_published' IN ('1', 'true'))
"""
INDEXES = {
    # The Google feed's Last-Modified: the latest change of any review of the shop.
    "ix_reviews_shop_updated": ("shop_id", "updated_at"),
    "ix_reviews_shop_featured": (
        "shop_id",
        "is_published",
        "is_top",
        "is_featured",
        "has_media",
        "commented_at",
        "id",
    ),
    "ix_reviews_product_featured": (
        "shop_id",
        "product_id",
        "is_published",
        "is_top",
        "is_featured",
        "has_media",
        "commented_at",
        "id",
    ),
}


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN (no batch copy on SQLite, which would drop the triggers of
    # migrations 0005 and 0006).
    op.add_column(
        "reviews",
        sa.Column("has_media", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    dialect = op.get_bind().dialect.name
    op.execute(_POSTGRES_BACKFILL if dialect == "postgresql" else _SQLITE_BACKFILL)
    for name, columns in INDEXES.items():
        op.create_index(name, "reviews", list(columns))


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="reviews")
    op.drop_column("reviews", "has_media")
