"""Who is looking at a back-office page: the signed-in merchant of the session cookie, their
role, and the CSRF check of every form they post."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from shopreviews.auth.caller import Caller
from shopreviews.auth.dependencies import authenticate_merchant
from shopreviews.backoffice import service as backoffice_service
from shopreviews.backoffice.web import PageRefused, SignInRequired
from shopreviews.kit.crypto import same
from shopreviews.kit.dependencies import Ctx
from shopreviews.kit.envelope import ApiError
from shopreviews.kit.html_pages import SESSION_COOKIE, csrf_token

OWNER_ONLY = "Only the shop's owner can open this page; staff users moderate and reply."


@dataclass(frozen=True)
class Visitor:
    """The signed-in merchant user of a page."""

    caller: Caller
    email: str
    shop_id: str
    shop_domain: str
    shop_name: str
    csrf: str

    @property
    def is_owner(self) -> bool:
        return self.caller.is_owner

    @property
    def role(self) -> str:
        return self.caller.merchant_role or "owner"


async def signed_in(request: Request, ctx: Ctx) -> Visitor:
    """The page's merchant; SignInRequired without a live session of an active shop."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise SignInRequired
    async with ctx.db.session(write=False) as session:
        try:
            caller = await authenticate_merchant(request, session, token)
        except ApiError:
            raise SignInRequired from None
        who = await backoffice_service.who(session, caller)
    if who is None or caller.session_id is None:
        raise SignInRequired
    return Visitor(
        caller=caller,
        email=who.email,
        shop_id=caller.shop_id,
        shop_domain=who.shop_domain,
        shop_name=who.shop_name,
        csrf=csrf_token(ctx, "backoffice-session", caller.session_id),
    )


SignedIn = Annotated[Visitor, Depends(signed_in)]


async def owner(visitor: SignedIn) -> Visitor:
    """The page's merchant when they are the shop's owner; a 403 page for staff."""
    if not visitor.is_owner:
        raise PageRefused(OWNER_ONLY)
    return visitor


OwnerOnly = Annotated[Visitor, Depends(owner)]


async def checked_form(request: Request, visitor: SignedIn) -> FormData:
    """The posted form, once its CSRF token proves it came from one of our pages for this
    session (a 403 page otherwise)."""
    try:
        form = await request.form()
    except Exception:
        raise PageRefused("The form could not be read. Go back and try again.", 400) from None
    token = form.get("csrf_token")
    if not isinstance(token, str) or not same(token, visitor.csrf):
        raise PageRefused("This form has expired or did not come from this page. Reload it.")
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]
