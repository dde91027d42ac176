"""Databases of a test run: the session's own (SQLite file or a PostgreSQL database created for
the run), and fresh ones for the tests that need a database to themselves (the operator CLI's
`shop list` must see no shop but its own).

Fresh databases are copies of one template migrated once per session, never migrated again per
test: a SQLite file copied with SQLite's backup API, a PostgreSQL database created from the
template database (CREATE DATABASE ... TEMPLATE).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from shopreviews import migrate
from shopreviews.settings import Settings
from tests.support.api import TEST_SECRET_KEY


def configured_url() -> str | None:
    """SHOPREVIEWS_TEST_DATABASE_URL: where the suite runs (a PostgreSQL server), else None."""
    return os.environ.get("SHOPREVIEWS_TEST_DATABASE_URL") or None


def on_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def migrate_to_head(url: str) -> None:
    migrate.upgrade(Settings(database_url=url, secret_key=TEST_SECRET_KEY))


class PostgresServer:
    """Creates and drops databases on the server of a PostgreSQL URL (the test database's)."""

    def __init__(self, url: str) -> None:
        self.base = make_url(url)

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def create(self, prefix: str, *, template: str | None = None) -> str:
        """A new database named `prefix` and a random suffix (so concurrent runs never meet),
        empty or a copy of `template`; its name."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{copy}')
        return name

    def drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        import asyncpg

        dsn = self.base.set(drivername="postgresql", database="postgres").render_as_string(
            hide_password=False
        )

        async def run() -> None:
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute(statement)
            finally:
                await conn.close()

        asyncio.run(run())


class FreshDatabases:
    """Databases of a test's own, next to the session's: empty, or migrated (a copy of a
    template migrated on first use). The PostgreSQL ones are dropped by close()."""

    def __init__(self, server_url: str | None, workdir: Path) -> None:
        """On the PostgreSQL server of `server_url`, else in SQLite files."""
        self.postgres = (
            PostgresServer(server_url) if server_url and on_postgres(server_url) else None
        )
        self.workdir = workdir
        self.created: list[str] = []
        self._template: str | None = None

    def empty(self, directory: Path) -> str:
        if self.postgres is None:
            return sqlite_url(directory / "fresh.db")
        name = self.postgres.create("fresh_test")
        self.created.append(name)
        return self.postgres.url(name)

    def migrated(self, directory: Path) -> str:
        template = self._migrated_template()
        if self.postgres is None:
            copy = directory / "fresh.db"
            with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(copy)) as to:
                source.backup(to)
            return sqlite_url(copy)
        name = self.postgres.create("fresh_test", template=template)
        self.created.append(name)
        return self.postgres.url(name)

    def _migrated_template(self) -> str:
        """The template's file path (SQLite) or database name (PostgreSQL)."""
        if self._template is None:
            if self.postgres is None:
                path = self.workdir / "template.db"
                migrate_to_head(sqlite_url(path))
                self._template = str(path)
            else:
                name = self.postgres.create("fresh_template")
                self.created.append(name)
                migrate_to_head(self.postgres.url(name))
                self._template = name
        return self._template

    def close(self) -> None:
        if self.postgres is not None:
            for name in reversed(self.created):
                self.postgres.drop(name)
        self.created.clear()
