"""An image upload from a real browser (spec media.md "Image upload (local backend)").

A storefront page, served by a small HTTP server of its own (another origin), holds a plain
HTML form built from the policy's `upload_url` and `fields`, with the file input last. Headless
Debian Chromium (Playwright) picks a photo and submits the form to the app running in uvicorn;
the answer is the JSON envelope, and the URL it names serves the stored image. The same page
then uploads with fetch() and FormData, which works only if the CORS headers do.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import async_playwright

from shopreviews.kit.context import AppContext
from shopreviews.settings import Settings
from tests.media.helpers import GPS_IFD, ORIENTATION, jpeg, phone_exif, png
from tests.support.api import create_shop, ok
from tests.support.browser import LiveServer, PageServer, chromium_path, live_server

CHROMIUM = chromium_path()
if CHROMIUM is None:
    reason = "no chromium executable: install Debian's chromium package (apt-get install chromium)"
    # CI installs the browser: there a missing one is a failure, never a silent skip.
    if os.environ.get("SHOPREVIEWS_TEST_REQUIRE_BROWSER") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def upload_form(policy: dict[str, Any]) -> str:
    hidden = "\n".join(
        f'    <input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in policy["fields"].items()
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Write a review</title></head>
<body>
  <form id="upload" method="post" enctype="multipart/form-data"
        action="{html.escape(policy["upload_url"])}">
{hidden}
    <input type="file" name="file" id="file" accept="image/*">
    <button type="submit" id="send">Upload photo</button>
  </form>
</body></html>
"""


FETCH_UPLOAD = """async ({uploadUrl, fields, name, data}) => {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  form.append("file", new Blob([bytes], {type: "image/png"}), name);
  const response = await fetch(uploadUrl, {method: "POST", body: form});
  return {status: response.status, body: await response.json()};
}"""


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveServer]:
    with live_server(settings) as server:
        yield server


async def test_a_browser_form_uploads_a_photo(
    ctx: AppContext, client: httpx.AsyncClient, live: LiveServer, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=live.base_url) as api:
        shop = dataclasses.replace(await create_shop(ctx, client), client=api)
        policy = ok(await shop.get("get_image_upload_policy_token"))
        assert policy["upload_url"] == f"{live.base_url}/media"
        photo = tmp_path / "holiday photo.jpg"
        photo.write_bytes(jpeg((800, 600), exif=phone_exif(orientation=6)))

        with PageServer() as storefront:
            storefront.page = upload_form(policy)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
                )
                try:
                    page = await browser.new_page()
                    await page.goto(storefront.url)
                    await page.set_input_files("#file", str(photo))
                    async with page.expect_response(
                        lambda r: r.url == policy["upload_url"] and r.request.method == "POST"
                    ) as answer:
                        await page.click("#send")
                    response = await answer.value
                    assert response.status == 200
                    envelope = await response.json()
                    assert (await response.request.header_value("origin")) == storefront.url[:-1]

                    # The same policy again, from script on the storefront: readable (CORS).
                    await page.goto(storefront.url)
                    fetched = await page.evaluate(
                        FETCH_UPLOAD,
                        {
                            "uploadUrl": policy["upload_url"],
                            "fields": policy["fields"],
                            "name": "second.png",
                            "data": base64.b64encode(png()).decode(),
                        },
                    )
                finally:
                    await browser.close()

        key = policy["dir"] + "holiday_photo.jpg"
        stored = (live.ctx.settings.media_dir / key).read_bytes()
        assert envelope["code"] == 0 and envelope["message"] == "success"
        assert envelope["data"] == {
            "url": f"{live.base_url}/media/{key}",
            "thumbnail_url": f"{live.base_url}/media/{key}.thumb.jpg",
            "key": key,
            "size": len(stored),
            "content_type": "image/jpeg",
        }

        served = await api.get(envelope["data"]["url"])
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/jpeg"
        assert served.content == stored
        image = Image.open(io.BytesIO(served.content))
        assert dict(image.getexif()) == {ORIENTATION: 6}
        assert image.getexif().get_ifd(GPS_IFD) == {}
        thumbnail = await api.get(envelope["data"]["thumbnail_url"])
        assert Image.open(io.BytesIO(thumbnail.content)).size == (300, 400)

        assert fetched["status"] == 200
        assert fetched["body"]["code"] == 0
        assert fetched["body"]["data"]["key"] == policy["dir"] + "second.png"
        assert fetched["body"]["data"]["content_type"] == "image/png"
