"""Grants, token chains, authorization codes and tokens (docs/oauth.md).

Codes and tokens are stored as the SHA-256 hex of the presented string: a database leak yields
nothing usable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from shopreviews.kit.models import Base, BigId, UTCDateTime

ACTIVE = "active"
ENDED = "ended"


class Grant(Base):
    """One shop's authorization of one platform; at most one active grant per pair."""

    __tablename__ = "oauth_grants"
    __table_args__ = (
        Index(
            "uq_oauth_grants_active_pair",
            "shop_id",
            "client_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(
        ForeignKey("platforms.client_id", ondelete="CASCADE"), index=True
    )
    scopes: Mapped[str] = mapped_column(String(255))  # canonical comma list
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    authorized_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str] = mapped_column(String(16), default="")

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE


class TokenChain(Base):
    """An access/refresh token issue and all its rotations."""

    __tablename__ = "oauth_token_chains"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    grant_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True
    )
    origin: Mapped[str] = mapped_column(String(32))  # authorization_code | client_credentials
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuthorizationCode(Base):
    __tablename__ = "oauth_codes"

    code_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[str] = mapped_column(String(64))
    shop_id: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(String(255))
    code_challenge: Mapped[str] = mapped_column(String(128), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The chain the exchange started: reuse of the code revokes it.
    chain_id: Mapped[int | None] = mapped_column(
        ForeignKey("oauth_token_chains.id", ondelete="SET NULL"), nullable=True
    )


ACCESS = "access"
REFRESH = "refresh"


class Token(Base):
    """An access or refresh token. A rotated refresh token is kept, `retired`, until it
    expires, so that its reuse can be detected (RFC 9700 §4.14.2)."""

    __tablename__ = "oauth_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # access | refresh
    chain_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_token_chains.id", ondelete="CASCADE"), index=True
    )
    grant_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True
    )
    shop_id: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(255))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    def is_current(self, now: datetime) -> bool:
        return self.revoked_at is None and self.retired_at is None and self.expires_at > now
