"""OAuthError is an ApiError whose RFC 6749 error name stands where a code's category would:
"<error>: <error_description>", both also in `data`. Any other refusal on the OAuth endpoints
(shared validation, the request layer's early refusals) is given that shape by as_oauth_error
from its code and its detail."""

from __future__ import annotations

import pytest

from shopreviews.kit.envelope import (
    DEADLINE_EXCEEDED,
    INTERNAL,
    ApiError,
    InvalidArgument,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from shopreviews.oauth.errors import OAuthError, as_oauth_error


def test_the_error_name_is_the_category() -> None:
    error = OAuthError("invalid_grant", "unknown refresh token")
    assert (error.code, error.http_status) == (3, 400)
    assert error.message == "invalid_grant: unknown refresh token"
    assert error.description == error.detail == "unknown refresh token"
    assert error.data == {"error": "invalid_grant", "error_description": "unknown refresh token"}
    assert error.headers == {"Cache-Control": "no-store", "Pragma": "no-cache"}


@pytest.mark.parametrize(
    ("refusal", "message", "code", "status"),
    [
        (
            InvalidArgument("client_id is required"),
            "invalid_request: client_id is required",
            3,
            400,
        ),
        (InvalidArgument("key: a: b"), "invalid_request: key: a: b", 3, 400),
        (NotFound("shop x"), "invalid_request: shop x", 5, 404),
        (Unauthenticated("wrong client_secret"), "invalid_client: wrong client_secret", 16, 401),
        (
            RateLimited(retry_after=3),
            "temporarily_unavailable: rate limit exceeded; retry after 3 s",
            8,
            429,
        ),
        (
            ApiError(DEADLINE_EXCEEDED, "the request took longer than the processing budget"),
            "temporarily_unavailable: the request took longer than the processing budget",
            4,
            504,
        ),
        # No detail: the category describes it.
        (ApiError(INTERNAL), "server_error: internal error", 13, 500),
    ],
)
def test_other_refusals_take_the_oauth_shape(
    refusal: ApiError, message: str, code: int, status: int
) -> None:
    shaped = as_oauth_error(refusal)
    assert (shaped.message, shaped.code, shaped.http_status) == (message, code, status)
    error, _, description = message.partition(": ")
    assert shaped.data == {"error": error, "error_description": description}
    assert shaped.headers == {"Cache-Control": "no-store", "Pragma": "no-cache", **refusal.headers}
