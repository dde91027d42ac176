"""Alembic environment: async engines for SQLite and PostgreSQL, models from every domain."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from shopreviews.kit.db import create_engine
from shopreviews.models_registry import metadata
from shopreviews.settings import Settings

config = context.config


def _settings() -> Settings:
    url = config.get_main_option("sqlalchemy.url")
    return Settings(database_url=url) if url else Settings()


def _include(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave the dialect-specific search objects of migration 0005 out of comparisons: the
    SQLite FTS5 table (and its shadow tables) and the PostgreSQL trigram indexes."""
    if type_ == "table" and name and name.startswith("reviews_fts"):
        return False
    return not (type_ == "index" and name and name.endswith("_trgm"))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=_include,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
        compare_type=True,
        # `shopreviews migrate` reports the revisions it applied (migrate.upgrade).
        on_version_apply=config.attributes.get("on_version_apply"),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    # The application's PostgreSQL connections idle in autocommit (kit/db.py); migrations run
    # in one transaction, so a failed step leaves nothing half-done.
    settings = _settings()
    engine = create_engine(settings)
    if not settings.is_sqlite:
        engine = engine.execution_options(isolation_level="READ COMMITTED")
    async with engine.connect() as connection:
        if settings.is_sqlite:
            # SQLite alters a table by copying it and dropping the original (batch mode), and
            # dropping `shops` with foreign keys on would cascade into every shop's reviews.
            # The pragma is ignored inside a transaction, so it goes to the driver first.
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None  # a live connection: just checked out
            await driver.execute("PRAGMA foreign_keys=OFF")
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()  # the connection (foreign keys off) is not used again


if context.is_offline_mode():
    context.configure(url=_settings().database_url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
