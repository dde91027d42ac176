"""The shop owner's API tokens page (/backoffice/tokens): the public token, and the private
token shown or replaced only after the owner types their password again (decision 179).
Its service is the settings area's, which asks the merchants domain."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shopreviews.backoffice.access import CheckedForm, OwnerOnly, Visitor
from shopreviews.backoffice.settings import service
from shopreviews.backoffice.web import PageRoute, render
from shopreviews.kit.dependencies import Ctx, ReadSession, WriteSession
from shopreviews.kit.envelope import RateLimited, Unauthenticated

router = APIRouter(include_in_schema=False, route_class=PageRoute)
WRONG_PASSWORD = "That is not your password. Nothing was shown or changed."  # noqa: S105
UNCONFIRMED = "Tick the box to confirm that the current private token may stop working."


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _page(
    request: Request,
    visitor: Visitor,
    tokens: service.Tokens,
    *,
    errors: dict[str, str] | None = None,
    rotated: bool = False,
    status: int = 200,
) -> Response:
    return render(
        request,
        "settings/tokens.html",
        status,
        visitor=visitor,
        tokens=tokens,
        errors=errors or {},
        rotated=rotated,
    )


@router.get("/backoffice/tokens")
async def tokens_page(request: Request, visitor: OwnerOnly, session: ReadSession) -> Response:
    return _page(request, visitor, await service.public_token(session, visitor.caller))


async def _refused(
    request: Request, visitor: Visitor, session: WriteSession, field: str, exc: Exception
) -> Response:
    """The page again with the password's problem next to the field that was used."""
    tokens = await service.public_token(session, visitor.caller)
    if isinstance(exc, RateLimited):
        wait = exc.headers.get("Retry-After", "60")
        message = f"Too many wrong passwords. Try again in {wait} seconds."
        return _page(request, visitor, tokens, errors={field: message}, status=429)
    return _page(request, visitor, tokens, errors={field: WRONG_PASSWORD}, status=401)


def _password(form: CheckedForm) -> str:
    value = form.get("password")
    return value if isinstance(value, str) else ""


@router.post("/backoffice/tokens/reveal")
async def reveal(
    request: Request, ctx: Ctx, visitor: OwnerOnly, session: WriteSession, form: CheckedForm
) -> Response:
    try:
        tokens = await service.reveal_private_token(
            ctx, session, visitor.caller, _password(form), _ip(request)
        )
    except (Unauthenticated, RateLimited) as exc:
        return await _refused(request, visitor, session, "reveal-password", exc)
    return _page(request, visitor, tokens)


@router.post("/backoffice/tokens/rotate")
async def rotate(
    request: Request, ctx: Ctx, visitor: OwnerOnly, session: WriteSession, form: CheckedForm
) -> Response:
    if form.get("confirm") != "yes":
        tokens = await service.public_token(session, visitor.caller)
        return _page(request, visitor, tokens, errors={"confirm": UNCONFIRMED}, status=400)
    try:
        tokens = await service.rotate_private_token(
            ctx, session, visitor.caller, _password(form), _ip(request)
        )
    except (Unauthenticated, RateLimited) as exc:
        return await _refused(request, visitor, session, "rotate-password", exc)
    return _page(request, visitor, tokens, rotated=True)
