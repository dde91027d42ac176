"""Behind a pooler in transaction mode (PgBouncer) a server connection serves many clients in
turn and keeps what each prepared: a URL with `?prepared_statement_cache_size=0` says so, and
the engine then gives every prepared statement a name no other client uses (kit/db.py)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from shopreviews.kit.db import Database
from shopreviews.settings import Settings

UNIQUE = re.compile(r"__asyncpg_[0-9a-f]{32}__")


async def _prepared_names(settings: Settings, url: str) -> list[str]:
    db = Database(settings.model_copy(update={"database_url": url}))
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            rows = await connection.execute(text("SELECT name FROM pg_prepared_statements"))
            return [str(name) for (name,) in rows]
    finally:
        await db.dispose()


async def test_statement_names_are_unique_behind_a_pooler(settings: Settings) -> None:
    if settings.is_sqlite:
        pytest.skip("poolers in transaction mode are a PostgreSQL matter")
    separator = "&" if "?" in settings.database_url else "?"
    pooled = await _prepared_names(
        settings, settings.database_url + separator + "prepared_statement_cache_size=0"
    )
    assert pooled and all(UNIQUE.fullmatch(name) for name in pooled), pooled
    # A direct connection keeps the adapter's own numbered names (and its statement cache).
    direct = await _prepared_names(settings, settings.database_url)
    assert direct and not any(UNIQUE.fullmatch(name) for name in direct), direct
