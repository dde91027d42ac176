"""Storefront photo upload policies; reviews found by author address

A shop's storefront gets image upload policies of its own (docs/storefront.md §3.1): each is
recorded with its key prefix, so an upload can be counted against the policy's five files and a
web review can tell that its photos came through one within the last hour. Web reviews refuse a
second review of the same product (or the store) from the same address: an index on the
address, compared without case, keeps that check off a scan of the product's reviews.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shopreviews.kit.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "upload_policies",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("dir", sa.String(length=512), nullable=False),
        sa.Column("max_files", sa.Integer(), nullable=False),
        sa.Column("created_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.shop_id"],
            name=op.f("fk_upload_policies_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_policies")),
        sa.UniqueConstraint("dir", name=op.f("uq_upload_policies_dir")),
    )
    op.create_index(op.f("ix_upload_policies_shop_id"), "upload_policies", ["shop_id"])
    # Plain CREATE INDEX on both databases (no batch copy: it would drop the triggers of
    # reviews that migrations 0005 and 0006 made).
    op.execute("CREATE INDEX ix_reviews_shop_author ON reviews (shop_id, lower(author_email))")


def downgrade() -> None:
    op.execute("DROP INDEX ix_reviews_shop_author")
    op.drop_index(op.f("ix_upload_policies_shop_id"), table_name="upload_policies")
    op.drop_table("upload_policies")
