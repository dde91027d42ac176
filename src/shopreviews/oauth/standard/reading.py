"""Reading the standard endpoints' requests into the typed requests the enveloped endpoints make
(oauth/reading.py): the same fields, and the client's credentials from HTTP Basic
(client_secret_basic) or from the form (client_secret_post), RFC 6749 §2.3.1."""

from __future__ import annotations

import base64
from dataclasses import replace
from urllib.parse import unquote_plus

from shopreviews.kit.checked import Checked
from shopreviews.kit.forms import Fields
from shopreviews.kit.schemas import unstorable_text
from shopreviews.oauth import reading
from shopreviews.oauth.errors import OAuthError
from shopreviews.oauth.schemas import ClientCredentials, PresentedToken, TokenExchange

TOKEN_TYPE_HINTS = ("access_token", "refresh_token")
UNDECODABLE = "the Basic Authorization header is not base64 of client_id:client_secret"


def _given(field: Checked[str]) -> bool:
    return field.value is not None or field.error is not None


def _form_decoded(value: str) -> str:
    """RFC 6749 §2.3.1: client_id and client_secret are form-encoded before Basic joins them."""
    try:
        decoded = unquote_plus(value, errors="strict")
    except UnicodeDecodeError as exc:
        raise OAuthError("invalid_request", UNDECODABLE) from exc
    problem = unstorable_text(decoded, "the Basic credentials")
    if problem is not None:
        raise OAuthError("invalid_request", problem)
    return decoded


def _basic(authorization: str) -> tuple[str, str]:
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        # RFC 6749 §5.2: an unsupported authentication method is invalid_client.
        raise OAuthError("invalid_client", "the Authorization header must use the Basic scheme")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:  # binascii.Error is a ValueError
        raise OAuthError("invalid_request", UNDECODABLE) from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError("invalid_request", UNDECODABLE)
    return _form_decoded(client_id), _form_decoded(secret)


def client_credentials(
    authorization: str | None, fields: Fields, *, body_limit: int
) -> ClientCredentials:
    """The client's credentials: from the Authorization header when it is sent, else from the
    form. One method per request (RFC 6749 §2.3): a secret in both places is invalid_request."""
    in_form = reading.client_credentials(fields, body_limit=body_limit)
    if authorization is None:
        return in_form
    client_id, secret = _basic(authorization)
    if _given(in_form.client_secret):
        raise OAuthError(
            "invalid_request",
            "client credentials in both the Authorization header and the body: use one method",
        )
    # RFC 6749 §3.2.1 lets a client name itself in the body as well: it must be the same one.
    if _given(in_form.client_id) and in_form.client_id.value != client_id:
        raise OAuthError(
            "invalid_request", "client_id in the body differs from the Authorization header's"
        )
    return ClientCredentials(Checked(client_id or None), Checked(secret or None))


def token_exchange(authorization: str | None, fields: Fields, *, body_limit: int) -> TokenExchange:
    return replace(
        reading.token_exchange(fields, body_limit=body_limit),
        client=client_credentials(authorization, fields, body_limit=body_limit),
    )


def _known_hint(fields: Fields) -> str | None:
    hint = fields.text("token_type_hint", max_length=reading.MAX_GRANT_TYPE)
    if hint is not None and hint not in TOKEN_TYPE_HINTS:
        raise OAuthError(
            "unsupported_token_type", "token_type_hint must be access_token or refresh_token"
        )
    return hint


def revocation(authorization: str | None, fields: Fields, *, body_limit: int) -> PresentedToken:
    """RFC 7009 §2.1; a hint other than access_token or refresh_token is refused."""
    return replace(
        reading.presented_token(fields, body_limit=body_limit),
        client=client_credentials(authorization, fields, body_limit=body_limit),
        token_type_hint=Checked.read(lambda: _known_hint(fields)),
    )


def introspection(authorization: str | None, fields: Fields, *, body_limit: int) -> PresentedToken:
    """RFC 7662 §2.1; the hint is ignored (the lookup finds either kind of token)."""
    return replace(
        reading.presented_token(fields, body_limit=body_limit),
        client=client_credentials(authorization, fields, body_limit=body_limit),
    )
