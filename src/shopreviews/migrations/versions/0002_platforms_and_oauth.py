"""platforms and oauth

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shopreviews.kit.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platforms",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("system_webhook_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("allowed_scopes", sa.String(length=255), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=False),
        sa.Column("skip_shop_oauth", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_platforms")),
    )
    op.create_table(
        "oauth_grants",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "installed_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "authorized_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("ended_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["platforms.client_id"],
            name=op.f("fk_oauth_grants_client_id_platforms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.shop_id"],
            name=op.f("fk_oauth_grants_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_grants")),
    )
    with op.batch_alter_table("oauth_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_grants_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            "uq_oauth_grants_active_pair",
            ["shop_id", "client_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "oauth_token_chains",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("grant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("created_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["oauth_grants.id"],
            name=op.f("fk_oauth_token_chains_grant_id_oauth_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_token_chains")),
    )
    with op.batch_alter_table("oauth_token_chains", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_token_chains_grant_id"), ["grant_id"], unique=False
        )

    op.create_table(
        "oauth_codes",
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("grant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scopes", sa.String(length=255), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("expires_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("chain_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["oauth_token_chains.id"],
            name=op.f("fk_oauth_codes_chain_id_oauth_token_chains"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["oauth_grants.id"],
            name=op.f("fk_oauth_codes_grant_id_oauth_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_sha256", name=op.f("pk_oauth_codes")),
    )
    with op.batch_alter_table("oauth_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_codes_grant_id"), ["grant_id"], unique=False)

    op.create_table(
        "oauth_tokens",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("chain_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("grant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=255), nullable=False),
        sa.Column("issued_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", shopreviews.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["oauth_token_chains.id"],
            name=op.f("fk_oauth_tokens_chain_id_oauth_token_chains"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["oauth_grants.id"],
            name=op.f("fk_oauth_tokens_grant_id_oauth_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_oauth_tokens")),
    )
    with op.batch_alter_table("oauth_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_tokens_chain_id"), ["chain_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_oauth_tokens_grant_id"), ["grant_id"], unique=False)

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column("sequence", existing_type=sa.BIGINT(), nullable=True)

    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("system_client_id", sa.String(length=64), nullable=True))
        batch_op.alter_column("subscription_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_webhook_deliveries_system_client_id_platforms"),
            "platforms",
            ["system_client_id"],
            ["client_id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    # System webhooks (no subscription, no sequence) cannot exist in the older schema.
    op.execute("DELETE FROM webhook_deliveries WHERE subscription_id IS NULL")
    op.execute("DELETE FROM events WHERE sequence IS NULL")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_webhook_deliveries_system_client_id_platforms"), type_="foreignkey"
        )
        batch_op.alter_column("subscription_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("system_client_id")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column("sequence", existing_type=sa.BIGINT(), nullable=False)

    with op.batch_alter_table("oauth_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_tokens_grant_id"))
        batch_op.drop_index(batch_op.f("ix_oauth_tokens_chain_id"))

    op.drop_table("oauth_tokens")
    with op.batch_alter_table("oauth_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_codes_grant_id"))

    op.drop_table("oauth_codes")
    with op.batch_alter_table("oauth_token_chains", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_token_chains_grant_id"))

    op.drop_table("oauth_token_chains")
    with op.batch_alter_table("oauth_grants", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_oauth_grants_active_pair",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_oauth_grants_client_id"))

    op.drop_table("oauth_grants")
    op.drop_table("platforms")
