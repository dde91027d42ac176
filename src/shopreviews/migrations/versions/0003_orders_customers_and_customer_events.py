"""orders, review requests, customers and customer events

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shopreviews.kit.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("event_source", sa.String(length=16), nullable=False),
        sa.Column("os_type", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("customer_email", sa.String(length=254), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("review_id", sa.String(length=64), nullable=False),
        sa.Column("page_url", sa.Text(), nullable=False),
        sa.Column("created_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.shop_id"],
            name=op.f("fk_customer_events_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_events")),
    )
    with op.batch_alter_table("customer_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_events_shop_created", ["shop_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_customer_events_shop_type",
            ["shop_id", "event_type", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "customer_exclusions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=False),
        sa.Column("last_name", sa.String(length=255), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("created_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.shop_id"],
            name=op.f("fk_customer_exclusions_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_exclusions")),
    )
    with op.batch_alter_table("customer_exclusions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_exclusions_shop_created", ["shop_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "uq_customer_exclusions_customer",
            ["shop_id", "customer_id"],
            unique=True,
            sqlite_where=sa.text("customer_id <> ''"),
            postgresql_where=sa.text("customer_id <> ''"),
        )
        batch_op.create_index(
            "uq_customer_exclusions_email",
            ["shop_id", "email"],
            unique=True,
            sqlite_where=sa.text("email <> ''"),
            postgresql_where=sa.text("email <> ''"),
        )

    op.create_table(
        "customers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=False),
        sa.Column("last_name", sa.String(length=255), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("created_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.shop_id"],
            name=op.f("fk_customers_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("shop_id", "customer_id", name=op.f("uq_customers_shop_id")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index("ix_customers_shop_email", ["shop_id", "email"], unique=False)

    op.create_table(
        "email_unsubscribes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_type", sa.String(length=40), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.shop_id"],
            name=op.f("fk_email_unsubscribes_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_unsubscribes")),
        sa.UniqueConstraint(
            "shop_id", "email", "email_type", name=op.f("uq_email_unsubscribes_shop_id")
        ),
    )
    op.create_table(
        "orders",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("order_name", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("customer_email", sa.String(length=254), nullable=False),
        sa.Column("customer_name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("cancel_reason", sa.String(length=32), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("created_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("fulfilled_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("scheduled_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("evaluated_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.shop_id"], name=op.f("fk_orders_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("shop_id", "order_id", name=op.f("uq_orders_shop_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_shop_created", ["shop_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_orders_shop_sent", ["shop_id", "sent_at"], unique=False)
        batch_op.create_index(
            "ix_orders_shop_status_created", ["shop_id", "status", "created_at", "id"], unique=False
        )

    op.create_table(
        "review_requests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("order_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "send_started_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("opened_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clicked_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("run_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_pk"],
            ["orders.id"],
            name=op.f("fk_review_requests_order_pk_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.shop_id"],
            name=op.f("fk_review_requests_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_requests")),
        sa.UniqueConstraint("order_pk", name=op.f("uq_review_requests_order_pk")),
    )
    with op.batch_alter_table("review_requests", schema=None) as batch_op:
        batch_op.create_index("ix_review_requests_due", ["status", "run_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_requests_shop_id"), ["shop_id"], unique=False)

    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shopify_app_secret_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("review_request_delay_days", sa.Integer(), server_default="7", nullable=False)
        )
        batch_op.add_column(
            sa.Column("storefront_origins", sa.JSON(), server_default="[]", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_column("storefront_origins")
        batch_op.drop_column("review_request_delay_days")
        batch_op.drop_column("shopify_app_secret_encrypted")

    with op.batch_alter_table("review_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_requests_shop_id"))
        batch_op.drop_index("ix_review_requests_due")

    op.drop_table("review_requests")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_shop_status_created")
        batch_op.drop_index("ix_orders_shop_sent")
        batch_op.drop_index("ix_orders_shop_created")

    op.drop_table("orders")
    op.drop_table("email_unsubscribes")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_shop_email")

    op.drop_table("customers")
    with op.batch_alter_table("customer_exclusions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_customer_exclusions_email",
            sqlite_where=sa.text("email <> ''"),
            postgresql_where=sa.text("email <> ''"),
        )
        batch_op.drop_index(
            "uq_customer_exclusions_customer",
            sqlite_where=sa.text("customer_id <> ''"),
            postgresql_where=sa.text("customer_id <> ''"),
        )
        batch_op.drop_index("ix_customer_exclusions_shop_created")

    op.drop_table("customer_exclusions")
    with op.batch_alter_table("customer_events", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_events_shop_type")
        batch_op.drop_index("ix_customer_events_shop_created")

    op.drop_table("customer_events")
