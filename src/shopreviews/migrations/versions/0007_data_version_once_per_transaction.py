"""data version bumped once per transaction (PostgreSQL)

Migration 0006's trigger changed `shops.data_version` for every row a transaction wrote: a
review created wrote five (the review, its product, three rating aggregates), so five new
versions of the shop row at each commit, beside the one of the event sequence. Without
vacuum keeping up, the busiest shop's row left thousands of dead versions behind, and every
lookup of its key walked them. The version only has to differ once the transaction has
committed, so the trigger now bumps it once per transaction and shop: it notes the shop it
bumped in a setting local to the transaction, which ends with it.

SQLite keeps its row triggers: there a bump is an in-place write within the same page.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONCE_PER_TRANSACTION = """
    CREATE OR REPLACE FUNCTION shopreviews_bump_data_version() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      shop varchar := CASE WHEN TG_OP = 'DELETE' THEN OLD.shop_id ELSE NEW.shop_id END;
    BEGIN
      -- The setting is local to the transaction: a later transaction bumps again.
      IF current_setting('shopreviews.data_version_bumped', true) IS DISTINCT FROM shop THEN
        UPDATE shops SET data_version = data_version + 1 WHERE shop_id = shop;
        PERFORM set_config('shopreviews.data_version_bumped', shop, true);
      END IF;
      RETURN NULL;
    END $$"""
PER_ROW = """
    CREATE OR REPLACE FUNCTION shopreviews_bump_data_version() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE shops SET data_version = data_version + 1
       WHERE shop_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.shop_id ELSE NEW.shop_id END;
      RETURN NULL;
    END $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ONCE_PER_TRANSACTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PER_ROW)
