"""Shops, the tenancy core: shop records, their API tokens, intake settings and event counter.

Every other domain asks here for a shop; shops depends on nothing but kit. A change other
domains react to is announced as a signal (kit/signals.py), e.g. `ReviewDelayChanged`."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit import signals
from shopreviews.kit.context import AppContext
from shopreviews.kit.crypto import new_shop_token
from shopreviews.kit.envelope import AlreadyExists, InvalidArgument, NotFound
from shopreviews.kit.models import utcnow
from shopreviews.kit.params import SHOP_ID
from shopreviews.kit.schemas import unstorable_text
from shopreviews.shops import repository
from shopreviews.shops.models import Shop as Shop
from shopreviews.shops.repository import ShopKey as ShopKey
from shopreviews.shops.repository import ShopRepository
from shopreviews.shops.schemas import ShopSettingsOut as ShopSettingsOut

_DOMAIN = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)


@dataclass(frozen=True)
class ReviewDelayChanged(signals.Signal):
    """A shop's review-request delay changed (sent in the transaction that changed it)."""

    shop_id: str
    now: datetime


@dataclass(frozen=True)
class ShopDisabled(signals.Signal):
    """The operator disabled a shop (sent in the transaction that disabled it): what the
    domains above hold for it, such as merchant sessions, ends."""

    shop_id: str
    now: datetime


ACTIVE = "active"
DISABLED = "disabled"


@dataclass(frozen=True)
class ShopCredentials:
    shop_id: str
    myshopify_domain: str
    name: str
    public_token: str
    private_token: str


async def create(
    ctx: AppContext, session: AsyncSession, *, shop_id: str, domain: str, name: str = ""
) -> ShopCredentials:
    shop_id = shop_id.strip()
    domain = domain.strip().lower()
    if not SHOP_ID.match(shop_id):
        raise InvalidArgument("shop_id must match ^[A-Za-z0-9_-]{1,64}$")
    if not _DOMAIN.match(domain):
        raise InvalidArgument("myshopify_domain must be a host name such as example.myshopify.com")
    repo = ShopRepository(session)
    if await repo.get(shop_id) is not None:
        raise AlreadyExists(f"shop {shop_id} already exists", prefixed=False)
    if await repo.by_domain(domain) is not None:
        raise AlreadyExists(f"a shop with domain {domain} already exists", prefixed=False)
    public_token, private_token = new_shop_token(), new_shop_token()
    await repo.add(
        Shop(
            shop_id=shop_id,
            myshopify_domain=domain,
            name=name.strip() or domain.split(".")[0],
            public_token=public_token,
            private_token_encrypted=ctx.box.seal(private_token),
        )
    )
    return ShopCredentials(
        shop_id, domain, name.strip() or domain.split(".")[0], public_token, private_token
    )


async def every_shop(session: AsyncSession) -> list[Shop]:
    """Every shop, by id (the operator's `shop list`)."""
    return await ShopRepository(session).list()


async def find(session: AsyncSession, shop_id: str) -> Shop | None:
    return await ShopRepository(session).get(shop_id)


async def by_domain(session: AsyncSession, domain: str) -> Shop | None:
    """The shop of a myshopify domain, compared without case."""
    return await ShopRepository(session).by_domain(domain)


async def page(session: AsyncSession, offset: int, limit: int) -> tuple[int, Sequence[Shop]]:
    """The total and one page of shops, oldest first."""
    return await ShopRepository(session).page(offset, limit)


async def key_by_public_token(ctx: AppContext, public_token: str) -> ShopKey | None:
    """What checking a signed request needs of its shop, read on the driver directly."""
    return await repository.key_by_public_token(ctx.db.point_reads, public_token)


async def next_event_sequence(session: AsyncSession, shop_id: str) -> tuple[int, str]:
    """The next `sequence` of the shop's events and the shop's domain (events.service); the
    shop row stays locked until commit, so sequence order is commit order within a shop."""
    return await ShopRepository(session).next_event_sequence(shop_id)


def private_token(ctx: AppContext, shop: Shop | ShopKey) -> str:
    return ctx.box.open(shop.private_token_encrypted)


