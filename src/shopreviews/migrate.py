"""Applying migrations from code (serve, migrate, demo and the tests)."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from shopreviews.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


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


def upgrade(settings: Settings, revision: str = "head") -> None:
    _in_thread(command.upgrade, alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str = "base") -> None:
    _in_thread(command.downgrade, alembic_config(settings), revision)
