"""The operator command line: `shopreviews serve | worker | migrate | demo | shop | merchant |
platform | webhooks | widget | sign`."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import signal
import sys
import time
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

import typer

from shopreviews import migrate as migrations
from shopreviews import server_key
from shopreviews.kit.cli import (
    JsonOpt,
    check_key_for_scale_out,
    emit,
    fail,
    load_settings,
    with_ctx,
)
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import ApiError
from shopreviews.kit.logging import configure_logging
from shopreviews.kit.signing import sign_request
from shopreviews.oauth.cli import disconnect as platform_disconnect
from shopreviews.orders.cli import orders_app
from shopreviews.platforms.cli import platform_app
from shopreviews.reviews.cli import catalogue_app
from shopreviews.settings import Settings
from shopreviews.webhooks.cli import webhooks_app
from shopreviews.widget.cli import widget_app
from shopreviews.wiring import connect_domains

app = typer.Typer(
    help="ShopReviews: product reviews with a Trustoo-compatible partner API.",
    no_args_is_help=True,
    add_completion=False,
)
shop_app = typer.Typer(help="Manage shops (tenants).", no_args_is_help=True)
merchant_app = typer.Typer(help="Manage merchant users.", no_args_is_help=True)
app.add_typer(shop_app, name="shop")
app.add_typer(merchant_app, name="merchant")
app.add_typer(webhooks_app, name="webhooks")
platform_app.command("disconnect")(platform_disconnect)
# Commands call the services in process: the domains are connected as in the API process.
connect_domains()
app.add_typer(platform_app, name="platform")
app.add_typer(orders_app, name="orders")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(widget_app, name="widget")

T = TypeVar("T")
# The application factory `serve` runs (uvicorn imports it by name in each worker process).
APP_FACTORY = "shopreviews.main:create_app"
# `demo` serves the same app plus the demo product page (/demo/storefront).
DEMO_FACTORY = "shopreviews.main:create_demo_app"


@app.callback()
def _setup() -> None:
    # Before any command builds a context: the key-file notice (server_key) and other log lines
    # go to stderr in the configured format, never to stdout where --json output goes.
    configure_logging(load_settings())


@app.command()
def worker(
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON line when stopping")
    ] = False,
) -> None:
    """Deliver webhooks and run jobs (no API); stop with SIGTERM or Ctrl-C."""
    from shopreviews.worker import run_standalone

    settings = load_settings()
    check_key_for_scale_out(settings)
    migrations.upgrade(settings)

    async def run() -> None:
        ctx = AppContext.build(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        typer.echo("worker running; stop with Ctrl-C", err=True)
        try:
            await run_standalone(ctx, stop)
        finally:
            await ctx.db.dispose()

    asyncio.run(run())
    if as_json:
        typer.echo(json.dumps({"stopped": True}))


@app.command()
def migrate(as_json: JsonOpt = False) -> None:
    """Apply database migrations."""
    settings = load_settings()
    started = time.perf_counter()
    migrations.upgrade(settings)
    emit(
        as_json,
        {"migrated": True, "database": _safe_url(settings.database_url)},
        f"database is up to date ({_safe_url(settings.database_url)}, "
        f"{time.perf_counter() - started:.1f} s)",
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to bind")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes")] = 1,
    run_worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="deliver webhooks in this process too")
    ] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            metavar="ADDRESSES",
            help="reverse proxies (comma-separated addresses or networks) whose "
            "X-Forwarded-For and X-Forwarded-Proto are believed; default: "
            "SHOPREVIEWS_FORWARDED_ALLOW_IPS, else nobody's",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Migrate if needed and serve the API (with the job worker inside unless --no-worker)."""
    # The options override the environment's settings (and are checked with them).
    overrides: dict[str, Any] = {}
    if not run_worker:
        overrides["run_worker"] = False
    if forwarded_allow_ips is not None:
        overrides["forwarded_allow_ips"] = forwarded_allow_ips
    settings = load_settings(**overrides)
    check_key_for_scale_out(settings)
    serve_app(settings, host, port, workers, as_json=as_json)


