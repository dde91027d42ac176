"""review search and rating indexes

Keyword search gets a trigram index on each database: an FTS5 table with the trigram
tokenizer on SQLite (kept current by triggers), pg_trgm GIN indexes on the lower-cased columns
on PostgreSQL. Neither is in the models (they are dialect-specific); migrations/env.py keeps
`alembic check` from proposing to drop them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED = ("title", "content", "author")
SQLITE_TRIGGERS = {
    "reviews_fts_insert": """
        CREATE TRIGGER reviews_fts_insert AFTER INSERT ON reviews BEGIN
          INSERT INTO reviews_fts(rowid, title, content, author)
          VALUES (new.id, new.title, new.content, new.author);
        END""",
    "reviews_fts_delete": """
        CREATE TRIGGER reviews_fts_delete AFTER DELETE ON reviews BEGIN
          INSERT INTO reviews_fts(reviews_fts, rowid, title, content, author)
          VALUES ('delete', old.id, old.title, old.content, old.author);
        END""",
    "reviews_fts_update": """
        CREATE TRIGGER reviews_fts_update AFTER UPDATE OF title, content, author ON reviews
        BEGIN
          INSERT INTO reviews_fts(reviews_fts, rowid, title, content, author)
          VALUES ('delete', old.id, old.title, old.content, old.author);
          INSERT INTO reviews_fts(rowid, title, content, author)
          VALUES (new.id, new.title, new.content, new.author);
        END""",
}


def upgrade() -> None:
    # Ratings filters in feed order (and the rating sorts).
    op.create_index(
        "ix_reviews_shop_rating",
        "reviews",
        ["shop_id", "is_published", "rating", "commented_at", "id"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in SEARCHED:
            op.execute(
                f"CREATE INDEX ix_reviews_{column}_trgm ON reviews "
                f"USING gin (lower({column}) gin_trgm_ops)"
            )
        return
    op.execute(
        "CREATE VIRTUAL TABLE reviews_fts USING fts5("
        "title, content, author, content='reviews', content_rowid='id', tokenize='trigram')"
    )
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)
    op.execute("INSERT INTO reviews_fts(reviews_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in SEARCHED:
            op.execute(f"DROP INDEX IF EXISTS ix_reviews_{column}_trgm")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS reviews_fts")
    op.drop_index("ix_reviews_shop_rating", table_name="reviews")
