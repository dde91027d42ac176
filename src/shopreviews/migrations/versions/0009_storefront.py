"""The storefront: how each review was collected, web review settings, catalogue fields

Reviews say how they were collected (`collected_via`), for the widget's transparency notice and
the Google feed's collection method; reviews written through the review-request email form so
far are marked `email_request`. Shops gain the web review and display settings, products the
optional catalogue fields the feed and JSON-LD name products by.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The source the review-request email form has always stored (emails/service.py).
EMAIL_FORM_SOURCE = "Email request"
CATALOGUE_FIELDS = (
    ("sku", 64),
    ("gtin", 64),
    ("mpn", 64),
    ("brand", 255),
    ("url", 2048),
    ("image_url", 2048),
)
SHOP_SETTINGS = (
    sa.Column("web_reviews", sa.String(length=24), nullable=False, server_default="enabled"),
    sa.Column("auto_publish_min_rating", sa.SmallInteger(), nullable=False, server_default="1"),
    sa.Column(
        "author_display", sa.String(length=24), nullable=False, server_default="first_last_initial"
    ),
    sa.Column("reviews_disclosure", sa.Text(), nullable=False, server_default=""),
)


def upgrade() -> None:
    # Plain ALTER TABLE ADD/DROP COLUMN on both databases: a batch copy of the table on SQLite
    # would drop the triggers migrations 0005 and 0006 put on reviews and products.
    op.add_column(
        "reviews",
        sa.Column("collected_via", sa.String(length=16), nullable=False, server_default="api"),
    )
    reviews = sa.table("reviews", sa.column("source"), sa.column("collected_via"))
    op.execute(
        reviews.update()
        .where(reviews.c.source == EMAIL_FORM_SOURCE)
        .values(collected_via="email_request")
    )
    for column in SHOP_SETTINGS:
        op.add_column("shops", column)
    for name, length in CATALOGUE_FIELDS:
        op.add_column(
            "products", sa.Column(name, sa.String(length=length), nullable=False, server_default="")
        )


def downgrade() -> None:
    for name, _ in reversed(CATALOGUE_FIELDS):
        op.drop_column("products", name)
    for column in reversed(SHOP_SETTINGS):
        op.drop_column("shops", column.name)
    op.drop_column("reviews", "collected_via")
