"""The back office's reviews pages (docs/back-office.md, "Reviews"): the list with its tabs,
filters and keyset pages, each review's actions and the bulk actions; the paths are under
/backoffice, where backoffice/router.py includes them. Every change goes through the reviews
service's moderation, the one the JSON moderate_review uses."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shopreviews.backoffice.access import CheckedForm, SignedIn
from shopreviews.backoffice.reviews import filters
from shopreviews.backoffice.reviews import service as reviews_service
from shopreviews.backoffice.web import PageRefused, PageRoute, redirect, render
from shopreviews.kit.dependencies import Ctx, ReadSession, WriteSession
from shopreviews.kit.envelope import InvalidArgument

router = APIRouter(include_in_schema=False, route_class=PageRoute)

# The message after an action (`?done=`): fixed sentences, never text from the address.
DONE = {
    "publish": "The review is published.",
    "hide": "The review is hidden.",
    "feature": "The review is featured.",
    "unfeature": "The review is no longer featured.",
    "pin": "The review is pinned to the top.",
    "unpin": "The review is no longer pinned.",
    "tag": "The tag is saved.",
    "untag": "The tag is removed.",
    "reply": "The reply is saved.",
    "remove_reply": "The reply is removed.",
    "hide_media": "The photo is hidden.",
}
BULK_DONE = {
    "publish": "published",
    "hide": "hidden",
    "feature": "featured",
    "unfeature": "no longer featured",
    "pin": "pinned to the top",
    "unpin": "no longer pinned",
    "tag": "tagged",
}
BAD_CURSOR = "This page link is no longer valid. Start again from the first page."
NO_SELECTION = "Select at least one review, or choose “Every review on this page”."


def _done_message(request: Request) -> str:
    done = request.query_params.get("done", "")
    if done.startswith("bulk-") and done[5:] in BULK_DONE:
        count = request.query_params.get("n", "")
        n = int(count) if count.isdigit() and len(count) < 4 else 0
        noun = "review" if n == 1 else "reviews"
        return f"{n} {noun} {BULK_DONE[done[5:]]}."
    return DONE.get(done, "")


def _after_action(request: Request, back: str, anchor: str = "", **done: str) -> Response:
    separator = "&" if "?" in back else "?"
    return redirect(request, f"{back}{separator}{urlencode(done)}{anchor}")


@router.get("/backoffice/reviews")
async def review_list(request: Request, session: ReadSession, visitor: SignedIn) -> Response:
    query, problems = filters.parse(request.query_params)
    view = None
    if not problems:
        try:
            view = await reviews_service.list_view(session, visitor.caller, query)
        except InvalidArgument:  # a cursor that is not ours, or of another order
            problems = [BAD_CURSOR]
    return render(
        request,
        "reviews/list.html",
        400 if problems else 200,
        visitor=visitor,
        query=query,
        view=view,
        problems=problems,
        done=_done_message(request),
        tabs=filters.TABS,
        sorts=filters.SORTS,
        pending_cap=reviews_service.PENDING_CAP,
    )


def _review_id(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise PageRefused(reviews_service.NOT_FOUND, 404)
    return int(text)


def _text(form: CheckedForm, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post("/backoffice/reviews/bulk")
async def bulk_action(
    request: Request, ctx: Ctx, session: WriteSession, visitor: SignedIn, form: CheckedForm
) -> Response:
    back = filters.back_to(form.get("back"))
    action = _text(form, "action")
    change = reviews_service.bulk_change_for(action, _text(form, "tag"))
    field = "page_review" if form.get("scope") == "page" else "review"
    chosen = [v for v in form.getlist(field) if isinstance(v, str)]
    if not chosen:
        raise PageRefused(NO_SELECTION, 400)
    review_ids = [_review_id(value) for value in chosen]
    count = await reviews_service.change_many(ctx, session, visitor.caller, review_ids, change)
    return _after_action(request, back, done=f"bulk-{action}", n=str(count))


@router.post("/backoffice/reviews/{review_id}/moderate")
async def review_action(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    visitor: SignedIn,
    form: CheckedForm,
    review_id: str,
) -> Response:
    back = filters.back_to(form.get("back"))
    action = _text(form, "action")
    change = reviews_service.change_for(
        action, tag=_text(form, "tag"), reply=_text(form, "reply"), media=_text(form, "media")
    )
    target = _review_id(review_id)
    await reviews_service.change_one(ctx, session, visitor.caller, target, change)
    if action == "tag" and not change.tag:
        action = "untag"
    return _after_action(request, back, f"#review-{target}", done=action)