async def reset_private_token(ctx: AppContext, session: AsyncSession, shop_id: str) -> str:
    """A new private token; the old one fails from the moment this commits."""
    shop = await ShopRepository(session).get(shop_id)
    if shop is None:
        raise NotFound("shop not found", prefixed=False)
    token = new_shop_token()
    shop.private_token_encrypted = ctx.box.seal(token)
    shop.updated_at = utcnow()
    await session.flush()
    return token


async def set_active(
    session: AsyncSession, shop_id: str, *, active: bool, now: datetime
) -> tuple[Shop, bool]:
    """Enable or disable a shop: the shop, and whether its status changed. A disabled shop's
    API calls are refused from the next request on (signed requests and bearer tokens code 16,
    sign-in, the storefront code 5) and `ShopDisabled` ends its merchant sessions; nothing of
    its data is touched, so enabling it again restores every credential but those sessions."""
    repo = ShopRepository(session)
    shop = await repo.get(shop_id, lock=True)
    if shop is None:
        raise NotFound(f"shop {shop_id} not found", prefixed=False)
    status = ACTIVE if active else DISABLED
    if shop.status == status:
        return shop, False
    shop.status = status
    shop.updated_at = now
    await session.flush()
    if not active:
        await signals.send(session, ShopDisabled(shop_id, now))
    return shop, True


# --- intake settings (docs/intake.md §1) ----------------------------------------------------

DELAY_FIELD = "review_request_delay_days"
ORIGINS_FIELD = "storefront_origins"
SECRET_FIELD = "shopify_app_secret"  # noqa: S105 - a field name, not a secret
MAX_DELAY_DAYS = 365
MAX_ORIGINS = 10
MAX_ORIGIN_LENGTH = 300
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
_HOST_NAME = re.compile(
    r"(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)
_PORT = re.compile(r"[0-9]{1,5}")
_SECRET = re.compile(r"[\x21-\x7e]{16,255}")  # printable ASCII, no space
_DEFAULT_PORTS = {"https": 443, "http": 80}


class InvalidSetting(InvalidArgument):
    """A setting breaks its rule: code 3, naming the setting (`field`) and why (`problem`)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def check_delay_days(value: object) -> int:
    # bool is an int in Python, but `true` is no number of days.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DELAY_DAYS:
        raise InvalidSetting(DELAY_FIELD, f"must be an integer from 0 to {MAX_DELAY_DAYS}")
    return value


def _shown(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:80] + "...")


def check_origin(value: object) -> str:
    """One origin in the form a browser sends it in `Origin`: lower-case scheme and host, no
    default port, no trailing slash."""
    if not isinstance(value, str) or not value:
        raise InvalidSetting(ORIGINS_FIELD, "each item must be a non-empty string")
    shown = _shown(value)
    if len(value) > MAX_ORIGIN_LENGTH:
        raise InvalidSetting(ORIGINS_FIELD, f"{shown} is longer than {MAX_ORIGIN_LENGTH}")
    if any(c.isspace() or not c.isprintable() for c in value):
        raise InvalidSetting(ORIGINS_FIELD, f"{shown} contains whitespace or control characters")
    scheme, sep, rest = value.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in _DEFAULT_PORTS:
        raise InvalidSetting(ORIGINS_FIELD, f"{shown} must look like https://host[:port]")
    rest = rest.removesuffix("/")
    if any(c in rest for c in "/?#"):
        raise InvalidSetting(
            ORIGINS_FIELD, f"{shown} must be an origin only: no path, query or fragment"
        )
    if "@" in rest:
        raise InvalidSetting(ORIGINS_FIELD, f"{shown} must not contain user information")
    host, port_text = _split_host_port(rest, shown)
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise InvalidSetting(
            ORIGINS_FIELD, f"{shown} must use https (http only for localhost, 127.0.0.1, [::1])"
        )
    if port_text is None:
        return f"{scheme}://{host}"
    if not _PORT.fullmatch(port_text) or not 1 <= int(port_text) <= 65535:
        raise InvalidSetting(ORIGINS_FIELD, f"{shown} has an invalid port")
    port = int(port_text)
    return f"{scheme}://{host}" if port == _DEFAULT_PORTS[scheme] else f"{scheme}://{host}:{port}"


def _split_host_port(rest: str, shown: str) -> tuple[str, str | None]:
    """The lower-cased host ([IPv6] in brackets, IDN as punycode) and the port text, if any."""
    bad_host = InvalidSetting(ORIGINS_FIELD, f"{shown} does not have a valid host")
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise bad_host
        try:
            address = ipaddress.IPv6Address(rest[1:end])
        except ValueError:
            raise bad_host from None
        host, after = f"[{address.compressed}]", rest[end + 1 :]
        if after and not after.startswith(":"):
            raise bad_host
        return host, after[1:] if after else None
    host, colon, port_text = rest.partition(":")
    host = host.lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise bad_host from None
    if not _HOST_NAME.fullmatch(host):
        raise bad_host
    return host, port_text if colon else None


def check_origins(value: object) -> list[str]:
    """The whole list, normalised, duplicates removed (first one kept)."""
    if not isinstance(value, list | tuple):
        raise InvalidSetting(ORIGINS_FIELD, "must be an array of origins")
    origins = list(dict.fromkeys(check_origin(item) for item in value))
    if len(origins) > MAX_ORIGINS:
        raise InvalidSetting(ORIGINS_FIELD, f"at most {MAX_ORIGINS} origins")
    return origins


def check_secret(value: object) -> str:
    """A Shopify app secret, or "" (remove it). The message never repeats the value."""
    if not isinstance(value, str):
        raise InvalidSetting(SECRET_FIELD, "must be a string")
    if value and not _SECRET.fullmatch(value):
        raise InvalidSetting(
            SECRET_FIELD,
            'must be 16 to 255 printable ASCII characters without spaces ("" removes it)',
        )
    return value


# --- the review request's wording (docs/intake.md §3.1) --------------------------------------

SUBJECT_FIELD = "review_request_subject"
TEXT_FIELD = "review_request_text"
MAX_SUBJECT = 200
MAX_TEXT = 5000
# What the merchant's wording may name, each replaced by the order's value when the email is
# written ("" when the order has none). Anything else in braces is refused when saved, so a
# typo never reaches a customer as "{cutsomer_name}".
PLACEHOLDERS = ("customer_name", "order_name", "shop_name")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _check_placeholders(field: str, value: str) -> None:
    for match in PLACEHOLDER.finditer(value):
        if match.group(1) not in PLACEHOLDERS:
            known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            raise InvalidSetting(field, f"unknown placeholder {match.group(0)}: use {known}")


def fill_placeholders(wording: str, values: dict[str, str]) -> str:
    """The wording with each placeholder replaced by its value (unknown ones, which the checks
    refuse on save, stay as written)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), wording)


