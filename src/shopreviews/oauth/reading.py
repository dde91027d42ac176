"""Reading OAuth requests at the edge, for the API routes (oauth/router.py) and the consent pages
(oauth/pages/router.py): JSON or form fields, and queries, into their typed shapes."""

from __future__ import annotations

from shopreviews.kit.checked import Checked
from shopreviews.kit.forms import Fields
from shopreviews.kit.params import QueryParams
from shopreviews.oauth.authorize import AuthorizeParams
from shopreviews.oauth.schemas import (
    ClientCredentials,
    ClientShopRequest,
    PresentedToken,
    ShopRef,
    TokenExchange,
)

# Longest accepted values; client credentials are bounded by the body limit alone (an
# operator-supplied secret has no maximum length).
MAX_GRANT_TYPE = 64
MAX_CREDENTIAL = 256  # codes, verifiers, tokens
MAX_DOMAIN = 255
MAX_SCOPE = 1024
# Consent forms are read without the API's per-field limit: the body limit still applies, and
# each check applies its own rule (state ≤ 512, redirect_uri must match exactly, ...).
MAX_FORM_FIELD = 1 << 20


def authorize_params(query: QueryParams) -> AuthorizeParams:
    """The authorize parameters of a query; `state` exactly as sent (it is echoed unchanged)."""
    return AuthorizeParams(
        response_type=query.scalar("response_type"),
        client_id=query.scalar("client_id"),
        redirect_uri=query.scalar("redirect_uri"),
        scope=query.scalar("scope"),
        state=query.verbatim("state"),
        code_challenge=query.scalar("code_challenge"),
        code_challenge_method=query.scalar("code_challenge_method"),
    )


def authorize_form(form: Fields) -> AuthorizeParams:
    """The authorize parameters of a posted consent form (its hidden fields); InvalidArgument
    when one of them is not text."""

    def text(name: str) -> str | None:
        return form.text(name, max_length=MAX_FORM_FIELD)

    text("state")  # text like the others, though kept exactly as sent
    return AuthorizeParams(
        response_type=text("response_type"),
        client_id=text("client_id"),
        redirect_uri=text("redirect_uri"),
        scope=text("scope"),
        state=form.verbatim("state"),
        code_challenge=text("code_challenge"),
        code_challenge_method=text("code_challenge_method"),
    )


def query_fields(query: QueryParams) -> Fields:
    """The client endpoints' parameters of a query (GET), read as their body fields are."""
    names = ("client_id", "client_secret", "shop_id", "myshopify_domain")
    return Fields({name: query.scalar(name) for name in names})


def _text(fields: Fields, name: str, max_length: int) -> Checked[str]:
    return Checked.read(lambda: fields.text(name, max_length=max_length))


def client_credentials(fields: Fields, *, body_limit: int) -> ClientCredentials:
    return ClientCredentials(
        client_id=_text(fields, "client_id", body_limit),
        client_secret=_text(fields, "client_secret", body_limit),
    )


def shop_ref(fields: Fields) -> ShopRef:
    return ShopRef(
        shop_id=Checked.read(lambda: fields.shop_ref("shop_id")),
        myshopify_domain=_text(fields, "myshopify_domain", MAX_DOMAIN),
    )


def token_exchange(fields: Fields, *, body_limit: int) -> TokenExchange:
    return TokenExchange(
        client=client_credentials(fields, body_limit=body_limit),
        grant_type=_text(fields, "grant_type", MAX_GRANT_TYPE),
        code=_text(fields, "code", MAX_CREDENTIAL),
        redirect_uri=Checked.read(lambda: fields.text("redirect_uri")),
        code_verifier=_text(fields, "code_verifier", MAX_CREDENTIAL),
        refresh_token=_text(fields, "refresh_token", MAX_CREDENTIAL),
        shop=shop_ref(fields),
        scope=_text(fields, "scope", MAX_SCOPE),
    )


def presented_token(fields: Fields, *, body_limit: int) -> PresentedToken:
    return PresentedToken(
        client=client_credentials(fields, body_limit=body_limit),
        token=_text(fields, "token", MAX_CREDENTIAL),
    )


def client_shop_request(fields: Fields, *, body_limit: int) -> ClientShopRequest:
    return ClientShopRequest(
        client=client_credentials(fields, body_limit=body_limit), shop=shop_ref(fields)
    )
