"""Request and response shapes of the OAuth endpoints (docs/api.md, "OAuth endpoints")."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from shopreviews.kit.checked import Checked
from shopreviews.kit.schemas import In


class AuthorizeUrlOut(BaseModel):
    authorize_url: str = Field(
        examples=[
            "https://reviews.example.com/oauth/authorize?response_type=code&client_id=acme-sync"
            "&redirect_uri=https%3A%2F%2Fapp.acme.example%2Foauth%2Fcallback"
            "&scope=read_reviews%2Cwrite_reviews&state=af0ifjsldkj"
        ]
    )


class CodeOut(BaseModel):
    code: str = Field(examples=["ac_60uvUXEcaqVCQj9r0J-h6E8ZpyXG5fiA6nRjJAPjzVA"])
    redirect_url: str
    state: str = Field(examples=["af0ifjsldkj"])


class TokenOut(BaseModel):
    access_token: str = Field(examples=["at_yi2VutrMX4E11G5EyrhA731v7nH0v-sfsfbNMN9waew"])
    token_type: str = Field(examples=["Bearer"])
    expires_in: int = Field(examples=[7200])
    refresh_token: str = Field(
        examples=["rt_3S26xtkkse5y4IExOltdHINK7J-OLllpsMmMBWqRHzo"],
        description='"" for client_credentials',
    )
    refresh_token_expires_in: int = Field(examples=[7776000])
    scope: str = Field(examples=["read_reviews,write_reviews"])
    shop_id: str = Field(examples=["61234567890"])
    myshopify_domain: str = Field(examples=["example-shop.myshopify.com"])


class IntrospectionOut(BaseModel):
    """RFC 7662: `{"active": false}` alone for any token that is not current and the caller's."""

    model_config = ConfigDict(extra="allow")

    active: bool


class AuthorizationInfo(BaseModel):
    is_authorized: bool
    authorized_at: str = Field(examples=["2026-06-05T07:25:40Z"])
    granted_scopes: str = Field(examples=["read_reviews,write_reviews"])
    shop_id: str = Field(examples=["61234567890"])
    myshopify_domain: str = Field(examples=["example-shop.myshopify.com"])


class InstallStatus(BaseModel):
    is_installed: int = Field(examples=[1])
    installed_at: str = Field(examples=["2026-05-25T09:14:02Z"])
    shop_id: str = Field(examples=["61234567890"])
    myshopify_domain: str = Field(examples=["example-shop.myshopify.com"])


class AuthorizedPlatform(BaseModel):
    client_id: str = Field(examples=["acme-sync"])
    name: str = Field(examples=["Acme Sync"])
    granted_scopes: str = Field(examples=["read_reviews,write_reviews"])
    installed_at: str
    authorized_at: str


class DisconnectPlatformIn(In):
    client_id: str = Field(min_length=1, max_length=64, examples=["acme-sync"])


# Request bodies, as the API document shows them. The endpoints read their JSON or form fields
# by hand (kit/forms.py) into the requests below: a form body, repeated parameters and OAuth
# error envelopes are outside what FastAPI's body parsing does.
class ClientCredentialsIn(BaseModel):
    client_id: str = Field(examples=["acme-sync"])
    client_secret: str = Field(examples=["cs_wdOVsCEF9tIotv6f3MBNtzQKLHwSGNacfWWkqct3QNw"])


class GrantFields(BaseModel):
    """The token request's fields beside the client's credentials, alike on the enveloped and
    the standard token endpoints (oauth/standard/schemas.py)."""

    grant_type: str = Field(examples=["authorization_code"])
    code: str | None = Field(default=None, description="authorization_code: the code")
    redirect_uri: str | None = Field(
        default=None, description="authorization_code: the redirect_uri of the request"
    )
    code_verifier: str | None = Field(
        default=None, description="authorization_code: the PKCE verifier"
    )
    refresh_token: str | None = Field(default=None, description="refresh_token: the token")
    shop_id: str | None = Field(default=None, description="client_credentials: the shop")
    myshopify_domain: str | None = Field(default=None, description="client_credentials")
    scope: str | None = Field(default=None, description="narrows the scope (refresh, client)")


# The credentials' fields come first in the documented schema (the last base's come first).
class TokenRequest(GrantFields, ClientCredentialsIn):
    pass


class TokenIn(ClientCredentialsIn):
    token: str = Field(description="an access or refresh token")
    token_type_hint: str | None = Field(default=None, examples=["refresh_token"])


class ShopRefIn(ClientCredentialsIn):
    shop_id: str | None = Field(default=None, examples=["61234567890"])
    myshopify_domain: str | None = Field(default=None, examples=["example-shop.myshopify.com"])


# The requests of the client endpoints, read from the body or the query (oauth/reading.py). A
# field's refusal waits until the service reads it (kit/checked.py): the client authenticates
# first, and a field a grant type does not use is never judged.


@dataclass(frozen=True)
class ClientCredentials:
    """client_id and client_secret (client_secret_post)."""

    client_id: Checked[str]
    client_secret: Checked[str]


@dataclass(frozen=True)
class ShopRef:
    """A shop named by shop_id and/or myshopify_domain."""

    shop_id: Checked[str]
    myshopify_domain: Checked[str]


@dataclass(frozen=True)
class TokenExchange:
    """oauth/token: the grant type and the fields of each grant type."""

    client: ClientCredentials
    grant_type: Checked[str]
    code: Checked[str]
    redirect_uri: Checked[str]
    code_verifier: Checked[str]
    refresh_token: Checked[str]
    shop: ShopRef
    scope: Checked[str]


@dataclass(frozen=True)
class PresentedToken:
    """oauth_revoke_token, oauth/introspect and their standard twins: a token the client
    presents. One lookup finds a token of either kind, so `token_type_hint` is never used; it
    holds the standard revocation endpoint's refusal of a hint it does not know, raised once
    the client has authenticated (RFC 7009 §2.2.1)."""

    client: ClientCredentials
    token: Checked[str]
    token_type_hint: Checked[str] = field(default_factory=Checked)


@dataclass(frozen=True)
class ClientShopRequest:
    """oauth/cancel, get_shop_authorization_info, get_shop_install_status."""

    client: ClientCredentials
    shop: ShopRef