def check_request_subject(value: object) -> str:
    """The review request's subject, one line ("" for the built-in subject)."""
    if not isinstance(value, str):
        raise InvalidSetting(SUBJECT_FIELD, 'must be a string ("" for the built-in subject)')
    value = value.strip()
    if len(value) > MAX_SUBJECT:
        raise InvalidSetting(SUBJECT_FIELD, f"must be at most {MAX_SUBJECT} characters")
    if any(not c.isprintable() for c in value):
        raise InvalidSetting(SUBJECT_FIELD, "must be one line without control characters")
    problem = unstorable_text(value, "the subject")
    if problem is not None:
        raise InvalidSetting(SUBJECT_FIELD, problem)
    _check_placeholders(SUBJECT_FIELD, value)
    return value


def check_request_text(value: object) -> str:
    """The review request's text, paragraphs separated by blank lines ("" for the built-in
    text). Line ends are stored as "\n" whatever the browser sent."""
    if not isinstance(value, str):
        raise InvalidSetting(TEXT_FIELD, 'must be a string ("" for the built-in text)')
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(value) > MAX_TEXT:
        raise InvalidSetting(TEXT_FIELD, f"must be at most {MAX_TEXT} characters")
    problem = unstorable_text(value, "the text")
    if problem is not None:
        raise InvalidSetting(TEXT_FIELD, problem)
    if any(not c.isprintable() and c not in "\n\t" for c in value):
        raise InvalidSetting(TEXT_FIELD, "must not contain control characters")
    _check_placeholders(TEXT_FIELD, value)
    return value


