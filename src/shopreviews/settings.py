"""Operator settings: environment variables with the SHOPREVIEWS_ prefix (and a .env file)."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./shopreviews.db"
KEY_FILE = Path("shopreviews.key")
DATABASE_URL_FORMS = (
    "use sqlite:///PATH (sqlite:///./shopreviews.db, or for an absolute path "
    "sqlite:////var/lib/shopreviews/shopreviews.db) or postgresql://USER:PASSWORD@HOST:5432/DB"
)
# The scheme of a URL, and the drivers each database is reached with (the async ones).
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9.+-]*)://")
_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_BACKENDS = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql"}


def normalise_database_url(value: str) -> str:
    """The URL with the driver ShopReviews connects with: `postgresql://` and `postgres://`
    become `postgresql+asyncpg://`, `sqlite://` becomes `sqlite+aiosqlite://`. The rest of the
    URL is kept as written (a percent-encoded password stays encoded). A URL that cannot work
    is refused here, saying which forms do."""
    value = value.strip()
    match = _SCHEME.match(value)
    if match is None:
        raise ValueError(f"not a database URL; {DATABASE_URL_FORMS}")
    backend, _, driver = match.group(1).lower().partition("+")
    database = _BACKENDS.get(backend)
    if database is None:
        raise ValueError(f"{backend} databases are not supported; {DATABASE_URL_FORMS}")
    wanted = _DRIVERS[database]
    if driver and f"{database}+{driver}" != wanted:
        raise ValueError(
            f"the {driver} driver is not supported: write {database}:// "
            f"(ShopReviews connects through {wanted.partition('+')[2]})"
        )
    url = wanted + value[match.end(1) :]
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(f"not a database URL; {DATABASE_URL_FORMS}") from None
    if database == "sqlite" and not parsed.database:
        raise ValueError(
            "a SQLite URL names its file after the third slash: sqlite:///./shopreviews.db "
            "(in the working directory) or sqlite:////var/lib/shopreviews/shopreviews.db"
        )
    if database == "sqlite" and parsed.database == ":memory:":
        raise ValueError(
            "an in-memory SQLite database ends with each command; name a file, "
            "e.g. sqlite:///./shopreviews.db"
        )
    return url


def shown_database_url(url: str) -> str:
    """The database URL as output and logs may show it: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


