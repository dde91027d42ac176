"""Durable jobs: rows claimed with a lease, retried on a schedule, never lost on a crash."""

from shopreviews.kit.jobs.queue import JobMixin, JobQueue, JobStatus
from shopreviews.kit.jobs.worker import Worker

__all__ = ["JobMixin", "JobQueue", "JobStatus", "Worker"]
