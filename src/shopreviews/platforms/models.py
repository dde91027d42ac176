"""Partner platforms: the OAuth clients the operator registers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopreviews.kit.models import Base, Timestamps
from shopreviews.kit.timefmt import rfc3339


class Platform(Timestamps, Base):
    __tablename__ = "platforms"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # Both secrets sign webhooks, so they are kept encrypted (recoverable), never hashed.
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    system_webhook_secret_encrypted: Mapped[str] = mapped_column(Text)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    allowed_scopes: Mapped[str] = mapped_column(String(255))  # canonical comma list
    webhook_url: Mapped[str] = mapped_column(Text, default="")
    skip_shop_oauth: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def as_dict(self) -> dict[str, Any]:
        """The platform object of the admin endpoints and the CLI; never its secrets."""
        return {
            "client_id": self.client_id,
            "name": self.name,
            "redirect_uris": list(self.redirect_uris),
            "allowed_scopes": self.allowed_scopes,
            "webhook_url": self.webhook_url,
            "skip_shop_oauth": int(self.skip_shop_oauth),
            "status": self.status,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        }
