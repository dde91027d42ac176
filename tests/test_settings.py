"""Settings that cannot work are refused when they are read, with the variables named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shopreviews.settings import Settings


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
