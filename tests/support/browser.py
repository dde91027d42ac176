"""Helpers for the browser tests: the app in a real uvicorn server, a local page server (a
storefront, or the platform's redirect receiver), the consent-page steps a merchant takes
in Chromium, and axe-core's accessibility check."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, Response, async_playwright, expect

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.settings import Settings

DEBIAN_CHROMIUM = "/usr/bin/chromium"


@asynccontextmanager
async def headless_chromium(*args: str) -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, for one module's tests (the launch costs a second)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox", *args]
        )
        try:
            yield browser
        finally:
            await browser.close()


def chromium_path() -> str | None:
    """Debian's chromium (CI installs it with apt-get), or None when it is not installed."""
    found = shutil.which("chromium")
    if found:
        return found
    return DEBIAN_CHROMIUM if os.access(DEBIAN_CHROMIUM, os.X_OK) else None


# --- the app in uvicorn ----------------------------------------------------------------------


@dataclass
class LiveServer:
    base_url: str  # also the public URL, so consent page links and `iss` point here
    ctx: AppContext


@contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The app in uvicorn on a free 127.0.0.1 port, in a thread with its own event loop and
    engine (the same database as the rest of the suite)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    ctx = AppContext.build(settings, public_url=base_url)
    config = uvicorn.Config(
        create_app(settings, ctx=ctx), log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield LiveServer(base_url, ctx)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


# --- the redirect receiver -------------------------------------------------------------------


class PageServer:
    """A local HTTP server on a port of its own (another origin than the app) that answers
    every GET with `page` (HTML) and records the path and query of each request."""

    def __init__(self, page: str = "") -> None:
        self.page = page
        self.requests: list[str] = []  # path + query of each GET, in order
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = server.page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=30)


class Receiver(PageServer):
    """The platform's redirect URI: records every GET it receives."""

    def __init__(self) -> None:
        super().__init__("<!doctype html><title>Callback</title><p id='received'>Received</p>")
        self.callback = self.url + "callback"

    def callbacks(self) -> list[str]:
        """The raw query of each request to /callback, in order."""
        return [urlsplit(p).query for p in self.requests if urlsplit(p).path == "/callback"]


def single_values(raw_query: str) -> dict[str, str]:
    """A decoded query whose parameters each appear exactly once."""
    query = parse_qs(raw_query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values()), query
    return {name: values[0] for name, values in query.items()}


# --- the merchant's steps in the browser ----------------------------------------------------


@dataclass
class ConsentScreen:
    platform_name: str
    shop_domain: str
    scopes: dict[str, str]  # data-scope -> the description shown


async def sign_in_with_form(page: Page, email: str, password: str) -> Response:
    """Fill and submit the sign-in form; returns the response of the page the browser ends on
    (the consent screen after the redirect, or the form again), once it has loaded."""
    await expect(page.locator("#sign-in")).to_be_visible()
    await page.fill("#email", email)
    await page.fill("#password", password)
    async with page.expect_navigation() as navigation:
        await page.click("#sign-in")
    response = await navigation.value
    assert response is not None
    return response


async def read_consent_screen(page: Page) -> ConsentScreen:
    await expect(page.locator("#approve")).to_be_visible()
    await expect(page.locator("#deny")).to_be_visible()
    items = page.locator("li[data-scope]")
    scopes = {}
    for i in range(await items.count()):
        item = items.nth(i)
        scopes[await item.get_attribute("data-scope") or ""] = (await item.inner_text()).strip()
    return ConsentScreen(
        platform_name=(await page.locator("#platform-name").inner_text()).strip(),
        shop_domain=(await page.locator("#shop-domain").inner_text()).strip(),
        scopes=scopes,
    )


async def decide(page: Page, receiver: Receiver, button: str) -> dict[str, str]:
    """Click #approve or #deny on the consent screen and follow the browser to the receiver;
    returns the query the receiver got."""
    await page.click(button)
    await page.wait_for_url(lambda url: url.startswith(receiver.callback + "?"))
    await expect(page.locator("#received")).to_have_text("Received")
    raw = urlsplit(page.url).query
    assert receiver.callbacks()[-1] == raw  # the receiver really got what the browser shows
    return single_values(raw)


# --- accessibility ------------------------------------------------------------------------

# What the pages must meet: WCAG 2.1 A and AA.
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 AA violations on the page as it is now: rule, help and targets."""
    results = await Axe().run(page, options=WCAG_21_AA)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in violations
    ]
