"""Image decoding within the process's memory budget (media/image_work.py): the budget itself,
uploads decoded together only as far as it allows, images decoded at reduced size where Pillow
can, and a real server's peak memory under many uploads of small files that decode to huge
images (bench/image_memory.py)."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from shopreviews.kit.context import AppContext
from shopreviews.kit.decode_budget import DecodeBudget
from shopreviews.media import image_work, images
from shopreviews.media.images import ImageRejected, InspectedImage, inspect_image, process_image
from tests.media.helpers import LocalMedia, jpeg, png_with_header
from tests.support.api import ShopApi, ok

REPO = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
WAIT = 60  # seconds a thread waits for its partner before the test fails (never reached)


def one_colour_png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 128)).save(out, "PNG", compress_level=9)
    return out.getvalue()


# --- the budget ------------------------------------------------------------------------------


class Works:
    """Work for DecodeBudget.run that blocks its worker thread until the test lets it finish."""

    def __init__(self) -> None:
        self.started: dict[str, threading.Event] = {}
        self.finish: dict[str, threading.Event] = {}

    def __call__(self, name: str) -> Callable[[], str]:
        self.started[name] = threading.Event()
        self.finish[name] = threading.Event()

        def work() -> str:
            self.started[name].set()
            assert self.finish[name].wait(WAIT)
            return name

        return work

    def running(self) -> set[str]:
        return {name for name, event in self.started.items() if event.is_set()}


@pytest.fixture
def works() -> Iterator[Works]:
    made = Works()
    yield made
    for event in made.finish.values():
        event.set()  # never leave a thread blocked


async def until(condition: Callable[[], bool]) -> None:
    """Yield to the loop and the worker threads until `condition` holds."""
    for _ in range(WAIT * 100):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


async def test_budget_runs_work_together_while_it_fits_then_in_arrival_order(
    works: Works,
) -> None:
    budget = DecodeBudget(100)
    a = asyncio.create_task(budget.run(60, works("a")))
    b = asyncio.create_task(budget.run(40, works("b")))
    c = asyncio.create_task(budget.run(30, works("c")))  # does not fit beside a and b
    d = asyncio.create_task(budget.run(5, works("d")))  # would fit, but c came first
    await until(lambda: works.running() == {"a", "b"})
    assert (budget.reserved, budget.running) == (100, 2)

    works.finish["b"].set()
    assert await b == "b"
    await until(lambda: works.running() == {"a", "b", "c", "d"})
    assert (budget.reserved, budget.running) == (95, 3)

    for name in "acd":
        works.finish[name].set()
    assert list(await asyncio.gather(a, c, d)) == ["a", "c", "d"]
    assert (budget.reserved, budget.running) == (0, 0)


async def test_work_larger_than_the_budget_runs_alone(works: Works) -> None:
    budget = DecodeBudget(100)
    small = asyncio.create_task(budget.run(10, works("small")))
    await until(lambda: works.running() == {"small"})
    huge = asyncio.create_task(budget.run(500, works("huge")))
    later = asyncio.create_task(budget.run(10, works("later")))
    await asyncio.sleep(0.05)
    assert works.running() == {"small"}  # huge waits for the budget to empty, later behind it

    works.finish["small"].set()
    await small
    await until(lambda: "huge" in works.running())
    assert (budget.reserved, budget.running) == (500, 1)
    assert "later" not in works.running()

    works.finish["huge"].set()
    await huge
    await until(lambda: "later" in works.running())
    works.finish["later"].set()
    await later
    assert (budget.reserved, budget.running) == (0, 0)


async def test_cancelled_caller_keeps_the_memory_until_its_thread_is_done(works: Works) -> None:
    budget = DecodeBudget(100)
    first = asyncio.create_task(budget.run(80, works("first")))
    await until(lambda: works.running() == {"first"})
    waiting = asyncio.create_task(budget.run(80, works("waiting")))
    third = asyncio.create_task(budget.run(20, works("third")))
    await asyncio.sleep(0.05)

    # A caller that gives up while waiting leaves the queue: the one behind it moves up.
    waiting.cancel()
    await until(lambda: works.running() == {"first", "third"})
    assert (budget.reserved, budget.running) == (100, 2)

    # A caller that gives up while its thread decodes: the memory is still in use.
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert (budget.reserved, budget.running) == (100, 2)
    works.finish["first"].set()
    await until(lambda: budget.running == 1)
    assert budget.reserved == 20

    works.finish["third"].set()
    assert await third == "third"
    assert (budget.reserved, budget.running) == (0, 0)
    assert waiting.cancelled() and "waiting" not in works.running()


async def test_refused_image_releases_its_memory() -> None:
    budget = DecodeBudget(100 * MB)
    # A well-formed container whose image data ends after a few rows: refused by the decode.
    upload = png_with_header(600, 400, zlib.compress(b"\0" * 10))
    with pytest.raises(ImageRejected, match="could not be decoded as a PNG image"):
        await image_work.process_image(budget, upload, max_pixels=10**6)
    assert (budget.reserved, budget.running) == (0, 0)


# --- uploads share the budget ----------------------------------------------------------------


async def test_concurrent_uploads_decode_within_the_budget(
    ctx: AppContext,
    local_media: LocalMedia,
    shop: ShopApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    picture = one_colour_png((3000, 2000))  # 6 megapixels: 24 MB decoded
    memory = inspect_image(picture).memory
    budget = DecodeBudget(memory * 2 + memory // 2)  # room for two decodes, not three
    monkeypatch.setattr(ctx, "image_budget", budget)

    decoding = 0
    most = 0
    lock = threading.Lock()
    partner = threading.Barrier(2, timeout=WAIT)  # decodes meet in pairs: two do run together
    real_decode = images.decode_image

    def counted_decode(inspected: InspectedImage) -> Any:
        nonlocal decoding, most
        with lock:
            decoding += 1
        try:
            partner.wait()
            with lock:
                most = max(most, decoding)
            return real_decode(inspected)
        finally:
            with lock:
                decoding -= 1

    monkeypatch.setattr(image_work, "decode_image", counted_decode)
    policy = await local_media.image_policy(shop)
    answers = await asyncio.gather(
        *(local_media.upload(policy, picture, f"big-{i}.png", "image/png") for i in range(8))
    )

    assert most == 2
    assert (budget.reserved, budget.running) == (0, 0)
    keys = [ok(answer)["key"] for answer in answers]
    assert keys == [policy["dir"] + f"big-{i}.png" for i in range(8)]
    for key in keys:
        assert local_media.path(key).read_bytes() == picture  # nothing to strip: as uploaded
        thumbnail = Image.open(local_media.path(key + ".thumb.jpg"))
        assert (thumbnail.format, thumbnail.size) == ("JPEG", (400, 267))
        assert thumbnail.getpixel((200, 133)) == pytest.approx((200, 30, 30), abs=8)
    rows = await local_media.rows(shop.shop_id)
    assert sorted((row.key, row.width, row.height) for row in rows) == [
        (key, 3000, 2000) for key in sorted(keys)
    ]


# --- decoding at reduced size ----------------------------------------------------------------


def test_large_jpeg_is_decoded_at_a_fraction_of_its_size() -> None:
    """Decoded at half of each side (the most that keeps twice the thumbnail's size): the
    memory estimate follows; the reported size and the thumbnail are those of the full image."""
    upload = jpeg((4000, 3000))
    assert inspect_image(upload).memory == 2000 * 1500 * 4 + 16 * MB  # full size: 48 MB
    result = process_image(upload)
    assert (result.width, result.height) == (4000, 3000)
    thumbnail = Image.open(io.BytesIO(result.thumbnail))
    expected = Image.open(io.BytesIO(upload))
    expected.thumbnail((400, 400), Image.Resampling.LANCZOS)
    assert thumbnail.size == expected.size == (400, 300)
    quadrants = {(100, 75): (255, 0, 0), (300, 75): (0, 255, 0), (100, 225): (0, 0, 255)}
    for point, colour in quadrants.items():
        assert thumbnail.getpixel(point) == pytest.approx(colour, abs=24)


@pytest.mark.parametrize(("mode", "bytes_per_pixel"), [("RGB", 4), ("RGBA", 4), ("L", 1), ("P", 1)])
def test_png_memory_estimate_is_its_decoded_size(mode: str, bytes_per_pixel: int) -> None:
    out = io.BytesIO()
    Image.new(mode, (2000, 1500)).save(out, "PNG")
    assert inspect_image(out.getvalue()).memory == 2000 * 1500 * bytes_per_pixel + 16 * MB


def test_webp_memory_is_estimated_without_opening_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """libwebp allocates its canvas as soon as Pillow opens the file: the header decides."""
    out = io.BytesIO()
    Image.new("RGB", (2000, 1500)).save(out, "WEBP", lossless=True)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow opened the file")

    monkeypatch.setattr(Image, "open", refuse)
    assert inspect_image(out.getvalue()).memory == 2000 * 1500 * 16 + 16 * MB


# --- a real server under the attack ----------------------------------------------------------


def test_server_peak_memory_under_eight_uploads_of_a_40_megapixel_png() -> None:
    """8 concurrent uploads, under one policy, of a 130 KB PNG of 39.7 megapixels (160 MB
    decoded) to a real `shopreviews serve` process: every one is accepted, and the process's
    peak resident memory stays under 600 MB (it reached 2 GB before decodes had a budget)."""
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "image_memory.py"), "--uploads", "8", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["image"]["megapixels"] == 39.7 and result["image"]["bytes"] < 200_000
    answers = result["answers"]
    assert [answer["code"] for answer in answers] == [0] * 8
    assert len({answer["data"]["key"] for answer in answers}) == 8
    assert all(answer["data"]["content_type"] == "image/png" for answer in answers)
    assert result["peak_rss_mb"] < 600, result
