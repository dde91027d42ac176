"""The back office's integrations pages (docs/back-office.md, "Webhooks and platforms"): the
shop's webhook subscriptions with their delivery log, and the connected platforms. The owner's
pages only; the paths are under /backoffice, where backoffice/router.py includes them."""

from __future__ import annotations

from collections.abc import Awaitable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from shopreviews.backoffice.access import CheckedForm, OwnerOnly, Visitor
from shopreviews.backoffice.integrations import service as integrations
from shopreviews.backoffice.integrations.service import FormProblem
from shopreviews.backoffice.web import PREFIX, PageRefused, PageRoute, redirect, render
from shopreviews.kit.dependencies import Ctx, ReadSession, WriteSession

router = APIRouter(include_in_schema=False, route_class=PageRoute)
WEBHOOKS = f"{PREFIX}/webhooks"
PLATFORMS = f"{PREFIX}/platforms"
MAX_ID = 2**63 - 1
MAX_PAGE = 10**6
# What a redirect after a form says on the next page, by a fixed key (never text from the URL).
NOTICES = {
    "tested": "A test event was queued. It shows in the log below, and is sent within moments.",
    "redelivered": "The event was queued again. It shows at the top of the log below.",
    "enabled": "The webhook is enabled again.",
    "deleted": "The webhook was deleted. Nothing more is sent to its URL.",
    "disconnected": "The platform was disconnected. Its access tokens no longer work.",
}


def _notice(done: str | None) -> str:
    return NOTICES.get(done or "", "")


def _webhook_id(value: str) -> int:
    """An id from the path: a whole number in the database's range, else the 404 page (the
    same as another shop's id)."""
    if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise PageRefused(integrations.NO_WEBHOOK, 404)
    return int(value)


def _page(value: str | None) -> int:
    if value is None or value == "":
        return 1
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise PageRefused(f"The page must be a whole number from 1 to {MAX_PAGE}.", 400)
    return int(value)


def _text(form: FormData, name: str, limit: int = 4096) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


# --- webhooks --------------------------------------------------------------------------------


async def _webhooks_page(
    request: Request,
    session: AsyncSession,
    visitor: Visitor,
    *,
    status: int = 200,
    message: str = "",
    notice: str = "",
    topic: str = "",
    url: str = "",
) -> Response:
    return render(
        request,
        "integrations/webhooks.html",
        status,
        visitor=visitor,
        overview=await integrations.overview(session, visitor),
        topics=integrations.topics(),
        message=message,
        notice=notice,
        topic=topic,
        url=url,
    )


@router.get("/backoffice/webhooks")
async def webhooks(
    request: Request, session: ReadSession, visitor: OwnerOnly, done: str | None = None
) -> Response:
    return await _webhooks_page(request, session, visitor, notice=_notice(done))


@router.post("/backoffice/webhooks")
async def create_webhook(
    request: Request, ctx: Ctx, session: WriteSession, visitor: OwnerOnly, form: CheckedForm
) -> Response:
    topic, url = _text(form, "topic"), _text(form, "url")
    try:
        created = await integrations.create(ctx, session, visitor, topic=topic, url=url)
    except FormProblem as problem:
        return await _webhooks_page(
            request, session, visitor, status=400, message=problem.message, topic=topic, url=url
        )
    # Answered with a page, not a redirect: the signing secret is shown this once only.
    return render(request, "integrations/webhook_created.html", visitor=visitor, webhook=created)


async def _webhook_page(
    request: Request,
    session: AsyncSession,
    visitor: Visitor,
    webhook_id: int,
    *,
    page: int = 1,
    status: int = 200,
    message: str = "",
    notice: str = "",
) -> Response:
    webhook = await integrations.webhook(session, visitor, webhook_id)
    pages, deliveries = await integrations.deliveries(session, visitor, webhook_id, page)
    return render(
        request,
        "integrations/webhook.html",
        status,
        visitor=visitor,
        webhook=webhook,
        pages=pages,
        deliveries=deliveries,
        message=message,
        notice=notice,
    )


