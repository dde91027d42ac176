"""shop data version

`shops.data_version` changes in the same transaction as every insert, update or delete of the
shop's reviews, products and rating aggregates, by triggers, so no write path (API, email
form, CLI, a hand-written UPDATE) can forget it. Read answers are cached by it (see
kit/read_cache.py): an answer cached under one version is never served once a write has
committed, in this process or any other. Triggers are dialect-specific and not in the models.

On PostgreSQL the triggers are deferred to commit: writers lock a review and the aggregates
before the shop row (events.service takes it last), and bumping the version at once would
take the shop row first in one writer and last in another, a deadlock.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = ("reviews", "products", "rating_aggregates")
PG_FUNCTION = """
    CREATE FUNCTION shopreviews_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE shops SET data_version = data_version + 1
       WHERE shop_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.shop_id ELSE NEW.shop_id END;
      RETURN NULL;
    END $$"""
PG_TRIGGER = (
    "CREATE CONSTRAINT TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE "
    "ON {table} DEFERRABLE INITIALLY DEFERRED "
    "FOR EACH ROW EXECUTE FUNCTION shopreviews_bump_data_version()"
)
# SQLite triggers have one event each; `row` is the row that names the shop.
SQLITE_TRIGGER = (
    "CREATE TRIGGER {table}_data_version_{event} AFTER {event} ON {table} BEGIN "
    "UPDATE shops SET data_version = data_version + 1 WHERE shop_id = {row}.shop_id; END"
)
SQLITE_EVENTS = {"insert": "new", "update": "new", "delete": "old"}


def upgrade() -> None:
    # Plain ALTER TABLE on both databases: a batch copy of `shops` on SQLite would drop the
    # table, and its foreign keys cascade.
    op.add_column(
        "shops", sa.Column("data_version", sa.BigInteger(), server_default="0", nullable=False)
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in VERSIONED:
            op.execute(PG_TRIGGER.format(table=table))
        return
    for table in VERSIONED:
        for event, row in SQLITE_EVENTS.items():
            op.execute(SQLITE_TRIGGER.format(table=table, event=event, row=row))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in VERSIONED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS shopreviews_bump_data_version()")
    else:
        for table in VERSIONED:
            for event in SQLITE_EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version_{event}")
    op.drop_column("shops", "data_version")  # SQLite 3.35+ drops columns in place
