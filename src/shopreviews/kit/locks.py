"""Named locks held until the end of the write transaction, for a check-then-insert that no
unique index can guard (e.g. "this email has not reviewed this product yet", where older rows
may already break the rule).

PostgreSQL: a transaction-level advisory lock on a 64-bit hash of the name. SQLite: the
process's writer (kit/sqlite_writer.py), which a raw statement takes; SQLite has one writer at
a time anyway, so every name shares it.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def lock_key(name: str) -> int:
    """The signed 64-bit advisory-lock key of `name`."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


async def hold(session: AsyncSession, name: str) -> None:
    """Wait for, then hold until commit or rollback, the lock called `name`."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
    else:
        await session.execute(text("SELECT 1"))  # raw SQL takes the writer (BEGIN IMMEDIATE)
