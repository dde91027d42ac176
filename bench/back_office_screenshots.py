"""The back office guide's screenshots (docs/back-office.md), taken from `shopreviews demo`.

    python bench/back_office_screenshots.py [--out docs/images]

Starts `shopreviews demo` on a free loopback port in a temporary directory (a SQLite database
of its own), signs the demo merchant in through the sign-in page in Debian's Chromium, and
saves one picture per page as back-office-<name>.png. The demo reviews' photos name an outside
host: the script answers those requests with generated images, so it runs offline. A page that
does not answer 200 stops the script: the guide must never show an error page by accident.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from playwright.async_api import Page, async_playwright

from shopreviews.demo import DEMO_EMAIL, DEMO_PASSWORD
from widget import CHROMIUM, PHOTO_HOST, demo_server, offline_photos

REPO = Path(__file__).resolve().parents[1]
# (file name, path under the public URL): in the order the guide shows them.
PAGES = (
    ("reviews", "/backoffice/reviews"),
    ("reviews-pending", "/backoffice/reviews?tab=pending"),
    ("insights", "/backoffice/insights?period=365"),
    ("settings", "/backoffice/settings"),
    ("tokens", "/backoffice/tokens"),
    ("webhooks", "/backoffice/webhooks"),
    ("platforms", "/backoffice/platforms"),
)


async def _shot(page: Page, out: Path, name: str) -> None:
    await page.wait_for_load_state("networkidle")
    path = out / f"back-office-{name}.png"
    await page.screenshot(path=str(path))  # the first screenful, as a merchant sees it
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


async def take(out: Path) -> None:
    with demo_server() as storefront:
        base = storefront.removesuffix("/demo/storefront")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox"]
            )
            page = await browser.new_page(viewport={"width": 1280, "height": 1400})
            await page.route(f"**://{PHOTO_HOST}/**", offline_photos)
            await page.goto(f"{base}/backoffice/sign-in")
            await _shot(page, out, "sign-in")
            await page.get_by_label("Email", exact=True).fill(DEMO_EMAIL)
            await page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url(f"{base}/backoffice/reviews")
            for name, path in PAGES:
                answer = await page.goto(base + path)
                if answer is None or answer.status != 200:
                    status = answer.status if answer else "no answer"
                    raise SystemExit(f"{path} answered {status}: not taking its picture")
                await _shot(page, out, name)
            await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    asyncio.run(take(out))


if __name__ == "__main__":
    main()
