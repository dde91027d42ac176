"""Settings that cannot work are refused when they are read, with the variables named."""

from __future__ import annotations

import inspect
import logging
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from shopreviews import server_key
from shopreviews.settings import Settings, shown_database_url


def test_the_s3_backend_needs_a_bucket_and_a_public_url() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(storage_backend="s3", secret_key="k" * 40)
    message = str(refused.value)
    assert "SHOPREVIEWS_S3_BUCKET" in message and "SHOPREVIEWS_MEDIA_PUBLIC_URL" in message

    with pytest.raises(ValidationError, match="SHOPREVIEWS_MEDIA_PUBLIC_URL") as refused:
        Settings(storage_backend="s3", s3_bucket="reviews-media", secret_key="k" * 40)
    assert "SHOPREVIEWS_S3_BUCKET" not in str(refused.value)

    ready = Settings(
        storage_backend="s3",
        s3_bucket="reviews-media",
        media_public_url="https://cdn.example.com",
        secret_key="k" * 40,
    )
    assert (ready.storage_backend, ready.s3_bucket) == ("s3", "reviews-media")


def test_an_unknown_storage_backend_is_refused() -> None:
    with pytest.raises(ValidationError, match="storage_backend"):
        Settings(storage_backend="ftp", secret_key="k" * 40)  # type: ignore[arg-type]


def test_the_smtp_security_mode_is_one_of_three() -> None:
    for mode in ("starttls", "tls", "none"):
        assert Settings(smtp_security=mode, secret_key="k" * 40).smtp_security == mode  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="smtp_security"):
        Settings(smtp_security="ssl", secret_key="k" * 40)  # type: ignore[arg-type]


def test_reading_the_settings_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every property and method of the settings, with no key set: none creates the key file
    (that is server_key.load_or_create's, an explicit step)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPREVIEWS_SECRET_KEY", raising=False)
    monkeypatch.delenv("SHOPREVIEWS_KEY_FILE", raising=False)
    settings = Settings(_env_file=None)
    read = []
    for name, member in vars(Settings).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            getattr(settings, name)
            read.append(name)
        elif inspect.isfunction(member):
            getattr(settings, name)()
            read.append(name)
    assert "base_url" in read and "is_sqlite" in read
    assert list(tmp_path.iterdir()) == []


def test_the_key_file_is_created_0600_once_then_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("SHOPREVIEWS_SECRET_KEY", raising=False)
    settings = Settings(_env_file=None, key_file=tmp_path / "shopreviews.key")
    with caplog.at_level(logging.WARNING, logger="shopreviews.settings"):
        key = server_key.load_or_create(settings)
    assert len(key) >= 32
    assert settings.key_file.read_text() == key + "\n"
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    assert [r.getMessage() for r in caplog.records] == [
        f"generated a new server key in {settings.key_file.resolve()} (mode 0600); "
        "keep it safe and back it up"
    ]
    caplog.clear()
    assert server_key.load_or_create(settings) == key
    assert caplog.records == []
    explicit = Settings(_env_file=None, secret_key="k" * 32, key_file=tmp_path / "other.key")
    assert server_key.load_or_create(explicit) == "k" * 32
    assert not explicit.key_file.exists()


@pytest.mark.parametrize(
    ("given", "used"),
    [
        # The plain forms of the database tools get the driver ShopReviews connects with.
        ("postgresql://shop:pa%40ss@db:5432/reviews", "postgresql+asyncpg://shop:pa%40ss@db:5432/reviews"),
        ("postgres://shop@db/reviews", "postgresql+asyncpg://shop@db/reviews"),
        ("postgresql+asyncpg://shop@db/reviews", "postgresql+asyncpg://shop@db/reviews"),
        ("sqlite:///shopreviews.db", "sqlite+aiosqlite:///shopreviews.db"),
        ("sqlite:////var/lib/shopreviews/shopreviews.db", "sqlite+aiosqlite:////var/lib/shopreviews/shopreviews.db"),
        ("SQLite:///./x.db", "sqlite+aiosqlite:///./x.db"),
        ("  sqlite+aiosqlite:///./x.db\n", "sqlite+aiosqlite:///./x.db"),
    ],
)  # fmt: skip
def test_the_database_url_gets_its_driver(given: str, used: str) -> None:
    settings = Settings(database_url=given, secret_key="k" * 40)
    assert settings.database_url == used
    assert settings.is_sqlite == used.startswith("sqlite")


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("mysql://shop:secret-pw@db/reviews", "mysql databases are not supported; use sqlite:///PATH"),
        ("shopreviews.db", "not a database URL; use sqlite:///PATH"),
        ("", "not a database URL"),
        ("postgresql+psycopg2://shop:secret-pw@db/reviews",
         "the psycopg2 driver is not supported: write postgresql://"),
        ("sqlite+pysqlite:///x.db", "the pysqlite driver is not supported: write sqlite://"),
        ("sqlite:///", "a SQLite URL names its file after the third slash: sqlite:///./shopreviews.db"),
        ("sqlite://", "a SQLite URL names its file after the third slash"),
        ("sqlite:///:memory:", "an in-memory SQLite database ends with each command; name a file"),
    ],
)  # fmt: skip
def test_a_database_url_that_cannot_work_is_refused_saying_what_does(
    given: str, problem: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(database_url=given, secret_key="k" * 40)
    (error,) = refused.value.errors()
    assert error["loc"] == ("database_url",)
    assert str(error["ctx"]["error"]).startswith(problem), error
    assert "secret-pw" not in str(error["ctx"]["error"])


def test_the_database_url_is_shown_without_its_password() -> None:
    url = "postgresql+asyncpg://shop:pa%40ss-w0rd@db.example.com:5432/reviews"
    assert shown_database_url(url) == "postgresql+asyncpg://shop:***@db.example.com:5432/reviews"
    assert shown_database_url("sqlite+aiosqlite:///./x.db") == "sqlite+aiosqlite:///./x.db"
