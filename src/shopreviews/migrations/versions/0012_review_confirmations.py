"""Web review confirmation emails

A web review whose author's address has an order of the shop with the product gets an email
asking to confirm it (docs/storefront.md "Web reviews"); following its link marks the review
verified. Each such email is a job row sent at most once, like a review request: when it was
started and its Message-ID, and when its link was first followed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shopreviews.kit.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "review_confirmations",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("review_id", BIG_ID, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "send_started_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("confirmed_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("run_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_confirmations_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.shop_id"],
            name=op.f("fk_review_confirmations_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_confirmations")),
        sa.UniqueConstraint("review_id", name=op.f("uq_review_confirmations_review_id")),
    )
    op.create_index("ix_review_confirmations_due", "review_confirmations", ["status", "run_at"])
    op.create_index(op.f("ix_review_confirmations_shop_id"), "review_confirmations", ["shop_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_review_confirmations_shop_id"), table_name="review_confirmations")
    op.drop_index("ix_review_confirmations_due", table_name="review_confirmations")
    op.drop_table("review_confirmations")
