"""Durable jobs: rows claimed with a lease, retried on a schedule, never lost on a crash."""

from shopreviews.kit.jobs.queue import (
    Backlog,
    Cancelled,
    Dead,
    JobMixin,
    JobQueue,
    JobStatus,
    Outcome,
    RetryAt,
    Succeeded,
    backlog,
)
from shopreviews.kit.jobs.worker import Worker

__all__ = [
    "Backlog",
    "Cancelled",
    "Dead",
    "JobMixin",
    "JobQueue",
    "JobStatus",
    "Outcome",
    "RetryAt",
    "Succeeded",
    "Worker",
    "backlog",
]
