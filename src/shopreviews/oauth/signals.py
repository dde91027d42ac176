"""What the grant lifecycle announces (kit/signals.py); re-exported by oauth.service. The
webhooks domain receives them: it tells the platform by a system webhook and, when a grant
ends, removes the platform's subscriptions for the shop, all in the sender's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shopreviews.kit.signals import Signal


@dataclass(frozen=True)
class GrantApproved(Signal):
    """A shop approved a platform, for the first time or again (`reauthorized`)."""

    shop_id: str
    client_id: str
    granted_scopes: str
    installed_at: datetime
    authorized_at: datetime
    grant_type: str
    reauthorized: bool
    now: datetime


@dataclass(frozen=True)
class GrantEnded(Signal):
    """A shop's grant of a platform ended: its tokens are already revoked."""

    shop_id: str
    client_id: str
    reason: Literal["disconnected", "cancelled"]
    initiated_by: str
    ended_at: datetime


@dataclass(frozen=True)
class TokensRevoked(Signal):
    """Tokens of a grant were revoked because a credential was presented twice."""

    shop_id: str
    client_id: str
    reason: str
    revoked_at: datetime