@dataclass(frozen=True)
class RequestWording:
    """The review request's wording to change; None keeps a value."""

    subject: object = None
    text: object = None

    def checked(self) -> dict[str, str]:
        checks = {SUBJECT_FIELD: (self.subject, check_request_subject)}
        checks[TEXT_FIELD] = (self.text, check_request_text)
        return {name: check(value) for name, (value, check) in checks.items() if value is not None}


# --- storefront settings (docs/storefront.md) -------------------------------------------------

WEB_REVIEWS_FIELD = "web_reviews"
AUTO_PUBLISH_FIELD = "auto_publish_min_rating"
AUTHOR_DISPLAY_FIELD = "author_display"
DISCLOSURE_FIELD = "reviews_disclosure"
WEB_REVIEWS = ("enabled", "verified_buyers_only", "disabled")
AUTHOR_DISPLAYS = ("first_last_initial", "full", "initials", "anonymous")
MAX_DISCLOSURE = 1000


def _choice(field: str, value: object, allowed: tuple[str, ...]) -> str:
    text = value.strip() if isinstance(value, str) else None
    if text not in allowed:
        raise InvalidSetting(field, f"must be one of {', '.join(allowed)}")
    return text


def check_web_reviews(value: object) -> str:
    return _choice(WEB_REVIEWS_FIELD, value, WEB_REVIEWS)


def check_author_display(value: object) -> str:
    return _choice(AUTHOR_DISPLAY_FIELD, value, AUTHOR_DISPLAYS)


def check_auto_publish_min_rating(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 5:
        raise InvalidSetting(
            AUTO_PUBLISH_FIELD, "must be an integer from 0 (never publish automatically) to 5"
        )
    return value


def check_reviews_disclosure(value: object) -> str:
    """The shop's own transparency notice, stored as sent ("" for the default notice)."""
    if not isinstance(value, str):
        raise InvalidSetting(DISCLOSURE_FIELD, 'must be a string ("" for the default notice)')
    if len(value) > MAX_DISCLOSURE:
        raise InvalidSetting(DISCLOSURE_FIELD, f"must be at most {MAX_DISCLOSURE} characters")
    problem = unstorable_text(value, "the text")
    if problem is not None:
        raise InvalidSetting(DISCLOSURE_FIELD, problem)
    return value


@dataclass(frozen=True)
class StorefrontSettings:
    """Storefront settings to change; None keeps a value."""

    web_reviews: object = None
    auto_publish_min_rating: object = None
    author_display: object = None
    reviews_disclosure: object = None

    def checked(self) -> dict[str, object]:
        """The given settings, each checked (code 3 naming the first bad one)."""
        checks = {
            WEB_REVIEWS_FIELD: check_web_reviews,
            AUTO_PUBLISH_FIELD: check_auto_publish_min_rating,
            AUTHOR_DISPLAY_FIELD: check_author_display,
            DISCLOSURE_FIELD: check_reviews_disclosure,
        }
        return {
            name: check(getattr(self, name))
            for name, check in checks.items()
            if getattr(self, name) is not None
        }


# The storefront names a shop by its myshopify domain, case-insensitive: an unknown or disabled
# one is code 5 on every storefront endpoint, and only a host name can name one at all.
NO_SHOP = "no active shop with this domain"
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]{1,255}$")


def _names_a_shop(domain: str) -> bool:
    return bool(_DOMAIN.match(domain))


@dataclass(frozen=True)
class PublicShop:
    """What the storefront's public answers need of a shop: who it is, its data version (the
    read cache's key and the ETag's) and its display settings."""

    shop_id: str
    myshopify_domain: str
    name: str
    data_version: int
    author_display: str
    reviews_disclosure: str
    # When a setting last changed (the Google feed's Last-Modified counts it).
    updated_at: datetime


async def public_shop(session: AsyncSession, domain: str) -> PublicShop:
    """The active shop of a myshopify domain (case-insensitive); code 5 otherwise."""
    row = await ShopRepository(session).public_by_domain(domain) if _names_a_shop(domain) else None
    if row is None or row.status != "active":
        raise NotFound(NO_SHOP)
    return PublicShop(
        shop_id=row.shop_id,
        myshopify_domain=row.myshopify_domain,
        name=row.name,
        data_version=row.data_version,
        author_display=row.author_display,
        reviews_disclosure=row.reviews_disclosure,
        updated_at=row.updated_at,
    )


