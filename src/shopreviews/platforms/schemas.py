"""What the operator sends to register or change a platform (the admin endpoints and the
`shopreviews platform` commands; docs/oauth.md, "Register a platform").

Each model checks its fields in the contract's order and refuses the first bad one with the
contract's message (code 3), before the service looks anything up. A webhook URL's target is
checked by the service, which knows whether private targets are allowed and resolves the host.
The models' docstrings would show in the API document: notes on them are comments.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shopreviews.auth.scopes import join_scopes, parse_scopes
from shopreviews.kit.envelope import InvalidArgument
from shopreviews.kit.params import parse_flag
from shopreviews.kit.schemas import sent_as

CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
MAX_REDIRECT_URIS = 10
MAX_URI_LENGTH = 2048
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
PRINTABLE_ASCII = frozenset(string.printable) - frozenset(string.whitespace) | {" "}
STATUSES = ("active", "disabled")


def _client_id(value: Any) -> str:
    if not isinstance(value, str) or not CLIENT_ID.match(value):
        raise InvalidArgument("client_id must match ^[a-z0-9][a-z0-9_-]{1,63}$")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 120:
        raise InvalidArgument("name must be 1 to 120 characters")
    return value.strip()


def _redirect_uri(uri: Any) -> str:
    if not isinstance(uri, str) or not uri:
        raise InvalidArgument("redirect_uris: each item must be a non-empty string")
    if len(uri) > MAX_URI_LENGTH:
        raise InvalidArgument(f"redirect_uris: {uri[:60]}... is longer than {MAX_URI_LENGTH}")
    if any(c.isspace() for c in uri):
        raise InvalidArgument(f"redirect_uris: {uri} contains whitespace")
    try:
        parts = urlsplit(uri)
    except ValueError as exc:
        raise InvalidArgument(f"redirect_uris: {uri} is not a valid URI") from exc
    if not parts.scheme or not parts.netloc:
        raise InvalidArgument(f"redirect_uris: {uri} is not an absolute URI")
    if "#" in uri:
        raise InvalidArgument(f"redirect_uris: {uri} must not contain a fragment")
    host = parts.netloc.rpartition("@")[2].lower()
    host = host if host.startswith("[") else host.split(":")[0]
    if host.startswith("["):
        host = host[: host.index("]") + 1]
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise InvalidArgument(
            f"redirect_uris: {uri} must use https (http only for localhost, 127.0.0.1, [::1])"
        )
    if parts.scheme not in ("http", "https"):
        raise InvalidArgument(f"redirect_uris: {uri} must use https")
    return uri


def _redirect_uris(value: Any) -> list[str]:
    uris = [value] if isinstance(value, str) else value
    if not isinstance(uris, list) or not 1 <= len(uris) <= MAX_REDIRECT_URIS:
        raise InvalidArgument(f"redirect_uris must be a list of 1 to {MAX_REDIRECT_URIS} URIs")
    checked = [_redirect_uri(u) for u in uris]
    return list(dict.fromkeys(checked))


def _allowed_scopes(value: Any) -> str:
    if not isinstance(value, str | list):
        raise InvalidArgument("allowed_scopes must be a list or a comma/space separated string")
    return join_scopes(parse_scopes(value, "allowed_scopes"))


def _webhook_url(value: Any) -> str:
    """The URL as text ("" for none); its target is the service's to check."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise InvalidArgument("webhook_url must be a string")
    return value


def _skip_shop_oauth(value: Any) -> int:
    return int(parse_flag(value, "skip_shop_oauth"))


def _client_secret(value: Any) -> str | None:
    """An operator-supplied secret, or None for a generated one."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) < 16 or not set(value) <= PRINTABLE_ASCII:
        raise InvalidArgument("client_secret must be at least 16 printable ASCII characters")
    if value != value.strip():
        # Presented secrets are trimmed like every request field: a secret that starts or
        # ends with a space could never authenticate.
        raise InvalidArgument("client_secret must not start or end with a space")
    return value


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise InvalidArgument("status must be active or disabled")
    return str(value)


def _given(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}


class CreatePlatformIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    client_id: str = Field(examples=["acme-sync"])
    name: str = Field(examples=["Acme Sync"])
    redirect_uris: list[str] = Field(examples=[["https://app.acme.example/oauth/callback"]])
    allowed_scopes: Annotated[str, sent_as(str | list[str])] = Field(
        examples=["read_reviews,write_reviews"]
    )
    webhook_url: str | None = Field(default=None, examples=["https://app.acme.example/hooks"])
    skip_shop_oauth: int | None = Field(default=0, examples=[0])
    client_secret: str | None = Field(default=None, description="default: generated")

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> dict[str, Any]:
        sent = _given(data)
        checked: dict[str, Any] = {
            "client_id": _client_id(sent.get("client_id")),
            "name": _name(sent.get("name")),
            "redirect_uris": _redirect_uris(sent.get("redirect_uris")),
        }
        if sent.get("allowed_scopes") is None:
            raise InvalidArgument("allowed_scopes is required")
        checked["allowed_scopes"] = _allowed_scopes(sent["allowed_scopes"])
        checked["webhook_url"] = _webhook_url(sent.get("webhook_url"))
        checked["skip_shop_oauth"] = _skip_shop_oauth(sent.get("skip_shop_oauth", 0))
        checked["client_secret"] = _client_secret(sent.get("client_secret"))
        return checked


# A change of a platform: fields left out (or null) keep their value, except webhook_url, which
# null or "" removes.
class UpdatePlatformIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    client_id: str = Field(examples=["acme-sync"])
    name: str | None = None
    redirect_uris: list[str] | None = None
    allowed_scopes: Annotated[str | None, sent_as(str | list[str] | None)] = None
    webhook_url: str | None = None
    skip_shop_oauth: int | None = None
    status: str | None = Field(default=None, examples=["disabled"])

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> dict[str, Any]:
        sent = _given(data)
        client_id = sent.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise InvalidArgument("client_id is required")
        checked: dict[str, Any] = {"client_id": client_id}
        for name, check in (
            ("name", _name),
            ("redirect_uris", _redirect_uris),
            ("allowed_scopes", _allowed_scopes),
            ("webhook_url", _webhook_url),
            ("skip_shop_oauth", _skip_shop_oauth),
            ("status", _status),
        ):
            # Sent as null, webhook_url is removed; the other fields are not given.
            if sent.get(name) is not None or (name == "webhook_url" and name in sent):
                checked[name] = check(sent[name])
        return checked


class RotatePlatformSecretIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    client_id: str = Field(examples=["acme-sync"])
    which: str = Field(examples=["client_secret"], description="or system_webhook_secret")

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> dict[str, Any]:
        sent = _given(data)
        client_id, which = sent.get("client_id"), sent.get("which")
        # Which secret is the service's to check, once the platform is found (code 5 first).
        if not isinstance(client_id, str) or not isinstance(which, str):
            raise InvalidArgument("client_id and which are required")
        return {"client_id": client_id, "which": which}
