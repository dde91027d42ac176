"""The operator command line: `shopreviews serve | worker | migrate | demo | shop | merchant |
platform | webhooks | orders | catalogue | widget | sign`."""

from __future__ import annotations

import asyncio
import json
import shlex
import signal
import socket
import sys
import time
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from shopreviews import __version__, server_key
from shopreviews import migrate as migrations
from shopreviews.kit import serving, startup
from shopreviews.kit.cli import (
    JsonOpt,
    OperatorCommands,
    check_key_for_scale_out,
    emit,
    fail,
    load_settings,
    with_ctx,
)
from shopreviews.kit.context import AppContext
from shopreviews.kit.logging import configure_logging
from shopreviews.kit.signing import sign_request
from shopreviews.merchants.cli import merchant_app
from shopreviews.oauth.cli import delete as platform_delete
from shopreviews.oauth.cli import disconnect as platform_disconnect
from shopreviews.orders.cli import orders_app
from shopreviews.platforms.cli import platform_app
from shopreviews.reviews.cli import catalogue_app
from shopreviews.settings import Settings, shown_database_url
from shopreviews.shops.cli import shop_app
from shopreviews.webhooks.cli import webhooks_app
from shopreviews.widget.cli import widget_app
from shopreviews.wiring import connect_domains

app = typer.Typer(
    cls=OperatorCommands,
    help="ShopReviews: product reviews with a Trustoo-compatible partner API.",
    no_args_is_help=True,
    add_completion=False,
    # Plain help: flags without a type beside them, help texts wrapped as paragraphs.
    rich_markup_mode=None,
)
app.add_typer(shop_app, name="shop")
app.add_typer(merchant_app, name="merchant")
app.add_typer(webhooks_app, name="webhooks")
# Grants are oauth's, so the commands that end them live there, listed with the platforms.
platform_app.command("disconnect")(platform_disconnect)
platform_app.command("delete")(platform_delete)
# Commands call the services in process: the domains are connected as in the API process.
connect_domains()
app.add_typer(platform_app, name="platform")
app.add_typer(orders_app, name="orders")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(widget_app, name="widget")

# The application factory `serve` runs (uvicorn imports it by name in each worker process).
APP_FACTORY = "shopreviews.main:create_app"
# `demo` serves the same app plus the demo product page (/demo/storefront).
DEMO_FACTORY = "shopreviews.main:create_demo_app"

HostOpt = Annotated[
    str, typer.Option("--host", metavar="ADDRESS", help="The address to listen on.")
]
PortOpt = Annotated[int, typer.Option("--port", metavar="PORT", help="The port to listen on.")]


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"shopreviews {__version__}")
        raise typer.Exit()


@app.callback()
def _setup(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    # Before any command builds a context: the key-file notice (server_key) and other log lines
    # go to stderr in the configured format, never to stdout where --json output goes.
    configure_logging(load_settings())


def _schema(upgrade: migrations.Upgrade) -> dict[str, Any]:
    return {"current": upgrade.current, "applied": upgrade.applied}


@app.command()
def worker(
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print JSON lines on stdout: the startup facts, then one when stopping.",
        ),
    ] = False,
) -> None:
    """Deliver webhooks and run jobs (no API); stop with SIGTERM or Ctrl-C."""
    from shopreviews.worker import run_standalone

    settings = load_settings()
    check_key_for_scale_out(settings)
    schema = _schema(migrations.upgrade(settings))

    async def run() -> None:
        ctx = AppContext.build(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        facts = startup.worker_facts(settings, schema=schema)
        if as_json:
            typer.echo(json.dumps(facts))
            sys.stdout.flush()
        else:
            typer.echo(startup.worker_text(facts), err=True)
        try:
            await run_standalone(ctx, stop)
        finally:
            await ctx.db.dispose()

    asyncio.run(run())
    if as_json:
        typer.echo(json.dumps({"stopped": True}))


@app.command()
def migrate(as_json: JsonOpt = False) -> None:
    """Apply the database migrations that are not applied yet, and say which."""
    settings = load_settings()
    started = time.perf_counter()
    upgrade = migrations.upgrade(settings)
    database = shown_database_url(settings.database_url)
    if upgrade.applied:
        text = f"applied {', '.join(upgrade.applied)} to {database}"
    else:
        text = f"already at {upgrade.current}, nothing to apply ({database})"
    emit(
        as_json,
        {"database": database, **_schema(upgrade)},
        f"{text}; {time.perf_counter() - started:.1f} s",
    )


@app.command()
def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    workers: Annotated[
        int,
        typer.Option("--workers", metavar="N", help="How many API processes to start."),
    ] = 1,
    run_worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Deliver webhooks and run jobs in the API processes too (the default).",
        ),
    ] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            metavar="ADDRESSES",
            help="Reverse proxies (comma-separated addresses or networks) whose "
            "X-Forwarded-For and X-Forwarded-Proto are believed. Default: "
            "SHOPREVIEWS_FORWARDED_ALLOW_IPS, else nobody's.",
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the startup facts as one JSON object on stdout."),
    ] = False,
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


