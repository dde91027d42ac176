"""The shop owner's settings page (/backoffice/settings): web reviews, review requests with
their preview, storefront origins and the Shopify app secret, each its own form; the paths are
under /backoffice, where backoffice/router.py includes them. docs/back-office.md "Settings"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from shopreviews.backoffice.access import CheckedForm, OwnerOnly, Visitor
from shopreviews.backoffice.settings import preview as email_preview
from shopreviews.backoffice.settings import service
from shopreviews.backoffice.settings.service import FormProblem
from shopreviews.backoffice.web import PageRefused, PageRoute, redirect, render
from shopreviews.kit.dependencies import Ctx, ReadSession, WriteSession

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE = "/backoffice/settings"
SAVED = {
    "web-reviews": "The web review settings are saved.",
    "review-requests": "The review request settings are saved.",
    "origins": "The storefront origins are saved.",
    "secret-set": "The Shopify app secret is saved.",
    "secret-removed": "The Shopify app secret is removed: order webhooks are refused until "
    "a new one is set.",
}
# Which form each field belongs to: a problem is shown in its form, next to the field.
FORM_OF = {
    service.WEB_REVIEWS: "web-reviews",
    service.AUTO_PUBLISH: "web-reviews",
    service.AUTHOR_DISPLAY: "web-reviews",
    service.DISCLOSURE: "web-reviews",
    service.DELAY: "review-requests",
    service.SUBJECT: "review-requests",
    service.TEXT: "review-requests",
    service.ORIGINS: "origins",
    service.SECRET: "secret",
}


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def fields(form: FormData) -> dict[str, str]:
    """The form's text fields (a file where text belongs reads as empty)."""
    return {name: value for name, value in form.items() if isinstance(value, str)}


def _values(current: service.ShopSettingsOut) -> dict[str, Any]:
    """The form fields as the saved settings fill them."""
    values: dict[str, Any] = current.model_dump()
    values[service.AUTO_PUBLISH] = str(current.auto_publish_min_rating)
    values[service.DELAY] = str(current.review_request_delay_days)
    values[service.ORIGINS] = "\n".join(current.storefront_origins)
    return values


async def _page(
    request: Request,
    session: Any,
    visitor: Visitor,
    *,
    problem: FormProblem | None = None,
    posted: dict[str, str] | None = None,
    saved: str = "",
) -> Response:
    current = await service.settings(session, visitor.caller)
    values = _values(current)
    values.update(posted or {})
    return render(
        request,
        "settings/settings.html",
        400 if problem else 200,
        visitor=visitor,
        values=values,
        secret_set=current.shopify_app_secret_set,
        errors={problem.field: problem.message} if problem else {},
        failed_form=FORM_OF.get(problem.field, "") if problem else "",
        saved=SAVED.get(saved, ""),
        limits=service,
    )


@router.get("/backoffice/settings")
async def settings_page(
    request: Request, visitor: OwnerOnly, session: ReadSession, saved: str = ""
) -> Response:
    return await _page(request, session, visitor, saved=saved)


@router.post("/backoffice/settings/web-reviews")
async def save_web_reviews(
    request: Request, ctx: Ctx, visitor: OwnerOnly, session: WriteSession, form: CheckedForm
) -> Response:
    posted = fields(form)
    try:
        await service.save_web_reviews(ctx, session, visitor.caller, posted, _ip(request))
    except FormProblem as problem:
        return await _page(request, session, visitor, problem=problem, posted=posted)
    return redirect(request, f"{PAGE}?saved=web-reviews#web-reviews")


@router.post("/backoffice/settings/review-requests")
async def save_review_requests(
    request: Request, ctx: Ctx, visitor: OwnerOnly, session: WriteSession, form: CheckedForm
) -> Response:
    posted = fields(form)
    try:
        await service.save_review_requests(ctx, session, visitor.caller, posted, _ip(request))
    except FormProblem as problem:
        return await _page(request, session, visitor, problem=problem, posted=posted)
    return redirect(request, f"{PAGE}?saved=review-requests#review-requests")