class Settings(BaseSettings):
    """Every knob of a deployment. Built once in create_app / the CLI and passed down; reading
    them has no side effect (the key file is server_key.py's)."""

    model_config = SettingsConfigDict(
        env_prefix="SHOPREVIEWS_", env_file=".env", extra="ignore", frozen=False
    )

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    secret_key: str | None = None
    key_file: Path = KEY_FILE
    public_url: str | None = None
    admin_token: str | None = None

    hmac_window_seconds: int = 900
    merchant_session_seconds: int = 43200
    oauth_code_seconds: int = 600
    oauth_access_token_seconds: int = 7200
    oauth_refresh_token_seconds: int = 90 * 86400
    request_budget_seconds: float = 30.0
    max_body_bytes: int = 1024 * 1024
    # The HTTP server's own limits (kit/server.py): the request line and headers together, and
    # how long a connection may take to send them (then it is closed); how long a request body
    # may go without a byte arriving (then 408). Idle, not total: slow uploads that keep
    # streaming are never cut.
    max_header_bytes: int = Field(default=64 * 1024, ge=1024)
    header_timeout_seconds: float = Field(default=5.0, gt=0)
    body_idle_timeout_seconds: float = Field(default=15.0, gt=0)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: comma-separated
    # addresses or networks. Empty: nobody's (the TCP peer is the client).
    forwarded_allow_ips: str = ""

    rate_limit_per_minute: int = 1200
    # OAuth client endpoints: authenticated calls per client_id; failed client authentications
    # per client_id and client address, and per client address (docs/operations.md).
    client_rate_limit_per_minute: int = 120
    client_auth_failures_per_minute: int = 10
    client_auth_failures_per_address_per_minute: int = 60
    # Merchant sign-in attempts per 15 minutes, counted before the password check: per account
    # and client address (a success clears it), per address, and per account. The account's
    # limit must exceed the first so one address can never lock the owner out elsewhere.
    signin_failures_per_15min: int = 10
    signin_attempts_per_address_per_15min: int = 100
    signin_attempts_per_account_per_15min: int = 50
    rate_limits_enabled: bool = True

    db_pool_size: int = 20
    # Serialised answers of get_reviews, get_review and get_rating, per process (kit/read_cache).
    read_cache_mb: int = Field(default=32, ge=0, description="0 turns the read cache off")
    sqlite_busy_timeout_ms: int = 30000

    webhook_allow_private_targets: bool = False
    webhook_subscriptions_per_owner: int = 50
    webhook_user_agent: str = "ShopReviews-Webhooks/1"
    # `serve` runs the job worker in-process unless this is off (`serve --no-worker`).
    run_worker: bool = True
    # How many jobs a worker process runs at once (its slots). At most 100: the deliveries' HTTP
    # client keeps up to 100 connections.
    worker_concurrency: int = Field(default=10, ge=1, le=100)
    # Of a worker's slots, how many deliveries to one destination (scheme, host and port of the
    # URL) may hold at once: a receiver that hangs holds these and leaves the rest to others.
    worker_slots_per_destination: int = Field(default=2, ge=1)
    # Media uploads (docs/api.md, "Media uploads"): where files live and the limits of uploads.
    storage_backend: Literal["local", "s3"] = "local"
    media_dir: Path = Path("media")
    media_public_url: str | None = None  # default <public URL>/media; required with s3
    upload_signing_key: SecretStr | None = None  # default: derived from the secret key
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # an S3-compatible store; unset: AWS
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_session_token: SecretStr | None = None
    image_max_bytes: int = 10 * 1024 * 1024
    video_max_bytes: int = 200 * 1024 * 1024
    image_max_pixels: int = 40_000_000
    # Memory the image decodes of one process reserve at once (media/image_work.py); an image
    # that needs more than all of it is decoded alone.
    image_decode_memory_mb: int = Field(default=384, ge=1)
    upload_credential_seconds: int = 600
    # Review-request email (docs/intake.md §3.1). No host: no email is sent; requests wait.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "ShopReviews <reviews@localhost>"
    smtp_timeout_seconds: float = 30.0
    storefront_events_per_minute: int = 60
    # Web reviews and their photo upload policies, per shop and client IP (docs/storefront.md).
    storefront_reviews_per_hour: int = 5
    # The storefront's public reads (docs/storefront.md), per shop and client IP.
    storefront_reads_per_minute: int = Field(default=600, ge=1)

    # Log lines: readable text, or one JSON object per line for log shippers. SHOPREVIEWS_LOG_JSON
    # is the older spelling of json; an explicit SHOPREVIEWS_LOG_FORMAT wins over it.
    log_format: Literal["text", "json"] | None = None
    log_json: bool = False
    log_level: str = "INFO"
    # When set, GET /metrics answers only requests carrying `Authorization: Bearer <token>`.
    metrics_token: SecretStr | None = None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("secret_key")
    @classmethod
    def _secret_key_length(cls, value: str | None) -> str | None:
        # An empty value means unset (the key file is used); a short one is refused up front.
        if not value:
            return None
        if len(value.encode()) < 32:
            raise ValueError("must be at least 32 bytes")
        return value

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token_set(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty value means unset: /metrics must not accept an empty bearer token.
        return value if value is not None and value.get_secret_value() else None

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        # Checked here: the server would take a misspelt address as a name nobody connects
        # from, and the proxy's clients would silently share its address again.
        # Written back in canonical form (10.0.0.1/8 as 10.0.0.0/8), which the server parses.
        canonical = []
        for item in (item.strip() for item in value.split(",")):
            if not item:
                continue
            if item == "*":
                raise ValueError("name the proxies' addresses or networks, not *")
            try:
                if "/" in item:
                    canonical.append(str(ipaddress.ip_network(item, strict=False)))
                else:
                    canonical.append(str(ipaddress.ip_address(item)))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return ",".join(canonical)

    @model_validator(mode="after")
    def _s3_is_complete(self) -> Settings:
        # Refused at start, not at the first upload: an S3 deployment without a bucket or a
        # public URL for its files cannot work.
        if self.storage_backend == "s3":
            missing = [
                f"SHOPREVIEWS_{name.upper()}"
                for name in ("s3_bucket", "media_public_url")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(f"the s3 storage backend needs {' and '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _one_address_cannot_lock_an_account(self) -> Settings:
        if self.signin_attempts_per_account_per_15min <= self.signin_failures_per_15min:
            raise ValueError(
                "SHOPREVIEWS_SIGNIN_ATTEMPTS_PER_ACCOUNT_PER_15MIN must be greater than "
                "SHOPREVIEWS_SIGNIN_FAILURES_PER_15MIN (else one address locks the account out)"
            )
        return self

    @property
    def logs_json(self) -> bool:
        """Whether log lines are JSON: SHOPREVIEWS_LOG_FORMAT, else SHOPREVIEWS_LOG_JSON."""
        return self.log_format == "json" if self.log_format else self.log_json

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def base_url(self, host: str = "127.0.0.1", port: int = 8000) -> str:
        """The public base URL; follows --host/--port when SHOPREVIEWS_PUBLIC_URL is unset."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{host}:{port}"
