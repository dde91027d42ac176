"""What the settings and token pages ask of the other domains: the shop's settings through the
merchant settings service (the same checks and audit entries as POST /api/v1/merchant/settings),
the review request's preview, and the private token behind the owner's password."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.emails import service as email_service
from shopreviews.emails.service import RequestPreview as RequestPreview
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import NotFound
from shopreviews.merchants import service as merchant_service
from shopreviews.shops import service as shop_service
from shopreviews.shops.service import ShopSettingsOut as ShopSettingsOut

WEB_REVIEWS = shop_service.WEB_REVIEWS_FIELD
AUTO_PUBLISH = shop_service.AUTO_PUBLISH_FIELD
AUTHOR_DISPLAY = shop_service.AUTHOR_DISPLAY_FIELD
DISCLOSURE = shop_service.DISCLOSURE_FIELD
DELAY = shop_service.DELAY_FIELD
SUBJECT = shop_service.SUBJECT_FIELD
TEXT = shop_service.TEXT_FIELD
ORIGINS = shop_service.ORIGINS_FIELD
SECRET = shop_service.SECRET_FIELD
PLACEHOLDERS = shop_service.PLACEHOLDERS
MAX_SUBJECT = shop_service.MAX_SUBJECT
MAX_TEXT = shop_service.MAX_TEXT
MAX_DISCLOSURE = shop_service.MAX_DISCLOSURE
MAX_DELAY_DAYS = shop_service.MAX_DELAY_DAYS
MAX_ORIGINS = shop_service.MAX_ORIGINS
# What a field is called when its rule is written in front of it ("The delay must be ...").
_NAMES = {
    WEB_REVIEWS: "Who may write reviews",
    AUTO_PUBLISH: "The rating",
    AUTHOR_DISPLAY: "The author display",
    DISCLOSURE: "The notice",
    DELAY: "The delay",
    SUBJECT: "The subject",
    TEXT: "The text",
    ORIGINS: "The list",
    SECRET: "The secret",
}
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")


class FormProblem(Exception):
    """A value the form must correct: the field it belongs to and the sentence to show."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _sentence(problem: shop_service.InvalidSetting) -> FormProblem:
    text = problem.problem
    if text.startswith(("must", "at most", "each")):
        text = f"{_NAMES.get(problem.field, 'The value')} {text}"
    return FormProblem(problem.field, text[0].upper() + text[1:] + ".")


def _number(field: str, value: str, rule: str) -> int:
    """A whole number typed in a form; FormProblem for anything else."""
    if not _WHOLE_NUMBER.fullmatch(value.strip()):
        raise FormProblem(field, f"{_NAMES[field]} must be a whole number {rule}.")
    return int(value)


async def settings(session: AsyncSession, caller: Caller) -> ShopSettingsOut:
    return await merchant_service.get_settings(session, caller)


async def _update(
    ctx: AppContext,
    session: AsyncSession,
    caller: Caller,
    ip: str,
    *,
    delay_days: int | None = None,
    origins: list[str] | None = None,
    secret: str | None = None,
    storefront: shop_service.StorefrontSettings = shop_service.StorefrontSettings(),
    wording: shop_service.RequestWording = shop_service.RequestWording(),
) -> None:
    try:
        await merchant_service.update_settings(
            ctx,
            session,
            caller,
            delay_days=delay_days,
            origins=origins,
            shopify_app_secret=secret,
            storefront=storefront,
            wording=wording,
            ip=ip,
        )
    except shop_service.InvalidSetting as exc:
        raise _sentence(exc) from None


async def save_web_reviews(
    ctx: AppContext, session: AsyncSession, caller: Caller, form: Mapping[str, str], ip: str
) -> None:
    rating = _number(AUTO_PUBLISH, form.get(AUTO_PUBLISH, ""), "from 0 to 5")
    storefront = shop_service.StorefrontSettings(
        web_reviews=form.get(WEB_REVIEWS, ""),
        auto_publish_min_rating=rating,
        author_display=form.get(AUTHOR_DISPLAY, ""),
        reviews_disclosure=form.get(DISCLOSURE, ""),
    )
    await _update(ctx, session, caller, ip, storefront=storefront)


def check_wording(form: Mapping[str, str]) -> tuple[int, str, str]:
    """The delay, subject and text of the review request form, each checked."""
    delay = _number(DELAY, form.get(DELAY, ""), f"of days from 0 to {MAX_DELAY_DAYS}")
    try:
        shop_service.check_delay_days(delay)
        subject = shop_service.check_request_subject(form.get(SUBJECT, ""))
        text = shop_service.check_request_text(form.get(TEXT, ""))
    except shop_service.InvalidSetting as exc:
        raise _sentence(exc) from None
    return delay, subject, text


async def save_review_requests(
    ctx: AppContext, session: AsyncSession, caller: Caller, form: Mapping[str, str], ip: str
) -> None:
    delay, subject, text = check_wording(form)
    wording = shop_service.RequestWording(subject=subject, text=text)
    await _update(ctx, session, caller, ip, delay_days=delay, wording=wording)


async def save_origins(
    ctx: AppContext, session: AsyncSession, caller: Caller, lines: str, ip: str
) -> None:
    """One origin per line; blank lines are ignored and an empty list clears it."""
    origins = [line.strip() for line in lines.splitlines() if line.strip()]
    await _update(ctx, session, caller, ip, origins=origins)


async def set_secret(
    ctx: AppContext, session: AsyncSession, caller: Caller, secret: str, ip: str
) -> None:
    if not secret:
        raise FormProblem(SECRET, "Enter the new secret (to remove it, use “Remove the secret”).")
    await _update(ctx, session, caller, ip, secret=secret)


async def remove_secret(ctx: AppContext, session: AsyncSession, caller: Caller, ip: str) -> None:
    await _update(ctx, session, caller, ip, secret="")


async def preview(
    ctx: AppContext, session: AsyncSession, caller: Caller, *, subject: str, text: str
) -> RequestPreview:
    """The review request of the caller's shop in this wording (already checked)."""
    shop = await shop_service.find(session, caller.shop_id)
    if shop is None:
        raise NotFound("shop not found", prefixed=False)
    return email_service.preview_review_request(ctx, shop, subject=subject, text=text)


# --- tokens -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tokens:
    public_token: str
    private_token: str | None = None  # only right after the owner's password


async def public_token(session: AsyncSession, caller: Caller) -> Tokens:
    return Tokens((await merchant_service.information(session, caller)).public_token)


async def reveal_private_token(
    ctx: AppContext, session: AsyncSession, caller: Caller, password: str, ip: str
) -> Tokens:
    """The private token once the password is right (audit entry read_private_token); code 16
    when wrong, code 8 over the sign-in limits."""
    await merchant_service.confirm_password(ctx, session, caller, password, ip)
    shown = await merchant_service.reveal_private_token(ctx, session, caller, ip=ip)
    return Tokens((await public_token(session, caller)).public_token, shown.private_token)


async def rotate_private_token(
    ctx: AppContext, session: AsyncSession, caller: Caller, password: str, ip: str
) -> Tokens:
    """A new private token once the password is right; the old one fails from the commit on."""
    await merchant_service.confirm_password(ctx, session, caller, password, ip)
    shown = await merchant_service.reset_private_token(ctx, session, caller, ip=ip)
    return Tokens((await public_token(session, caller)).public_token, shown.private_token)