def intake_settings(shop: Shop) -> ShopSettingsOut:
    """The shop's settings; the secret only as whether it is set."""
    return ShopSettingsOut(
        review_request_delay_days=shop.review_request_delay_days,
        storefront_origins=list(shop.storefront_origins or []),
        shopify_app_secret_set=shop.shopify_app_secret_encrypted is not None,
        web_reviews=shop.web_reviews,
        auto_publish_min_rating=shop.auto_publish_min_rating,
        author_display=shop.author_display,
        reviews_disclosure=shop.reviews_disclosure,
        review_request_subject=shop.review_request_subject,
        review_request_text=shop.review_request_text,
    )


async def get_intake_settings(session: AsyncSession, shop_id: str) -> ShopSettingsOut:
    shop = await ShopRepository(session).get(shop_id)
    if shop is None:
        raise NotFound(f"shop {shop_id} not found", prefixed=False)
    return intake_settings(shop)


async def update_intake_settings(
    ctx: AppContext,
    session: AsyncSession,
    shop_id: str,
    *,
    delay_days: object = None,
    origins: object = None,
    shopify_app_secret: object = None,
    storefront: StorefrontSettings = StorefrontSettings(),  # frozen: never changed
    wording: RequestWording = RequestWording(),  # frozen too
    now: datetime,
) -> ShopSettingsOut:
    """Change the settings given (None keeps a value): intake and storefront settings and the
    review request's wording. Every value is checked before any is written, so a refused call
    changes nothing. A new delay re-plans pending requests."""
    delay = None if delay_days is None else check_delay_days(delay_days)
    new_origins = None if origins is None else check_origins(origins)
    secret = None if shopify_app_secret is None else check_secret(shopify_app_secret)
    shown: dict[str, object] = {**storefront.checked(), **wording.checked()}
    shop = await ShopRepository(session).get(shop_id)
    if shop is None:
        raise NotFound(f"shop {shop_id} not found", prefixed=False)
    delay_changed = delay is not None and delay != shop.review_request_delay_days
    changed = delay_changed
    if delay is not None and delay_changed:
        shop.review_request_delay_days = delay
    if new_origins is not None and new_origins != list(shop.storefront_origins or []):
        shop.storefront_origins = new_origins  # a new list: JSON columns track assignment only
        changed = True
    if secret == "":
        changed = changed or shop.shopify_app_secret_encrypted is not None
        shop.shopify_app_secret_encrypted = None
    elif secret is not None:
        # Only the ciphertext is kept: the webhook HMAC check needs the secret back in clear.
        shop.shopify_app_secret_encrypted = ctx.box.seal(secret)
        changed = True
    for name, value in shown.items():
        if getattr(shop, name) != value:
            setattr(shop, name, value)
            changed = True
    if changed:
        shop.updated_at = now
    await session.flush()
    if delay_changed:
        await signals.send(session, ReviewDelayChanged(shop_id, now))
    return intake_settings(shop)


# --- the storefront's view of a shop (docs/storefront.md) -----------------------------------


@dataclass(frozen=True)
class StorefrontShop:
    """What the storefront endpoints need of the shop a public request names."""

    shop_id: str
    myshopify_domain: str
    name: str
    # Origins allowed to post from the shop's pages: its storefront_origins, then
    # https://<myshopify_domain>.
    allowed_origins: tuple[str, ...]
    web_reviews: str
    auto_publish_min_rating: int


async def storefront_shop(session: AsyncSession, domain: str) -> StorefrontShop:
    """The active shop of a myshopify domain (case-insensitive); code 5 otherwise."""
    found = await ShopRepository(session).by_domain(domain) if _names_a_shop(domain) else None
    if found is None or not found.is_active:
        raise NotFound(NO_SHOP)
    origins = [o for o in found.storefront_origins or [] if isinstance(o, str)]
    return StorefrontShop(
        shop_id=found.shop_id,
        myshopify_domain=found.myshopify_domain,
        name=found.name,
        allowed_origins=(*origins, "https://" + found.myshopify_domain),
        web_reviews=found.web_reviews,
        auto_publish_min_rating=found.auto_publish_min_rating,
    )
