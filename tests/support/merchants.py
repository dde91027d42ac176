"""Merchant users as the tests make them: created through the service, signed in through the
merchant login endpoint."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from shopreviews.kit.context import AppContext
from shopreviews.merchants import service as merchant_service
from shopreviews.merchants.service import NewMerchant

PASSWORD = "correct horse battery staple"
LOGIN = "/api/v1/merchant/login"


def new_email() -> str:
    return f"owner-{uuid.uuid4().hex[:10]}@example-shop.com"


async def create_user(
    ctx: AppContext, shop_id: str, email: str, password: str = PASSWORD
) -> NewMerchant:
    async with ctx.db.session(write=True) as session:
        return await merchant_service.create_user(
            session, shop_id=shop_id, email=email, password=password
        )


async def login(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post(LOGIN, json=body)
