"""Whether this process can serve: the checks behind GET /readyz.

A check gives one or more findings, each named (the keys of the answer's `checks`) and
either required (failing, the process is not ready: 503) or not (failing, the answer says so
and stays 200: a cache that is down slows requests, it does not fail them). Checks run in
order, each within the time limit of the probe; a new one is one more entry in the list.

What changes is logged once, not at every probe: a process that stops being ready says why
(warning), one that is ready again says so (info).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shopreviews.kit.ratelimit import CounterStore
from shopreviews.migrate import Revisions

log = logging.getLogger("shopreviews.readiness")

# Load balancers probe every few seconds and wait a few for the answer.
CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str  # for the answer: never a host, user or database name
    required: bool = True
    cause: str = ""  # the failure's own words, for the log only


# Runs within CHECK_SECONDS and never raises: a failure is a finding.
Check = Callable[[], Awaitable[Sequence[Finding]]]


def database_check(engine: AsyncEngine, revisions: Revisions) -> Check:
    """The database answers a query, and its schema is the one this code expects."""

    async def check() -> Sequence[Finding]:
        try:
            async with asyncio.timeout(CHECK_SECONDS), engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
                found = await _revision(connection)
        except TimeoutError:
            return _unreachable(f"no answer within {CHECK_SECONDS:g} s", "")
        except Exception as exc:
            return _unreachable(f"unreachable ({_kind(exc)})", str(exc))
        return [Finding("database", True, "answered"), _schema(found, revisions)]

    return check


def redis_check(counters: CounterStore) -> Check:
    """Whether the rate limits reach Redis. Never required: without it every process counts
    in its own memory and still serves, so taking every process out of the load balancer
    would turn a Redis outage into a full one."""

    async def check() -> Sequence[Finding]:
        if not counters.uses_redis:
            return []
        if await counters.probe():
            return [Finding("redis", True, "answered", required=False)]
        detail = "unreachable: rate limits are counted per process until it answers again"
        return [Finding("redis", False, detail, required=False)]

    return check


async def _revision(connection: AsyncConnection) -> str | None:
    """The database's schema revision; None when it has none (never migrated)."""
    try:
        result = await connection.execute(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:
        return None
    found = result.scalar()
    return None if found is None else str(found)


def _unreachable(reason: str, cause: str) -> list[Finding]:
    return [
        Finding("database", False, reason, cause=cause[:500]),
        Finding("schema", False, "not checked: the database did not answer"),
    ]


def _schema(found: str | None, revisions: Revisions) -> Finding:
    expected = revisions.head
    if found == expected:
        return Finding("schema", True, f"at {expected}")
    if found is None:
        return Finding(
            "schema", False, f"no schema, code expects {expected}: run `shopreviews migrate`"
        )
    if found in revisions.known:
        return Finding(
            "schema", False, f"at {found}, code expects {expected}: run `shopreviews migrate`"
        )
    return Finding(
        "schema",
        False,
        f"at {found}, which this code does not know (a newer version migrated it); "
        f"code expects {expected}",
    )


def _kind(exc: BaseException) -> str:
    """The kind of failure, without its words: they can name hosts, users and databases."""
    cause = getattr(exc, "orig", None) or exc.__cause__ or exc
    return type(cause).__name__


@dataclass(frozen=True)
class Verdict:
    ready: bool
    findings: Sequence[Finding]

    def body(self) -> dict[str, object]:
        return {
            "status": "ready" if self.ready else "not ready",
            "checks": {
                f.name: {"status": "ok" if f.ok else "failing", "detail": f.detail}
                for f in self.findings
            },
        }


class Readiness:
    def __init__(self, checks: Sequence[Check]) -> None:
        self.checks = checks
        self._was_ready: bool | None = None

    async def verdict(self) -> Verdict:
        findings = [finding for check in self.checks for finding in await check()]
        ready = all(f.ok for f in findings if f.required)
        self._log_change(ready, findings)
        return Verdict(ready, findings)

    def _log_change(self, ready: bool, findings: Sequence[Finding]) -> None:
        was_ready, self._was_ready = self._was_ready, ready
        if ready == was_ready or (ready and was_ready is None):
            return
        if ready:
            log.info("ready again")
            return
        failing = "; ".join(
            f"{f.name}: {f.detail}" + (f" ({f.cause})" if f.cause else "")
            for f in findings
            if not f.ok
        )
        log.warning("not ready: %s", failing)
