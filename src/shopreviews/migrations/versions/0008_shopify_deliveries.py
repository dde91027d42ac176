"""Shopify deliveries already acted on

Shopify sends an order webhook again, with the same X-Shopify-Webhook-Id, until it is
acknowledged. Acting on a retry a second time let an old delivery overwrite what later ones
said, so the ids acted on are kept per shop (for a week: the intake purges older ones).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shopreviews.kit.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shopify_deliveries",
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("webhook_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.shop_id"],
            name=op.f("fk_shopify_deliveries_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shop_id", "webhook_id", name=op.f("pk_shopify_deliveries")),
    )
    with op.batch_alter_table("shopify_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shopify_deliveries_shop_received", ["shop_id", "received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("shopify_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_shopify_deliveries_shop_received")

    op.drop_table("shopify_deliveries")
