"""Durable jobs: rows claimed with a lease, retried on a schedule, never lost on a crash."""

from shopreviews.kit.jobs.queue import (
    Cancelled,
    Dead,
    JobMixin,
    JobQueue,
    JobStatus,
    Outcome,
    RetryAt,
    Succeeded,
)
from shopreviews.kit.jobs.worker import Worker

__all__ = [
    "Cancelled",
    "Dead",
    "JobMixin",
    "JobQueue",
    "JobStatus",
    "Outcome",
    "RetryAt",
    "Succeeded",
    "Worker",
]
