"""Helpers of the reference page's browser tests: every request a page sends (any to another
origin blocked and listed), the Content-Security-Policy violations it reports, and the steps
of Swagger UI: open an operation, try it out, fill its parameters, execute, read the answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, Locator, Page, Route, expect

# The live server's address under a name that is not localhost (the browser fixture maps it).
INSECURE_HOST = "reference.test"

_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@dataclass(frozen=True)
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: str

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def text(self) -> str:
        """Everything this request carried: URL, header names and values, body."""
        return "\n".join([self.url, *(f"{k}: {v}" for k, v in self.headers.items()), self.body])


@dataclass
class Traffic:
    """The requests of a browser context: those to `origin` go through and are recorded, any
    other (another site, a CDN) is blocked and its URL listed."""

    origin: str
    sent: list[Sent] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    async def attach(self, context: BrowserContext) -> None:
        await context.add_init_script(_CSP_LISTENER)
        await context.route("**/*", self._route)

    async def _route(self, route: Route) -> None:
        request = route.request
        if not request.url.startswith(self.origin + "/"):
            self.blocked.append(request.url)
            await route.abort("blockedbyclient")
            return
        headers = await request.all_headers()
        self.sent.append(Sent(request.method, request.url, headers, request.post_data or ""))
        await route.continue_()

    def to(self, path: str) -> list[Sent]:
        return [sent for sent in self.sent if sent.path == path]


async def csp_violations(page: Page) -> list[str]:
    found: list[str] = await page.evaluate("window.__cspViolations")
    return found


async def open_reference(page: Page, base_url: str) -> None:
    """/docs, once Swagger UI has rendered the operations."""
    await page.goto(base_url + "/docs")
    await expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)


async def use_tokens(page: Page, public_token: str, private_token: str) -> None:
    await page.get_by_label("Public token").fill(public_token)
    await page.get_by_label("Private token").fill(private_token)
    await page.get_by_role("button", name="Sign requests").click()
    await expect(page.locator("#signing-status")).to_contain_text(public_token)


def operation(page: Page, tag: str, name: str, path: str, method: str) -> Locator:
    """An operation's block, by its tag and FastAPI operation id (name, path, method)."""
    operation_id = name + path.replace("/", "_") + "_" + method
    return page.locator(f"#operations-{tag}-{operation_id}")


async def try_it_out(block: Locator) -> None:
    await block.locator(".opblock-summary-control").click()
    await block.get_by_role("button", name="Try it out").click()


async def set_parameter(block: Locator, name: str, value: str) -> None:
    row = block.locator(f'tr[data-param-name="{name}"]')
    if await row.locator("select").count():
        await row.locator("select").select_option(value)
    else:
        await row.locator("input").fill(value)


async def execute(block: Locator) -> Any:
    """Execute and return the answer's body as Swagger UI shows it, parsed."""
    await block.get_by_role("button", name="Execute").click()
    shown = block.locator(".live-responses-table .response-col_description .highlight-code pre")
    await expect(shown).to_be_visible(timeout=30_000)
    return json.loads(await shown.inner_text())
