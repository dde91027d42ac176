"""Applying migrations from code (serve, migrate, demo and the tests)."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url

from shopreviews.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
# Where env.py finds the callback that records each applied step (Config.attributes).
ON_VERSION_APPLY = "on_version_apply"


class UnknownRevision(Exception):
    """The database was migrated by a version of ShopReviews newer than this one."""


@dataclass(frozen=True)
class Upgrade:
    """What `upgrade` did: the revisions it applied, in order (their file names, such as
    0012_review_confirmations), and the one the database is at now."""

    applied: list[str] = field(default_factory=list)
    current: str = ""


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    return config


@dataclass(frozen=True)
class Revisions:
    head: str  # the revision this code's schema is at
    known: frozenset[str]  # every revision this code has a migration for


@functools.cache
def revisions() -> Revisions:
    """The migrations this code ships, read once per process (readiness compares the
    database's revision with the head)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    assert head is not None, "the migrations have no head"
    return Revisions(head, frozenset(rev.revision for rev in script.walk_revisions()))


def _in_thread(fn, *args) -> None:  # type: ignore[no-untyped-def]
    # env.py runs its own event loop; keep it off any loop the caller is running.
    if _loop_running():
        import threading

        errors: list[BaseException] = []

        def target() -> None:
            try:
                fn(*args)
            except BaseException as exc:  # re-raised in the caller
                errors.append(exc)

        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
        if errors:
            raise errors[0]
    else:
        fn(*args)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _name(script: Any) -> str:
    """A revision as its file is named: the number and what it does."""
    return Path(script.path).stem


def _open_sqlite_file(settings: Settings) -> None:
    """Open the SQLite file once in this thread (creating it, as the first connection would):
    a path that cannot hold a database fails here with SQLite's own error. Through the async
    driver the same failure comes back from its thread after the migration's event loop has
    closed, and that thread then prints a traceback of its own."""
    if settings.is_sqlite:
        with closing(sqlite3.connect(make_url(settings.database_url).database or "")) as db:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()


def upgrade(settings: Settings, revision: str = "head") -> Upgrade:
    _open_sqlite_file(settings)
    config = alembic_config(settings)
    applied: list[str] = []

    def record(*, step: Any, **_: Any) -> None:
        if step.is_upgrade and step.up_revision is not None:
            applied.append(_name(step.up_revision))

    config.attributes[ON_VERSION_APPLY] = record
    try:
        _in_thread(command.upgrade, config, revision)
    except CommandError as exc:
        if "Can't locate revision" in str(exc):
            raise UnknownRevision(
                f"the database is at a revision this version of ShopReviews does not know "
                f"({exc}): it was migrated by a newer version; run that version, or restore "
                "a backup taken before the upgrade"
            ) from exc
        raise
    target = ScriptDirectory.from_config(config).get_revision(revision)
    return Upgrade(applied, _name(target) if target is not None else "")


def downgrade(settings: Settings, revision: str = "base") -> None:
    _in_thread(command.downgrade, alembic_config(settings), revision)
