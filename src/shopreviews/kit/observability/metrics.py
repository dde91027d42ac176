"""The process's Prometheus metrics, and their text for GET /metrics.

Names carry the `shopreviews_` prefix and their unit. No label holds a shop, a path as sent or
anything else a client chose: the number of series stays bounded, and /metrics shows no
tenant's data. docs/operations.md lists every metric.

`serve --workers N` runs N processes and a scrape reaches one of them, so with several
processes each one writes its values into files of one directory (prometheus_client's
multiprocess mode) and the process that answers the scrape adds up every process's files:
counters and histograms of processes that have ended included, gauges of live processes only.
kit/serving.py makes the directory, empty, before it starts the processes and removes it once
they have stopped. A single process keeps its values in memory.

Gauges read from the database (readiness, the webhook queue) are read when scraped, by the
process that answers, and are never added up across processes.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    # Only named here: kit.jobs reaches the read cache, which counts its lookups here.
    from shopreviews.kit.jobs import Backlog

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# prometheus_client chose where values live when it was imported, just above, from this same
# variable: files of that directory when set, else memory.
MULTIPROCESS = bool(os.environ.get(MULTIPROCESS_DIR))

REGISTRY = CollectorRegistry()
# Prometheus's classic text format, which every Prometheus version reads (the names and labels
# here need nothing newer).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# No `_created` series beside each counter: they double the series for a start time that
# Prometheus does not need (multiprocess mode never writes them either).
disable_created_metrics()  # type: ignore[no-untyped-call]

# --- HTTP ----------------------------------------------------------------------------------

# An API's answers: from a cached read (milliseconds) to the processing budget (30 s).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Methods the routes serve; any other method a client sends is counted as "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_HTTP_LABELS = ("route", "method", "status")

_requests = Counter(
    "shopreviews_http_requests",
    "HTTP requests answered, by route template, method and status code.",
    _HTTP_LABELS,
    registry=REGISTRY,
)
_durations = Histogram(
    "shopreviews_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template, method and "
    "status code.",
    _HTTP_LABELS,
    buckets=DURATION_BUCKETS,
    registry=REGISTRY,
)


# The series of each (route, method, status) seen, found again without prometheus_client's
# label lookup, which took three times as long as counting and timing the request together.
# Bounded as the labels are.
_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    key = (route, method if method in METHODS else "other", status)
    series = _series.get(key)
    if series is None:
        labels = (key[0], key[1], str(status))
        series = _series[key] = (_requests.labels(*labels), _durations.labels(*labels))
    series[0].inc()
    series[1].observe(seconds)


# --- jobs ----------------------------------------------------------------------------------

WEBHOOK_OUTCOMES = ("delivered", "retry", "dead", "cancelled")
webhook_outcomes = Counter(
    "shopreviews_webhook_delivery_outcomes",
    "Outcomes the webhook worker recorded: delivered; retry (the attempt failed, another "
    "follows); dead (failed for good); cancelled (nothing to send any more).",
    ("outcome",),
    registry=REGISTRY,
)
WEBHOOK_DISABLE_REASONS = ("gone", "failing")
webhook_subscriptions_disabled = Counter(
    "shopreviews_webhook_subscriptions_disabled",
    "Webhook subscriptions the worker disabled: gone (the receiver answered 410) or failing "
    "(every attempt failed for 5 days).",
    ("reason",),
    registry=REGISTRY,
)
EMAIL_OUTCOMES = ("sent", "retry", "failed", "skipped", "interrupted")
emails = Counter(
    "shopreviews_emails",
    "Outcomes of email jobs by kind: sent; retry (the SMTP server refused for now); failed "
    "(for good); skipped (nothing to send any more); interrupted (the sender stopped mid-send: "
    "recorded as sent, never sent twice).",
    ("kind", "outcome"),
    registry=REGISTRY,
)
for _outcome in WEBHOOK_OUTCOMES:
    webhook_outcomes.labels(_outcome)  # zero from the start: rate() needs a first value
for _reason in WEBHOOK_DISABLE_REASONS:
    webhook_subscriptions_disabled.labels(_reason)


def email_kind_counted(kind: str) -> None:
    """Show the outcomes of a kind of email (at zero) before its first email."""
    for outcome in EMAIL_OUTCOMES:
        emails.labels(kind, outcome)


# --- read cache ----------------------------------------------------------------------------

_read_cache = Counter(
    "shopreviews_read_cache_lookups",
    "Lookups of the read cache: hit (answered from memory) or miss (read from the database).",
    ("result",),
    registry=REGISTRY,
)
read_cache_hit = _read_cache.labels("hit")
read_cache_miss = _read_cache.labels("miss")

# --- rate limits ---------------------------------------------------------------------------

ratelimit_fallbacks = Counter(
    "shopreviews_ratelimit_fallback_decisions",
    "Rate-limit decisions a process took in its own memory because Redis "
    "(SHOPREVIEWS_REDIS_URL) was unreachable.",
    registry=REGISTRY,
)

# --- database pool -------------------------------------------------------------------------

# Per process (a `pid` label with several processes): each process has its own pool.
_pool_checked_out = Gauge(
    "shopreviews_db_pool_checked_out_connections",
    "Database connections the process's pool has lent out now.",
    registry=REGISTRY,
    multiprocess_mode="liveall",
)
_pool_size = Gauge(
    "shopreviews_db_pool_size",
    "Connections the process's pool keeps open (SHOPREVIEWS_DB_POOL_SIZE).",
    registry=REGISTRY,
    multiprocess_mode="liveall",
)
_pool_max = Gauge(
    "shopreviews_db_pool_max_connections",
    "Connections the process's pool may lend at once (its size plus its overflow).",
    registry=REGISTRY,
    multiprocess_mode="liveall",
)


def watch_pool(engine: AsyncEngine, *, size: int, overflow: int) -> Callable[[], None]:
    """Count the connections `engine`'s pool lends; returns what to call once it is disposed.

    Every checkout ends in a checkin, or in a detach (a connection taken out of the pool, which
    SQLAlchemy does to one it collects unreturned): both give it back here. Listeners of the
    engine stay with the pool it makes anew on dispose()."""
    _pool_size.inc(size)
    _pool_max.inc(size + overflow)

    def lent(*_args: Any) -> None:
        _pool_checked_out.inc()

    def returned(*_args: Any) -> None:
        _pool_checked_out.dec()

    event.listen(engine.sync_engine, "checkout", lent)
    event.listen(engine.sync_engine, "checkin", returned)
    event.listen(engine.sync_engine, "detach", returned)
    done = False

    def disposed() -> None:
        nonlocal done
        if not done:
            done = True
            _pool_size.dec(size)
            _pool_max.dec(size + overflow)

    return disposed


# --- the scrape ----------------------------------------------------------------------------


def readiness_family(ready: bool) -> Metric:
    """Whether this process would answer GET /readyz with 200, checked for this scrape."""
    return GaugeMetricFamily(
        "shopreviews_ready",
        "1 when the process can serve (GET /readyz answers 200), else 0.",
        value=1 if ready else 0,
    )


def redis_family(reachable: bool | None) -> list[Metric]:
    """Whether this process reaches Redis for its rate-limit counts (nothing without Redis)."""
    if reachable is None:
        return []
    return [
        GaugeMetricFamily(
            "shopreviews_redis_up",
            "1 while the process counts rate limits in Redis, 0 while Redis is unreachable and "
            "it counts in its own memory.",
            value=1 if reachable else 0,
        )
    ]


def backlog_families(backlogs: Mapping[str, Backlog]) -> list[Metric]:
    """The gauges of job queues, read from the database for this scrape."""
    pending = GaugeMetricFamily(
        "shopreviews_queue_pending_jobs",
        "Jobs waiting in the queue: due now, or scheduled for a later attempt.",
        labels=["queue"],
    )
    due = GaugeMetricFamily(
        "shopreviews_queue_due_jobs",
        "Jobs whose time has come: waiting for a worker, or running.",
        labels=["queue"],
    )
    age = GaugeMetricFamily(
        "shopreviews_queue_oldest_due_age_seconds",
        "How long the oldest due job has been due (0 when none is).",
        labels=["queue"],
    )
    for queue, backlog in backlogs.items():
        pending.add_metric([queue], backlog.pending)
        due.add_metric([queue], backlog.due)
        age.add_metric([queue], backlog.oldest_due_seconds)
    return [pending, due, age]


class _Read(Collector):
    """Metric families already read for one scrape."""

    def __init__(self, families: Sequence[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def exposition(read: Sequence[Metric]) -> bytes:
    """The text of every metric: the processes' own (added up across processes) and `read`."""
    if MULTIPROCESS:
        _forget_ended_processes(os.environ[MULTIPROCESS_DIR])
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
        own = generate_latest(processes)
    else:
        own = generate_latest(REGISTRY)
    scraped = CollectorRegistry()
    scraped.register(_Read(read))
    return own + generate_latest(scraped)


def _forget_ended_processes(directory: str) -> None:
    """Gauges of processes that ended without saying so (killed, or replaced by the supervisor
    for not answering its health check) leave the sum. The processes share one host and one
    directory, so a process id that no longer runs is one that ended."""
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        pid = int(path.rsplit("_", 1)[1].removesuffix(".db"))
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            # No such process, or another user's under a reused id: ours run as this user.
            multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


@contextmanager
def shared_directory() -> Iterator[None]:
    """A new, empty directory for the values of the processes started within the block (they
    inherit the environment); removed afterwards. No value of an earlier run is counted."""
    path = tempfile.mkdtemp(prefix="shopreviews-metrics-")
    previous = os.environ.get(MULTIPROCESS_DIR)
    os.environ[MULTIPROCESS_DIR] = path
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(MULTIPROCESS_DIR, None)
        else:
            os.environ[MULTIPROCESS_DIR] = previous
        shutil.rmtree(path, ignore_errors=True)


def process_stopping() -> None:
    """This process's gauges leave the sum (its counters stay: they only ever add up)."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