def serve_app(
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    *,
    as_json: bool = False,
    factory: str = APP_FACTORY,
) -> None:
    """Migrate, then serve `factory(settings)` (`serve`, `demo`, and bench/serve.py with the
    benchmark routes) in `workers` processes, which all receive these settings."""
    from shopreviews.kit import serving

    migrations.upgrade(settings)
    server_key.load_or_create(settings)  # the key file once, before any worker process starts
    if not settings.public_url:
        settings = settings.model_copy(update={"public_url": settings.base_url(host, port)})
    listen = f"http://{host}:{port}"
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "listen": listen,
                    "public_url": settings.base_url(host, port),
                    "workers": workers,
                    "database": _safe_url(settings.database_url),
                }
            )
        )
        sys.stdout.flush()
    else:
        typer.echo(f"serving on {listen} (API reference: {listen}/docs)", err=True)
    serving.run(settings, factory, host=host, port=port, workers=workers)


@shop_app.command("create")
def shop_create(
    shop_id: Annotated[str, typer.Option("--shop-id", help="the store platform's shop id")],
    domain: Annotated[str, typer.Option("--domain", help="NAME.myshopify.com")],
    name: Annotated[str, typer.Option(help="display name")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Create a shop and print its API tokens."""
    from shopreviews.shops import service as shop_service

    settings = load_settings()
    migrations.upgrade(settings)

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.db.session(write=True) as session:
            creds = await shop_service.create(
                ctx, session, shop_id=shop_id, domain=domain, name=name
            )
        return {
            "shop_id": creds.shop_id,
            "myshopify_domain": creds.myshopify_domain,
            "name": creds.name,
            "public_token": creds.public_token,
            "private_token": creds.private_token,
        }

    try:
        data = with_ctx(settings, work)
    except ApiError as exc:
        fail(as_json, exc.message)
    emit(as_json, data, "\n".join(f"{k}: {v}" for k, v in data.items()))


@shop_app.command("list")
def shop_list(as_json: JsonOpt = False) -> None:
    """List shops."""
    from shopreviews.shops import service as shop_service

    settings = load_settings()
    migrations.upgrade(settings)

    async def work(ctx: AppContext) -> list[dict[str, Any]]:
        # Read inside the session: a read-only session ends with a rollback, which expires
        # every loaded object.
        async with ctx.db.session(write=False) as session:
            return [
                {
                    "shop_id": s.shop_id,
                    "myshopify_domain": s.myshopify_domain,
                    "name": s.name,
                    "public_token": s.public_token,
                    "status": s.status,
                }
                for s in await shop_service.every_shop(session)
            ]

    rows = with_ctx(settings, work)
    if as_json:
        typer.echo(json.dumps({"shops": rows}, ensure_ascii=False))
    else:
        for row in rows:
            typer.echo(
                f"{row['shop_id']}\t{row['myshopify_domain']}\t{row['status']}\t{row['name']}"
            )


_SETTING_OPTIONS = {
    "review_request_delay_days": "--review-delay-days",
    "storefront_origins": "--storefront-origin",
    "shopify_app_secret": "--shopify-app-secret-stdin",
    "web_reviews": "--web-reviews",
    "auto_publish_min_rating": "--auto-publish-min-rating",
    "author_display": "--author-display",
    "reviews_disclosure": "--reviews-disclosure",
}


def _read_secret() -> str:
    """The secret from standard input: typed without echo on a terminal, else piped in."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("Shopify app secret (empty removes it): ").strip()
    return sys.stdin.read().strip()


def _settings_text(data: dict[str, Any]) -> str:
    lines = []
    for key, value in data.items():
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, list):
            value = ", ".join(value) or "(none)"
        lines.append(f"{key}: {value}")
    return "\n".join(lines)


@shop_app.command("configure")
def shop_configure(
    shop_id: Annotated[str, typer.Option("--shop-id", help="the shop to configure")],
    secret_stdin: Annotated[
        bool,
        typer.Option(
            "--shopify-app-secret-stdin",
            help="read the Shopify app secret from standard input (empty input removes it)",
        ),
    ] = False,
    delay_days: Annotated[
        str | None,
        typer.Option(
            "--review-delay-days",
            metavar="N",
            help="days after fulfilment before the review request is sent (0-365)",
        ),
    ] = None,
    origins: Annotated[
        list[str] | None,
        typer.Option(
            "--storefront-origin",
            metavar="ORIGIN",
            help='replaces the list; once per origin, or once with "" to clear it',
        ),
    ] = None,
    web_reviews: Annotated[
        str | None,
        typer.Option(
            "--web-reviews",
            metavar="MODE",
            help="who may write reviews on the storefront: enabled, verified_buyers_only, disabled",
        ),
    ] = None,
    auto_publish: Annotated[
        str | None,
        typer.Option(
            "--auto-publish-min-rating",
            metavar="N",
            help="web reviews of at least N stars publish at once (0: none do)",
        ),
    ] = None,
    author_display: Annotated[
        str | None,
        typer.Option(
            "--author-display",
            metavar="MODE",
            help="how authors are shown: first_last_initial, full, initials, anonymous",
        ),
    ] = None,
    disclosure: Annotated[
        str | None,
        typer.Option(
            "--reviews-disclosure",
            metavar="TEXT",
            help='the notice on how reviews are collected ("" for the default one)',
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set a shop's intake and storefront settings and print them (the secret only as
    whether it is set)."""
    from shopreviews.shops import service as shop_service

    delay: int | None = None
    if delay_days is not None:
        # Parsed here rather than by typer, so a bad value is exit 1 like every other one.
        if not re.fullmatch(r"[0-9]{1,9}", delay_days.strip()):
            fail(
                as_json,
                f"--review-delay-days: must be an integer from 0 to {shop_service.MAX_DELAY_DAYS}",
            )
        delay = int(delay_days)
    # The secret never appears in the process list, shell history or any output.
    secret = _read_secret() if secret_stdin else None
    # `--storefront-origin ""` is how a command line passes an empty list.
    origin_list = None if origins is None else [o for o in origins if o != ""]
    storefront = shop_service.StorefrontSettings(
        web_reviews=web_reviews,
        # A number is checked as one; anything else is refused by the same rule.
        auto_publish_min_rating=int(auto_publish)
        if auto_publish is not None and re.fullmatch(r"[0-9]{1,9}", auto_publish.strip())
        else auto_publish,
        author_display=author_display,
        reviews_disclosure=disclosure,
    )
    settings = load_settings()
    migrations.upgrade(settings)

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.db.session(write=True) as session:
            out = await shop_service.update_intake_settings(
                ctx,
                session,
                shop_id,
                delay_days=delay,
                origins=origin_list,
                shopify_app_secret=secret,
                storefront=storefront,
                now=ctx.now_datetime(),
            )
        return {"shop_id": shop_id, **out.model_dump()}

    try:
        data = with_ctx(settings, work)
    except shop_service.InvalidSetting as exc:
        fail(as_json, f"{_SETTING_OPTIONS[exc.field]}: {exc.problem}")
    except ApiError as exc:
        fail(as_json, exc.message)
    emit(as_json, data, _settings_text(data))


@merchant_app.command("create")
def merchant_create(
    shop_id: Annotated[str, typer.Option("--shop-id")],
    email: Annotated[str, typer.Option("--email")],
    password: Annotated[str, typer.Option("--password", help="10 to 128 characters")],
    as_json: JsonOpt = False,
) -> None:
    """Create a merchant user who can sign in for a shop."""
    from shopreviews.merchants import service as merchant_service

    settings = load_settings()
    migrations.upgrade(settings)

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.db.session(write=True) as session:
            user = await merchant_service.create_user(
                session, shop_id=shop_id, email=email, password=password
            )
        return {"id": str(user.id), "shop_id": user.shop_id, "email": user.email}

    try:
        data = with_ctx(settings, work)
    except ApiError as exc:
        fail(as_json, exc.message)
    emit(as_json, data, f"merchant user {data['email']} created for shop {data['shop_id']}")


@merchant_app.command("set-password")
def merchant_set_password(
    shop_id: Annotated[str, typer.Option("--shop-id")],
    email: Annotated[str, typer.Option("--email")],
    password: Annotated[str, typer.Option("--password", help="10 to 128 characters")],
    as_json: JsonOpt = False,
) -> None:
    """Set a merchant user's password; every session of that user ends."""
    from shopreviews.merchants import service as merchant_service

    settings = load_settings()
    migrations.upgrade(settings)

    async def work(ctx: AppContext) -> None:
        async with ctx.db.session(write=True) as session:
            await merchant_service.set_password(
                ctx, session, shop_id=shop_id, email=email, password=password
            )

    try:
        with_ctx(settings, work)
    except ApiError as exc:
        fail(as_json, exc.message)
    emit(
        as_json,
        {"shop_id": shop_id, "email": email.strip().lower(), "sessions_ended": True},
        f"password of {email} set; every session of that user ended",
    )


@app.command()
def sign(
    method: Annotated[str, typer.Argument(help="GET or POST")],
    url: Annotated[str, typer.Argument(help="full URL, query string included")],
    public_token: Annotated[str, typer.Option("--public-token")],
    private_token: Annotated[str, typer.Option("--private-token")],
    data: Annotated[str | None, typer.Option("--data", help="request body (JSON)")] = None,
    timestamp: Annotated[int | None, typer.Option(help="Unix seconds (default: now)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print a signed curl command for a request (valid for 15 minutes)."""
    print_signed(method, url, public_token, private_token, data, timestamp, as_json)


def signed_curl(
    method: str, url: str, public_token: str, private_token: str, body: str | None, ts: str
) -> tuple[str, str]:
    query = urlsplit(url).query
    signature = sign_request(private_token, ts, query, (body or "").encode())
    parts = [
        "curl",
        "-sS",
        "-X",
        method.upper(),
        url,
        "-H",
        f"Public-Token: {public_token}",
        "-H",
        f"Timestamp: {ts}",
        "-H",
        f"Sign: {signature}",
    ]
    if body:
        parts += ["-H", "Content-Type: application/json", "--data-raw", body]
    return signature, " ".join(shlex.quote(p) for p in parts)


def print_signed(
    method: str,
    url: str,
    public_token: str,
    private_token: str,
    body: str | None,
    timestamp: int | None,
    as_json: bool,
) -> None:
    if method.upper() not in ("GET", "POST"):
        fail(as_json, f"METHOD must be GET or POST, not {method!r}")
    if not urlsplit(url).scheme.startswith("http"):
        fail(as_json, f"URL must be a full http(s) URL, not {url!r}")
    if body:
        try:
            json.loads(body)
        except ValueError as exc:
            fail(as_json, f"--data must be valid JSON ({exc})")
    ts = str(timestamp if timestamp is not None else int(time.time()))
    signature, command = signed_curl(method, url, public_token, private_token, body, ts)
    emit(as_json, {"timestamp": ts, "sign": signature, "curl": command}, command)


@app.command()
def demo(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="serve after seeding")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Seed a demo shop (products, reviews, a merchant user), print how to call it, serve."""
    from shopreviews.demo import seed

    settings = load_settings()
    if serve_after:
        check_key_for_scale_out(settings)
    migrations.upgrade(settings)
    base = settings.base_url(host, port)
    info = with_ctx(
        settings,
        lambda ctx: seed(ctx, progress=lambda m: typer.echo(m, err=True), storefront_origin=base),
    )
    info["storefront_url"] = f"{base}/demo/storefront"
    url = f"{base}/api/v1/openapi/get_reviews?page=1&page_size=5"
    _, command = signed_curl(
        "GET", url, info["public_token"], info["private_token"], None, str(int(time.time()))
    )
    info["curl"] = command
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False))
    else:
        typer.echo(
            f"\nDemo shop {info['shop_id']} ({info['myshopify_domain']}): "
            f"{info['review_count']} reviews over {info['product_count']} products\n"
            f"  public token:  {info['public_token']}\n"
            f"  private token: {info['private_token']}\n"
            f"  merchant sign-in: {info['merchant_email']} / {info['merchant_password']}\n"
            f"  storefront page with the review widget: {info['storefront_url']}\n\n"
            f"A signed request (valid for 15 minutes; `shopreviews sign` makes new ones):\n\n"
            f"{command}\n"
        )
    sys.stdout.flush()
    if serve_after:
        serve_app(settings, host, port, 1, factory=DEMO_FACTORY)


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


if __name__ == "__main__":
    app()
