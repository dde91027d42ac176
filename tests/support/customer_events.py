"""Storefront calls to the customer-event endpoint, as a browser or a shop's server makes them
(the customer-event tests and the webhook tests of customer_event/created)."""

from __future__ import annotations

import json
from typing import Any

import httpx

OTHER_UA = "curl/8.5.0"


def events_path(domain: str) -> str:
    return f"/api/v1/storefront/shops/{domain}/events"


async def post_events(
    client: httpx.AsyncClient,
    domain: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    origin: str | None = None,
    user_agent: str | None = None,
    content_type: str | None = "application/json",
) -> httpx.Response:
    """POST to the storefront endpoint, unsigned, as a browser or a server would."""
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"User-Agent": user_agent or OTHER_UA}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if origin is not None:
        headers["Origin"] = origin
    return await client.post(events_path(domain), content=data, headers=headers)
