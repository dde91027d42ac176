"""Sending the email of a job row at most once, whatever the kind of email.

Before the SMTP conversation the sender commits `send_started_at`; after the server accepts
the message it commits the result. A row found with `send_started_at` set and no result
belongs to a worker that died mid-send: it is recorded as sent and never sent again, so a
crash or restart can lose at most that one email but never sends one twice.

A kind of email (the review request, the web review confirmation) subclasses `SendOnce` and
says only what differs: how its row is loaded and locked, whether it still has to go and what
it says (`compose`), and what else changes once it was sent or failed for good.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit.context import AppContext
from shopreviews.kit.email_address import Unsendable
from shopreviews.kit.jobs import Dead, JobQueue, JobStatus, RetryAt, Succeeded
from shopreviews.kit.mailer import Mailer, SendFailed
from shopreviews.kit.observability.metrics import email_kind_counted, emails

log = logging.getLogger("shopreviews.emails")
# Above the SMTP timeout, so a live worker never loses its lease mid-send.
LEASE = timedelta(minutes=5)
# Waits after the 1st..5th temporary failure; the 6th failure ends the job.
RETRY_AFTER = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
INTERRUPTED = "interrupted while sending; recorded as sent, never sent twice"


class EmailJob(Protocol):
    """The columns of a job row that sends one email (JobMixin's, and the send's own)."""

    id: int
    status: str
    lease_owner: str | None
    attempts: int
    send_started_at: datetime | None
    message_id: str


F = TypeVar("F")


@dataclass(frozen=True)
class Outgoing:
    job_id: int
    owner: str
    started_at: datetime
    email: EmailMessage


class SendOnce(ABC, Generic[F]):
    """The job handler of one kind of email (kit/jobs/worker.py's JobHandler). `F` is what the
    kind loads with its row (the row itself, its order, its shop...)."""

    name: str  # the handler's name in the worker's logs
    kind: str  # what this email is called in the logs: "review request"

    def __init__(self, ctx: AppContext, mailer: Mailer, queue: JobQueue[Any]) -> None:
        self.ctx = ctx
        self.mailer = mailer
        self.queue = queue
        # The kind's label in the metrics: "review_request".
        self.label = self.kind.replace(" ", "_")
        email_kind_counted(self.label)

    def _count(self, outcome: str) -> None:
        emails.labels(self.label, outcome).inc()

    # --- the hooks of a kind of email ---------------------------------------------------------

    @abstractmethod
    async def load(self, session: AsyncSession, job_id: int) -> F | None:
        """The row and what the email needs, the row locked for update; None when gone."""

    @abstractmethod
    def job(self, found: F) -> EmailJob:
        """The job row within what `load` found."""

    @abstractmethod
    async def compose(
        self, session: AsyncSession, found: F, *, owner: str, now: datetime
    ) -> EmailMessage | None:
        """The email to send now, or None when the job has nothing to send any more and was
        finished here (`queue.finish(..., Cancelled(...))`). Raises Unsendable when no SMTP
        server could ever take it."""

    def sent(self, found: F, at: datetime) -> None:
        """The email went out at `at` (or was recorded as sent after an interrupted send)."""

    def ended(self, found: F, now: datetime) -> None:
        """The job failed for good (Dead) and will not send anything."""

    # --- the send ----------------------------------------------------------------------------

    async def run(self, job_id: int, owner: str) -> None:
        outgoing = await self._prepare(job_id, owner)
        if outgoing is None:
            return
        try:
            await self.mailer.send(outgoing.email)
        except SendFailed as exc:
            await self._failed(outgoing, exc)
        else:
            await self._sent(outgoing)

    async def _prepare(self, job_id: int, owner: str) -> Outgoing | None:
        """Decide under the row lock; commit send_started_at before anything is sent."""
        now = self.ctx.now_datetime()
        async with self.ctx.db.session(write=True) as session:
            found = await self.load(session, job_id)
            if found is None:
                return None
            job = self.job(found)
            if job.status != JobStatus.PENDING or job.lease_owner != owner:
                return None  # done or cancelled meanwhile, or taken over after a lost lease
            if job.send_started_at is not None:
                await self._interrupted(session, found, owner)
                return None
            try:
                email = await self.compose(session, found, owner=owner, now=now)
            except Unsendable as exc:
                # Refused for good before any SMTP server saw it (as a 5xx would be); raising
                # instead would leave the job to come back every lease, forever.
                ended = await self._end(session, found, owner, f"unsendable: {exc}", now=now)
                log.warning("%s %s cannot be sent: %s", self.kind, job.id, exc)
                email, counted = None, "failed" if ended else ""
            else:
                counted = "" if email is not None else "skipped"  # compose finished the job
            if email is not None:
                job.send_started_at = now
                job.message_id = str(email["Message-ID"])
                job.attempts += 1
        if counted:  # once committed
            self._count(counted)
        return None if email is None else Outgoing(job_id, owner, now, email)

    async def _interrupted(self, session: AsyncSession, found: F, owner: str) -> None:
        """A previous attempt died between starting to send and recording the result."""
        job = self.job(found)
        started = job.send_started_at
        assert started is not None
        log.warning(
            "%s %s was interrupted while sending at %s; not sending it again",
            self.kind,
            job.id,
            started,
        )
        if await self.queue.finish(session, job.id, owner=owner, outcome=Succeeded(INTERRUPTED)):
            self.sent(found, started)
            self._count("interrupted")

    async def _end(
        self,
        session: AsyncSession,
        found: F,
        owner: str,
        error: str,
        *,
        now: datetime,
        also: Mapping[str, object] | None = None,
    ) -> bool:
        """The job failed for good: dead, and the kind's own consequences."""
        ended = await self.queue.finish(
            session, self.job(found).id, owner=owner, outcome=Dead(error[:2000]), also=also
        )
        if ended:
            self.ended(found, now)
        return ended

    async def _sent(self, outgoing: Outgoing) -> None:
        now = self.ctx.now_datetime()
        async with self.ctx.db.session(write=True) as session:
            found = await self.load(session, outgoing.job_id)
            if found is None:
                return
            # Sent, even if the job was cancelled during the SMTP conversation (an
            # orders/cancelled webhook): the email was already on its way. Not if another
            # worker took the job over after this one's lease ran out (that worker records
            # the outcome).
            sent = await self.queue.finish(
                session,
                outgoing.job_id,
                owner=outgoing.owner,
                outcome=Succeeded(),
                over_cancelled=True,
            )
            if not sent:
                return
            self.sent(found, now)
        self._count("sent")
        log.info("%s %s sent", self.kind, outgoing.job_id)

    async def _failed(self, outgoing: Outgoing, exc: SendFailed) -> None:
        now = self.ctx.now_datetime()
        async with self.ctx.db.session(write=True) as session:
            found = await self.load(session, outgoing.job_id)
            if found is None:
                return
            job = self.job(found)
            # The server refused it: nothing was sent.
            unsent = {"send_started_at": None}
            if exc.permanent or job.attempts > len(RETRY_AFTER):
                if await self._end(session, found, outgoing.owner, str(exc), now=now, also=unsent):
                    log.warning("%s %s failed for good: %s", self.kind, job.id, exc)
                    self._count("failed")
                    return
            else:
                at = now + RETRY_AFTER[job.attempts - 1]
                outcome = RetryAt(at, str(exc)[:2000])
                if await self.queue.finish(
                    session, job.id, owner=outgoing.owner, outcome=outcome, also=unsent
                ):
                    log.info("%s %s will be retried at %s: %s", self.kind, job.id, at, exc)
                    self._count("retry")
                    return
            # Not finished: cancelled meanwhile, and that outcome stands; or taken over by a
            # worker after this one's lease ran out, which records the outcome itself.
            if job.status == JobStatus.CANCELLED:
                job.send_started_at = None
