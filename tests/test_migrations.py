"""Migrations keep data: stepping down and up again on a populated SQLite file loses no row.

SQLite alters a table by copying it and dropping the original; with foreign keys on, dropping
`shops` cascaded into every shop's reviews (migration 0003's downgrade copies `shops`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from shopreviews import migrate
from shopreviews.settings import Settings
from tests.support.api import TEST_SECRET_KEY

SHOP = (
    "INSERT INTO shops (shop_id, myshopify_domain, name, public_token, private_token_encrypted,"
    " status, event_sequence, created_at, updated_at)"
    " VALUES ('s1', 's1.myshopify.com', 'S', 'pt', 'x', 'active', 0, '2026-01-01', '2026-01-01')"
)
REVIEW = (
    "INSERT INTO reviews (shop_id, product_id, order_id, rating, author, author_email,"
    " author_phone, author_country, title, content, commented_at, item_type, source, tag,"
    " is_verified, is_featured, is_published, is_top, media, created_at, updated_at)"
    " VALUES ('s1', '1', '', 5, 'Ann', '', '', '', 'Title', 'Text', '2026-01-01', '', 'x', '',"
    " 0, 0, 1, 0, '[]', '2026-01-01', '2026-01-01')"
)


def counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as db:
        shops = db.execute("SELECT count(*) FROM shops").fetchone()[0]
        reviews = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
    return shops, reviews


def test_down_and_up_again_keeps_every_review(tmp_path: Path) -> None:
    path = tmp_path / "populated.db"
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", secret_key=TEST_SECRET_KEY)
    migrate.upgrade(settings)
    with sqlite3.connect(path) as db:
        db.execute(SHOP)
        db.executemany(REVIEW, [()] * 3)
    assert counts(path) == (1, 3)

    command.downgrade(migrate.alembic_config(settings), "0002")  # copies `shops` on the way
    assert counts(path) == (1, 3)
    migrate.upgrade(settings)
    assert counts(path) == (1, 3)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        # Back at head: migration 0006's column is there again.
        assert db.execute("SELECT data_version FROM shops").fetchone() == (0,)


def triggers(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        return [name for (name,) in rows]


def test_reviews_from_the_email_form_are_marked_as_collected_by_email_request(
    tmp_path: Path,
) -> None:
    path = tmp_path / "storefront.db"
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", secret_key=TEST_SECRET_KEY)
    config = migrate.alembic_config(settings)
    command.upgrade(config, "0008")
    with sqlite3.connect(path) as db:
        db.execute(SHOP)
        db.execute(REVIEW)  # source 'x': anything but the email form
        db.execute(
            REVIEW.replace("'Text', '2026-01-01', '', 'x'", "'T', '2026-01-01', '', ?"),
            ("Email request",),
        )
    keeping = triggers(path)
    migrate.upgrade(settings)
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT source, collected_via FROM reviews ORDER BY id").fetchall()
        shop = db.execute(
            "SELECT web_reviews, auto_publish_min_rating, author_display, reviews_disclosure"
            " FROM shops"
        ).fetchone()
    assert rows == [("x", "api"), ("Email request", "email_request")]
    assert shop == ("enabled", 1, "first_last_initial", "")
    # Columns are added in place: the search and data-version triggers on reviews survive.
    assert triggers(path) == keeping
    command.downgrade(config, "0008")
    assert triggers(path) == keeping
