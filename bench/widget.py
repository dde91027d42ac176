"""The storefront widget in Chromium, on the demo product page that `shopreviews demo` serves.

    python bench/widget.py screenshot [--out docs/images/storefront.png]
    python bench/widget.py ttfr [--runs 30]

Both start `shopreviews demo` on a free loopback port, in a temporary directory with a SQLite
database of its own, and drive Debian's Chromium (/usr/bin/chromium) through Playwright.

`screenshot` retakes the README's picture of the demo page. The demo reviews' photos name an
outside host: the script answers those requests itself with generated images, so it runs
offline and the picture does not depend on that host.

`ttfr` measures the widget's time to first review: from the start of navigation to the first
review in the widget's shadow root, in a fresh browser profile each run (nothing cached), the
page, module and API all on loopback. Reported: median, p90 and max over the runs, and the same
for the moments the module finished loading and the first API answer arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from PIL import Image
from playwright.async_api import Route, async_playwright

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHOTO_HOST = "picsum.photos"

# The first review in the widget's own shadow root, timed against navigation start.
FIRST_REVIEW = """() => new Promise((resolve) => {
  const look = () => {
    const el = document.querySelector("shopreviews-reviews");
    if (el && el.shadowRoot && el.shadowRoot.querySelector("li.rv")) {
      const loaded = performance.getEntriesByType("resource");
      const api = loaded.filter((e) => e.name.includes("/reviews?"));
      const mod = loaded.filter((e) => e.name.includes("shopreviews."));
      resolve({
        first_review: performance.now(),
        module_loaded: mod.length ? mod[0].responseEnd : null,
        api_answered: api.length ? api[0].responseEnd : null,
      });
    } else requestAnimationFrame(look);
  };
  look();
})"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def demo_server() -> Iterator[str]:
    """`shopreviews demo` in a temporary directory; yields the demo page's URL."""
    script = Path(sys.executable).parent / "shopreviews"
    port = _free_port()
    with tempfile.TemporaryDirectory() as workdir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPREVIEWS_")}
        env["SHOPREVIEWS_DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir}/demo.db"
        env["SHOPREVIEWS_RATE_LIMITS_ENABLED"] = "false"
        command = [str(script), "demo", "--port", str(port)]
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("shopreviews demo did not start")
                try:
                    if httpx.get(base + "/demo/storefront", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            yield base + "/demo/storefront"
        finally:
            process.terminate()
            process.wait(timeout=30)


def _photo(seed: str) -> bytes:
    """A soft colour field standing in for a shopper's photo."""
    hue = sum(seed.encode()) % 360
    image = Image.new("HSV", (160, 160), (int(hue * 255 / 360), 70, 215)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


async def offline_photos(route: Route) -> None:
    await route.fulfill(status=200, content_type="image/jpeg", body=_photo(route.request.url))


async def screenshot(out: Path) -> None:
    with demo_server() as url:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox"]
            )
            page = await browser.new_page(viewport={"width": 1100, "height": 1500})
            await page.route(f"**://{PHOTO_HOST}/**", offline_photos)
            await page.goto(url)
            await page.wait_for_function(FIRST_REVIEW)
            await page.wait_for_selector("shopreviews-stars .stars")
            await page.wait_for_load_state("networkidle")
            out.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(out))
            await browser.close()
    print(f"wrote {out}")


def _summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[max(0, round(0.9 * len(ordered)) - 1)]
    return (
        f"{name:>15}: median {statistics.median(ordered):6.1f} ms, "
        f"p90 {p90:6.1f} ms, max {ordered[-1]:6.1f} ms"
    )


async def time_to_first_review(runs: int) -> None:
    with demo_server() as url:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox"]
            )
            results: dict[str, list[float]] = {
                "module_loaded": [],
                "api_answered": [],
                "first_review": [],
            }
            for run in range(runs + 1):
                context = await browser.new_context()  # nothing cached between runs
                page = await context.new_page()
                await page.route(f"**://{PHOTO_HOST}/**", offline_photos)
                await page.goto(url, wait_until="commit")
                timings = await page.evaluate(FIRST_REVIEW)
                await context.close()
                if run == 0:
                    continue  # the first run warms the server's caches and the browser
                for key, value in timings.items():
                    if value is not None:
                        results[key].append(value)
            await browser.close()
    print(f"time to first review on {url}, {runs} runs, a fresh profile each:")
    for key in ("module_loaded", "api_answered", "first_review"):
        print(_summary(key, results[key]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    shot = commands.add_parser("screenshot", help="retake docs/images/storefront.png")
    shot.add_argument("--out", type=Path, default=REPO / "docs" / "images" / "storefront.png")
    ttfr = commands.add_parser("ttfr", help="time to first review")
    ttfr.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if args.command == "screenshot":
        asyncio.run(screenshot(args.out))
    else:
        asyncio.run(time_to_first_review(args.runs))


if __name__ == "__main__":
    main()
