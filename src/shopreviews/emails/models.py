"""The confirmation email of a web review (docs/storefront.md "Web reviews"): a job row due as
soon as the review is stored, sent at most once (emails/sender.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shopreviews.kit.jobs import JobMixin
from shopreviews.kit.models import Base, BigId, UTCDateTime, utcnow


class ReviewConfirmation(JobMixin, Base):
    """Asks the author of a web review whose address has an order of the product to confirm
    it; following the email's link marks the review verified."""

    __tablename__ = "review_confirmations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(
        ForeignKey("shops.shop_id", ondelete="CASCADE"), index=True
    )
    review_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("reviews.id", ondelete="CASCADE"), unique=True
    )
    email: Mapped[str] = mapped_column(String(254))
    # Committed before the SMTP conversation starts; a row found with it set and no result
    # was interrupted mid-send and is never sent again (at most once).
    send_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[str] = mapped_column(String(255), default="")
    # The first time the link was followed (the review became verified then).
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
