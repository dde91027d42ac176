"""Client authentication of the OAuth client endpoints, and its rate limits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import Unauthenticated
from shopreviews.oauth.schemas import ClientCredentials
from shopreviews.platforms import service as platforms
from shopreviews.platforms.service import Platform

MAX_CLIENT_ID = 64  # platforms.CLIENT_ID


async def authenticate_client(
    ctx: AppContext, session: AsyncSession, credentials: ClientCredentials, *, ip: str
) -> Platform:
    """Client credentials in the body or query: code 16 for a missing or unknown client_id or a
    wrong secret, whatever their length (an operator-supplied secret has no maximum length).

    Failures are counted per client_id and client address (unknown client_ids only per
    address, so made-up ones create no keys of their own) and refused there before the secret
    is compared; only authenticated calls count toward the client_id's own limit, so wrong
    secrets sent by someone else never lock the real client out (docs/operations.md)."""
    client_id = credentials.client_id.get()
    if client_id is not None and len(client_id) > MAX_CLIENT_ID:
        client_id = None  # longer than any registered client_id: unknown
    limiter = ctx.limiter
    # A space never appears in a client address, so the pair key is unambiguous.
    failure_keys = [(limiter.client_failures_per_address, f"client-fail-ip:{ip}")]
    if client_id is not None:
        failure_keys.insert(0, (limiter.client_failures, f"client-fail:{ip} {client_id}"))
    for item, key in failure_keys:
        await limiter.check(item, key)
    try:
        platform = await platforms.authenticate(
            ctx, session, client_id, credentials.client_secret.get()
        )
    except Unauthenticated:
        if client_id is not None and await platforms.find(session, client_id) is None:
            failure_keys.pop(0)  # unknown: counted per address alone
        for item, key in failure_keys:
            await limiter.hit(item, key)
        raise
    await limiter.hit(limiter.per_client, f"client:{platform.client_id}")
    return platform