def listen_or_fail(host: str, port: int, as_json: bool) -> socket.socket:
    """The listening socket, taken before anything starts; a busy port is one clear line."""
    try:
        return serving.bind(host, port)
    except serving.PortUnavailable as exc:
        fail(as_json, str(exc))


def serve_app(
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    *,
    as_json: bool = False,
    factory: str = APP_FACTORY,
    sock: socket.socket | None = None,
    announce: dict[str, Any] | None = None,
) -> None:
    """Take the port, migrate, then serve `factory(settings)` (`serve`, `demo`, and
    bench/serve.py with the benchmark routes) in `workers` processes, which all receive these
    settings. Says what it serves first: on stderr, or as one JSON object on stdout (with
    `announce`'s keys, the demo's, beside the facts)."""
    sock = sock if sock is not None else listen_or_fail(host, port, as_json)
    schema = _schema(migrations.upgrade(settings))
    server_key.load_or_create(settings)  # the key file once, before any worker process starts
    listen = startup.listen_url(host, sock)
    if not settings.public_url:
        settings = settings.model_copy(update={"public_url": listen})
    facts = startup.server_facts(settings, listen=listen, workers=workers, schema=schema)
    if as_json:
        announced = facts if announce is None else {**announce, "server": facts}
        typer.echo(json.dumps(announced, ensure_ascii=False))
        sys.stdout.flush()
    else:
        typer.echo(startup.server_text(facts), err=True)
    serving.run(settings, factory, host=host, port=port, workers=workers, sock=sock)


@app.command()
def sign(
    method: Annotated[str, typer.Argument(metavar="METHOD", help="GET or POST.")],
    url: Annotated[str, typer.Argument(metavar="URL", help="The full URL, query string included.")],
    public_token: Annotated[
        str, typer.Option("--public-token", metavar="TOKEN", help="The shop's public token.")
    ],
    private_token: Annotated[
        str,
        typer.Option("--private-token", metavar="TOKEN", help="The shop's private token."),
    ],
    data: Annotated[
        str | None,
        typer.Option("--data", metavar="JSON", help="The request body (JSON), for a POST."),
    ] = None,
    timestamp: Annotated[
        int | None,
        typer.Option(
            "--timestamp", metavar="SECONDS", help="Unix seconds to sign with (default: now)."
        ),
    ] = None,
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
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    serve_after: Annotated[
        bool,
        typer.Option("--serve/--no-serve", help="Serve the API after seeding (the default)."),
    ] = True,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON object on stdout: the demo shop, and the startup facts "
            "when serving.",
        ),
    ] = False,
) -> None:
    """Seed a demo shop (products, reviews, a merchant user), print how to call it, serve."""
    from shopreviews.demo import seed

    settings = load_settings()
    sock = None
    if serve_after:
        check_key_for_scale_out(settings)
        sock = listen_or_fail(host, port, as_json)
    migrations.upgrade(settings)
    base = settings.base_url(host, port)
    info = with_ctx(
        settings,
        lambda ctx: seed(ctx, progress=lambda m: typer.echo(m, err=True), storefront_origin=base),
    )
    info["storefront_url"] = f"{base}/demo/storefront"
    info["back_office_url"] = f"{base}/backoffice"
    url = f"{base}/api/v1/openapi/get_reviews?page=1&page_size=5"
    _, command = signed_curl(
        "GET", url, info["public_token"], info["private_token"], None, str(int(time.time()))
    )
    info["curl"] = command
    if as_json and not serve_after:
        typer.echo(json.dumps(info, ensure_ascii=False))
    elif not as_json:
        typer.echo(
            f"\nDemo shop {info['shop_id']} ({info['myshopify_domain']}): "
            f"{info['review_count']} reviews over {info['product_count']} products\n"
            f"  public token:  {info['public_token']}\n"
            f"  private token: {info['private_token']}\n"
            f"  storefront page with the review widget: {info['storefront_url']}\n"
            f"  back office: {info['back_office_url']}\n"
            f"    sign in as {info['merchant_email']} with the password "
            f"{info['merchant_password']}\n\n"
            f"A signed request (valid for 15 minutes; `shopreviews sign` makes new ones):\n\n"
            f"{command}\n"
        )
    sys.stdout.flush()
    if serve_after:
        serve_app(
            settings,
            host,
            port,
            1,
            as_json=as_json,
            factory=DEMO_FACTORY,
            sock=sock,
            announce=info if as_json else None,
        )


if __name__ == "__main__":
    app()
