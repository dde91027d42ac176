"""What the standard OAuth endpoints (RFC 6749, RFC 7009, RFC 7662) read and answer, as the API
document shows it. Their answers are bare JSON; the enveloped twins' shapes are in
oauth/schemas.py."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from shopreviews.oauth.schemas import GrantFields

# client_secret_basic, as the API document names it; client_secret_post needs no scheme.
CLIENT_SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "ClientBasic": {
        "type": "http",
        "scheme": "basic",
        "description": (
            "client_secret_basic: the form-encoded client_id and client_secret as user and "
            "password. Or send both in the form instead (client_secret_post), never both ways."
        ),
    }
}


class StandardClientIn(BaseModel):
    client_id: str | None = Field(
        default=None,
        examples=["acme-sync"],
        description="client_secret_post; with HTTP Basic it may name the same client again",
    )
    client_secret: str | None = Field(
        default=None,
        examples=["cs_wdOVsCEF9tIotv6f3MBNtzQKLHwSGNacfWWkqct3QNw"],
        description="client_secret_post only",
    )


class StandardTokenRequest(GrantFields, StandardClientIn):
    scope: str | None = Field(
        default=None,
        examples=["read_reviews write_reviews"],
        description="space-delimited; narrows the scope (refresh, client_credentials)",
    )


class StandardTokenHandle(StandardClientIn):
    token: str = Field(description="an access or refresh token")
    token_type_hint: str | None = Field(
        default=None,
        examples=["refresh_token"],
        description="access_token or refresh_token; revocation refuses any other value",
    )


class StandardTokenOut(BaseModel):
    """RFC 6749 §5.1, with this server's extension fields."""

    access_token: str = Field(examples=["at_yi2VutrMX4E11G5EyrhA731v7nH0v-sfsfbNMN9waew"])
    token_type: str = Field(examples=["Bearer"])
    expires_in: int = Field(examples=[7200])
    refresh_token: str | None = Field(
        default=None,
        examples=["rt_3S26xtkkse5y4IExOltdHINK7J-OLllpsMmMBWqRHzo"],
        description="absent for client_credentials",
    )
    refresh_token_expires_in: int | None = Field(
        default=None, examples=[7776000], description="absent for client_credentials"
    )
    scope: str = Field(examples=["read_reviews write_reviews"], description="space-delimited")
    shop_id: str = Field(examples=["61234567890"])
    myshopify_domain: str = Field(examples=["example-shop.myshopify.com"])


class StandardErrorOut(BaseModel):
    """RFC 6749 §5.2."""

    error: str = Field(examples=["invalid_grant"])
    error_description: str = Field(examples=["refresh token has expired or was revoked"])
