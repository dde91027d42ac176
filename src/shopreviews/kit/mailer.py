"""Sending email through the operator's SMTP server (docs/intake.md §3.1)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from shopreviews.settings import Settings


class SendFailed(Exception):
    """The message was not accepted. `permanent`: the server refused it for good (5xx)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Mailer:
    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("SHOPREVIEWS_SMTP_HOST is not set")
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        password = s.smtp_password.get_secret_value() if s.smtp_password else None
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=password,
                use_tls=s.smtp_security == "tls",
                # "starttls" requires the upgrade (never falls back to clear text); "none" never
                # tries it.
                start_tls=s.smtp_security == "starttls",
                timeout=s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            first = exc.recipients[0]
            raise SendFailed(
                f"recipient refused: SMTP {first.code}: {first.message}",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise SendFailed(f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"{type(exc).__name__}: {exc}", permanent=False) from None
