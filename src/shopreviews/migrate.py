"""Applying migrations from code (serve, migrate, demo and the tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from shopreviews.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    return config


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
