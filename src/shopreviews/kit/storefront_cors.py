"""The storefront's CORS rule for requests that write (docs/intake.md §4, docs/storefront.md):
a shop's pages may call from the origins the shop allows (its `storefront_origins` and
https://<myshopify_domain>); any other `Origin` is refused with code 7. Shared by the storefront
events endpoint and the web review endpoints."""

from __future__ import annotations

from collections.abc import Iterable

from shopreviews.kit.envelope import PermissionDenied


def origin_key(origin: str) -> str:
    """An origin in comparable form: lower-case, no trailing slash, no default port."""
    key = origin.strip().lower().rstrip("/")
    for scheme, port in (("https://", ":443"), ("http://", ":80")):
        if key.startswith(scheme) and key.endswith(port):
            key = key.removesuffix(port)
    return key


def allowed(allowed_origins: Iterable[str], origin: str) -> bool:
    """Whether `origin` is one of `allowed_origins`, however a browser or the merchant spelled
    either."""
    return origin_key(origin) in {origin_key(o) for o in allowed_origins}


def cors_headers(allowed_origins: Iterable[str], origin: str, refusal: str) -> dict[str, str]:
    """Headers of answers to a request with this `Origin` ("" when none was sent); a
    disallowed origin is code 7 with `refusal` (no headers: the browser then hides the
    answer)."""
    if not origin:
        return {}  # a server-side caller: no CORS involved
    if not allowed(allowed_origins, origin):
        raise PermissionDenied(refusal)
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight_headers(
    allowed_origins: Iterable[str], origin: str, methods: str = "POST"
) -> dict[str, str]:
    """Headers of the OPTIONS answer: the CORS grant for an allowed origin, else none."""
    if not origin or not allowed(allowed_origins, origin):
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }
