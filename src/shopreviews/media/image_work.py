"""Image decoding within the process's decode budget (kit/decode_budget.py): each decode first
reserves the memory its headers say it needs (images.inspect_image), so concurrent uploads of
small files that decode to huge images cannot exhaust the memory together."""

from __future__ import annotations

import asyncio

from shopreviews.kit.decode_budget import DecodeBudget
from shopreviews.media.images import ProcessedImage, decode_image, inspect_image


async def process_image(
    budget: DecodeBudget, data: bytes, *, max_pixels: int, thumbnail_size: int = 400
) -> ProcessedImage:
    """images.process_image off the event loop, its decode within the budget. Raises
    images.ImageRejected."""
    inspected = await asyncio.to_thread(
        inspect_image, data, max_pixels=max_pixels, thumbnail_size=thumbnail_size
    )
    return await budget.run(inspected.memory, lambda: decode_image(inspected))
