"""Who is calling: one object every authenticated route receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shopreviews.auth.scopes import MERCHANT_SCOPES
from shopreviews.kit.envelope import PermissionDenied

# The challenge of a refused bearer token (RFC 6750 §3.1), from auth and from oauth alike.
INVALID_TOKEN = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


@dataclass(frozen=True)
class Caller:
    """A shop-scoped caller. HMAC callers and merchants act as the shop's owner (every scope);
        bearer callers (OAuth platforms) act for their grant with its scopes; public callers (the
    storefront's anonymous readers) have no scope and only reach the public reads."""

    shop_id: str
    kind: Literal["hmac", "bearer", "merchant", "public"]
    scopes: frozenset[str] = frozenset(MERCHANT_SCOPES)
    merchant_user_id: int | None = None
    # A merchant's role in the shop: "owner" (everything) or "staff" (moderation and replies).
    merchant_role: str | None = None
    session_id: str | None = None
    client_id: str | None = None
    grant_id: int | None = None
    # The shop's data version, read with the credentials (HMAC and bearer callers): the key of
    # cached read answers (kit/read_cache.py). None: never cached.
    data_version: int | None = None

    @property
    def actor(self) -> str:
        if self.kind == "merchant":
            return f"merchant:{self.merchant_user_id}"
        if self.kind == "bearer":
            return f"platform:{self.client_id}"
        if self.kind == "public":
            return "storefront"
        return "shop:hmac"

    @property
    def is_owner(self) -> bool:
        """Whether the caller may do everything the shop can: every caller but a staff user."""
        return self.kind != "merchant" or self.merchant_role == "owner"

    def require_owner(self) -> None:
        if not self.is_owner:
            raise PermissionDenied(
                "this needs the shop owner's role: staff users moderate and reply only"
            )

    def require(self, scope: str | None) -> None:
        if scope is not None and scope not in self.scopes:
            raise PermissionDenied(
                f"this token lacks the {scope} scope",
                headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
            )