@router.post("/backoffice/settings/origins")
async def save_origins(
    request: Request, ctx: Ctx, visitor: OwnerOnly, session: WriteSession, form: CheckedForm
) -> Response:
    posted = {service.ORIGINS: fields(form).get(service.ORIGINS, "")}
    try:
        await service.save_origins(
            ctx, session, visitor.caller, posted[service.ORIGINS], _ip(request)
        )
    except FormProblem as problem:
        return await _page(request, session, visitor, problem=problem, posted=posted)
    return redirect(request, f"{PAGE}?saved=origins#origins")


@router.post("/backoffice/settings/shopify-secret")
async def set_secret(
    request: Request, ctx: Ctx, visitor: OwnerOnly, session: WriteSession, form: CheckedForm
) -> Response:
    secret = fields(form).get(service.SECRET, "")
    try:
        await service.set_secret(ctx, session, visitor.caller, secret, _ip(request))
    except FormProblem as problem:
        # The typed secret is never sent back, not even when it is refused.
        return await _page(request, session, visitor, problem=problem)
    return redirect(request, f"{PAGE}?saved=secret-set#secret")


CONFIRM_REMOVAL = "Tick the box to confirm: order webhooks are refused without a secret."


@router.post("/backoffice/settings/shopify-secret/remove")
async def remove_secret(
    request: Request, ctx: Ctx, visitor: OwnerOnly, session: WriteSession, form: CheckedForm
) -> Response:
    # The box is the confirmation without JavaScript (the browser requires it; a post
    # without it, from an older page or a script, removes nothing).
    if form.get("confirm") != "yes":
        problem = FormProblem("confirm", CONFIRM_REMOVAL)
        return await _page(request, session, visitor, problem=problem)
    await service.remove_secret(ctx, session, visitor.caller, _ip(request))
    return redirect(request, f"{PAGE}?saved=secret-removed#secret")


# --- the review request's preview (decision 180) --------------------------------------------


def _preview_page(
    request: Request,
    visitor: Visitor,
    shown: service.RequestPreview,
    *,
    frame_query: dict[str, str] | None,
    draft: dict[str, str] | None = None,
) -> Response:
    return email_preview.allow_own_frames(
        render(
            request,
            "settings/preview.html",
            visitor=visitor,
            preview=shown,
            frame_query=frame_query,
            draft=draft,
        )
    )


@router.get("/backoffice/settings/review-requests/preview")
async def saved_preview(
    request: Request, ctx: Ctx, visitor: OwnerOnly, session: ReadSession
) -> Response:
    current = await service.settings(session, visitor.caller)
    shown = await service.preview(
        ctx,
        session,
        visitor.caller,
        subject=current.review_request_subject,
        text=current.review_request_text,
    )
    return _preview_page(request, visitor, shown, frame_query={})


@router.post("/backoffice/settings/review-requests/preview")
async def draft_preview(
    request: Request, ctx: Ctx, visitor: OwnerOnly, session: ReadSession, form: CheckedForm
) -> Response:
    posted = fields(form)
    try:
        delay, subject, text = service.check_wording(posted)
    except FormProblem as problem:
        return await _page(request, session, visitor, problem=problem, posted=posted)
    shown = await service.preview(ctx, session, visitor.caller, subject=subject, text=text)
    session_id = visitor.caller.session_id or ""
    draft = {service.DELAY: str(delay), service.SUBJECT: subject, service.TEXT: text}
    frame_query = email_preview.seal_draft(ctx, session_id, subject, text)
    return _preview_page(request, visitor, shown, frame_query=frame_query, draft=draft)


@router.get("/backoffice/settings/review-requests/email")
async def preview_email(
    ctx: Ctx,
    visitor: OwnerOnly,
    session: ReadSession,
    draft: str = "",
    sig: str = "",
) -> Response:
    """The HTML part alone, for the preview page's frame: the saved wording, or a draft."""
    if draft or sig:
        opened = email_preview.open_draft(ctx, visitor.caller.session_id or "", draft, sig)
        if opened is None:
            raise PageRefused("This preview has expired. Preview the wording again.", 400)
        subject, text = opened
    else:
        current = await service.settings(session, visitor.caller)
        subject, text = current.review_request_subject, current.review_request_text
    shown = await service.preview(ctx, session, visitor.caller, subject=subject, text=text)
    return email_preview.email_answer(shown.html)