@router.get("/backoffice/webhooks/{webhook_id}")
async def webhook_page(
    request: Request,
    session: ReadSession,
    visitor: OwnerOnly,
    webhook_id: str,
    page: str | None = None,
    done: str | None = None,
) -> Response:
    return await _webhook_page(
        request, session, visitor, _webhook_id(webhook_id), page=_page(page), notice=_notice(done)
    )


async def _act_on_webhook(
    request: Request,
    session: AsyncSession,
    visitor: Visitor,
    number: int,
    action: Awaitable[object],
    done: str,
) -> Response:
    """Run one of a subscription's tools; back to its page, with the notice or the problem."""
    try:
        await action
    except FormProblem as problem:
        return await _webhook_page(
            request, session, visitor, number, status=400, message=problem.message
        )
    return redirect(request, f"{WEBHOOKS}/{number}?done={done}")


@router.post("/backoffice/webhooks/{webhook_id}/test")
async def send_test(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    visitor: OwnerOnly,
    _form: CheckedForm,
    webhook_id: str,
) -> Response:
    number = _webhook_id(webhook_id)
    action = integrations.send_test(ctx, session, visitor, number)
    return await _act_on_webhook(request, session, visitor, number, action, "tested")


@router.post("/backoffice/webhooks/{webhook_id}/redeliver")
async def redeliver(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    visitor: OwnerOnly,
    form: CheckedForm,
    webhook_id: str,
) -> Response:
    number = _webhook_id(webhook_id)
    event_id = _text(form, "event_id", 64)
    action = integrations.redeliver(ctx, session, visitor, number, event_id)
    return await _act_on_webhook(request, session, visitor, number, action, "redelivered")


@router.post("/backoffice/webhooks/{webhook_id}/enable")
async def enable(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    visitor: OwnerOnly,
    _form: CheckedForm,
    webhook_id: str,
) -> Response:
    number = _webhook_id(webhook_id)
    action = integrations.enable(ctx, session, visitor, number)
    return await _act_on_webhook(request, session, visitor, number, action, "enabled")


@router.get("/backoffice/webhooks/{webhook_id}/delete")
async def confirm_delete(
    request: Request, session: ReadSession, visitor: OwnerOnly, webhook_id: str
) -> Response:
    webhook = await integrations.webhook(session, visitor, _webhook_id(webhook_id))
    return render(request, "integrations/webhook_delete.html", visitor=visitor, webhook=webhook)


@router.post("/backoffice/webhooks/{webhook_id}/delete")
async def delete(
    request: Request, session: WriteSession, visitor: OwnerOnly, _form: CheckedForm, webhook_id: str
) -> Response:
    await integrations.delete(session, visitor, _webhook_id(webhook_id))
    return redirect(request, f"{WEBHOOKS}?done=deleted")


# --- connected platforms ---------------------------------------------------------------------


@router.get("/backoffice/platforms")
async def platforms(
    request: Request, session: ReadSession, visitor: OwnerOnly, done: str | None = None
) -> Response:
    return render(
        request,
        "integrations/platforms.html",
        visitor=visitor,
        platforms=await integrations.platforms(session, visitor),
        notice=_notice(done),
    )


@router.get("/backoffice/platforms/{client_id}/disconnect")
async def confirm_disconnect(
    request: Request, session: ReadSession, visitor: OwnerOnly, client_id: str
) -> Response:
    platform = await integrations.platform(session, visitor, client_id)
    return render(
        request, "integrations/platform_disconnect.html", visitor=visitor, platform=platform
    )


@router.post("/backoffice/platforms/{client_id}/disconnect")
async def disconnect(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    visitor: OwnerOnly,
    _form: CheckedForm,
    client_id: str,
) -> Response:
    await integrations.disconnect(ctx, session, visitor, client_id)
    return redirect(request, f"{PLATFORMS}?done=disconnected")
