"""Image processing for uploads (docs/api.md, "Media uploads").

An uploaded image is checked and prepared in two steps, so that a caller can hold back the
second until there is memory for it (media/image_work.py):

`inspect_image`, cheap (no pixel is decoded):
1. the type comes from the leading bytes (sniff); anything but JPEG, PNG, GIF or WebP is refused;
2. metadata is removed losslessly by rewriting the container (media/metadata.py);
3. more than `max_pixels` is refused, from the container's header and again from Pillow's lazy
   `Image.open` of the result;
4. the memory decoding will take is estimated from the same headers.

`decode_image`, the expensive part:
5. the first frame of the bytes to be stored is decoded; data that does not decode as the
   claimed type is refused (so what is stored is known to decode). A JPEG is decoded at a
   fraction of its size where the thumbnail allows (libjpeg's DCT scaling still reads all of
   it); other formats are decoded whole, which is what the memory estimate is for;
6. a small upright JPEG thumbnail is made from the decoded frame, band by band, without a
   full-size copy.

`process_image` does both. Pure: bytes in, bytes out; callers in async code run the steps in
worker threads (a 40 megapixel PNG takes a few hundred milliseconds to decode).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, _imaging

from shopreviews.media.metadata import strip_metadata
from shopreviews.media.sniff import IMAGE_TYPES, SNIFF_BYTES, sniff

_FORMATS = {  # content type -> (Pillow format, name in messages)
    "image/jpeg": ("JPEG", "JPEG"),
    "image/png": ("PNG", "PNG"),
    "image/gif": ("GIF", "GIF"),
    "image/webp": ("WEBP", "WebP"),
}

# EXIF orientation -> the transposition that makes the stored pixels display upright (the same
# table as Pillow's ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_AXES = {5, 6, 7, 8}
_THUMBNAIL_QUALITY = 85
_WHITE = (255, 255, 255)
_BAND_PIXELS = 1 << 18  # pixels converted at a time for the thumbnail (1 MB in RGBA)

# Memory estimates (bytes), measured with Pillow 13. A decoded image takes 4 bytes a pixel
# (RGB is stored as RGBX) except in these modes:
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}
# A WebP is decoded by libwebp's animation decoder, which holds the canvas and a copy of the
# previous frame, then come the frame's bytes and Pillow's image: 4 x 4 bytes a pixel.
_WEBP_BYTES_PER_PIXEL = 16
# libjpeg keeps every DCT coefficient (2 bytes) of a progressive or multi-scan JPEG.
_COEFFICIENT_BYTES = 2
# Decoder buffers, the thumbnail's bands and reduced copy, the stripped bytes.
_OVERHEAD = 16 * 1024 * 1024


# Pillow allocates an image in blocks of at most this size (16 MB by default). glibc serves
# blocks below its mmap threshold, which rises to 32 MB as blocks are freed, from per-thread
# heaps that keep freed memory: decodes in turn on different worker threads then added up to
# far more than the decoding memory reserved (8 uploads of a 40 megapixel PNG: 750 MB instead
# of 460 MB). As one block, a large image is mapped for itself and given back when freed.
_PILLOW_BLOCK_SIZE = 256 * 1024 * 1024
_imaging.set_block_size(_PILLOW_BLOCK_SIZE)


class ImageRejected(ValueError):
    """The upload is refused; str(exc) is a message for the client (code 3)."""


@dataclass(frozen=True)
class ProcessedImage:
    """An accepted image: what to store, what it is, and its thumbnail."""

    data: bytes
    """The bytes to store: the upload with metadata removed losslessly; the very same bytes
    object as uploaded when there was nothing to remove."""
    content_type: str
    """The type the content shows (one of sniff.IMAGE_TYPES)."""
    width: int
    """Width as displayed: after the orientation kept in `data` (JPEG only) is applied, so a
    phone photo stored as 4032x3024 with orientation 6 is 3024 wide."""
    height: int
    """Height as displayed (see `width`)."""
    thumbnail: bytes
    """JPEG, RGB, at most thumbnail_size pixels each way (aspect ratio kept, never enlarged),
    upright, transparency flattened on white, colours converted to sRGB, no metadata."""


@dataclass(frozen=True)
class InspectedImage:
    """An image that passed the checks made without decoding; `decode_image` finishes it."""

    data: bytes  # to store (see ProcessedImage.data)
    content_type: str
    orientation: int | None  # the EXIF orientation kept in `data` (2-8), JPEG only
    max_pixels: int
    thumbnail_size: int
    memory: int
    """Bytes decoding is expected to take at its peak (an estimate from the headers)."""


def process_image(
    data: bytes, *, max_pixels: int = 40_000_000, thumbnail_size: int = 400
) -> ProcessedImage:
    """Check an uploaded image, remove its metadata and make its thumbnail (both steps)."""
    inspected = inspect_image(data, max_pixels=max_pixels, thumbnail_size=thumbnail_size)
    return decode_image(inspected)


def inspect_image(
    data: bytes, *, max_pixels: int = 40_000_000, thumbnail_size: int = 400
) -> InspectedImage:
    """Steps 1-4. Raises ImageRejected when the content is not an image type we take, when it
    has more than `max_pixels` pixels, or when its container is malformed. Pillow's own
    decompression-bomb limit (about 179 megapixels unless PIL.Image.MAX_IMAGE_PIXELS is
    changed) applies above `max_pixels`."""
    content_type = sniff(data[:SNIFF_BYTES])
    if content_type not in IMAGE_TYPES:
        raise ImageRejected("the file is not a JPEG, PNG, GIF or WebP image")
    stripped = strip_metadata(content_type, data)
    if stripped is None:
        raise _undecodable(content_type)
    if stripped.size is not None:
        _check_pixels(stripped.size, max_pixels)
    if content_type == "image/webp":
        # Not opened here: libwebp allocates its canvas as soon as Pillow opens the file.
        pixels = math.prod(stripped.size) if stripped.size else max_pixels
        memory = pixels * _WEBP_BYTES_PER_PIXEL
    else:
        with _open(stripped.data, content_type, max_pixels) as image:
            memory = _decode_memory(image, stripped.data, thumbnail_size)
    return InspectedImage(
        data=stripped.data,
        content_type=content_type,
        orientation=stripped.orientation,
        max_pixels=max_pixels,
        thumbnail_size=thumbnail_size,
        memory=memory + _OVERHEAD,
    )


def decode_image(inspected: InspectedImage) -> ProcessedImage:
    """Steps 5-6. Raises ImageRejected when the data does not decode as its type, or when Pillow
    finds more than `max_pixels` (a GIF frame reaching past its screen)."""
    content_type, orientation = inspected.content_type, inspected.orientation
    with _open(inspected.data, content_type, inspected.max_pixels) as image:
        width, height = image.size
        size = _fitted(image.size, inspected.thumbnail_size)
        try:
            _draft(image, inspected.thumbnail_size)
            image.load()  # the first frame; the only decode
            thumbnail = _thumbnail(image, size, orientation)
        except Image.DecompressionBombError as exc:
            raise _too_large(inspected.max_pixels) from exc
        except Exception as exc:
            raise _undecodable(content_type) from exc
    if orientation in _SWAPS_AXES:
        width, height = height, width
    return ProcessedImage(
        data=inspected.data,
        content_type=content_type,
        width=width,
        height=height,
        thumbnail=thumbnail,
    )


def _open(data: bytes, content_type: str, max_pixels: int) -> Image.Image:
    """Pillow's lazy open (headers only), its size checked again: e.g. a GIF frame reaching
    past its screen makes the image larger than the screen the header states."""
    try:
        image = Image.open(io.BytesIO(data), formats=[_FORMATS[content_type][0]])
    except Image.DecompressionBombError as exc:
        raise _too_large(max_pixels) from exc
    except Exception as exc:
        raise _undecodable(content_type) from exc
    try:
        _check_pixels(image.size, max_pixels)
    except ImageRejected:
        image.close()
        raise
    return image


def _draft(image: Image.Image, thumbnail_size: int) -> None:
    """JPEG only (draft does nothing for other formats): decode at 1/2, 1/4 or 1/8 of the size
    while that stays at least twice the thumbnail's size, as Image.thumbnail would."""
    image.draft(None, (2 * thumbnail_size, 2 * thumbnail_size))


def _decode_memory(image: Image.Image, data: bytes, thumbnail_size: int) -> int:
    """Bytes the decode of this lazily opened JPEG, PNG or GIF takes (an estimate)."""
    pixels = image.width * image.height
    coefficients = 0
    if image.format == "JPEG":
        layers: list[tuple[int, int, int, int]] = getattr(image, "layer", [])
        if layers and (image.info.get("progressive") or data.count(b"\xff\xda") > 1):
            most = max(h for _, h, _, _ in layers) * max(v for _, _, v, _ in layers)
            share = sum(h * v for _, h, v, _ in layers) / most  # subsampled components
            coefficients = math.ceil(pixels * share) * _COEFFICIENT_BYTES
        _draft(image, thumbnail_size)  # the lazy image takes the size it will decode at
        pixels = image.width * image.height
    elif image.format == "GIF":
        pixels *= 2  # measured: up to twice the screen (a first frame with transparency)
    return pixels * _BYTES_PER_PIXEL.get(image.mode, 4) + coefficients


def _undecodable(content_type: str) -> ImageRejected:
    name = _FORMATS[content_type][1]
    return ImageRejected(f"the file could not be decoded as a {name} image")


def _too_large(max_pixels: int) -> ImageRejected:
    return ImageRejected(f"the image is larger than {max_pixels / 1_000_000:g} megapixels")


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    if size[0] * size[1] > max_pixels:
        raise _too_large(max_pixels)


# ---------------------------------------------------------------------------------------------
# Thumbnail


def _thumbnail(image: Image.Image, size: tuple[int, int], orientation: int | None) -> bytes:
    """The loaded first frame at `size` as an upright sRGB JPEG."""
    width, height = image.size  # after a JPEG draft, already a fraction of the stored size
    # Whole boxes of pixels averaged first (as Image.thumbnail's reducing_gap=2 does), then
    # Lanczos for the rest, from at least twice the final size.
    factor = (max(1, width // (2 * size[0])), max(1, height // (2 * size[1])))
    frame = _reduced(image, factor)
    if frame.size != size:
        frame = frame.resize(size, Image.Resampling.LANCZOS)
    if frame.mode == "RGBA":
        flat = Image.new("RGB", frame.size, _WHITE)
        flat.paste(frame, mask=frame.getchannel("A"))
        frame = flat
    frame = _to_srgb(frame, image.info.get("icc_profile"))
    if orientation in _TRANSPOSE:
        frame = frame.transpose(_TRANSPOSE[orientation])
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=_THUMBNAIL_QUALITY, optimize=True)
    return out.getvalue()


def _reduced(image: Image.Image, factor: tuple[int, int]) -> Image.Image:
    """The image in a mode that resamples well, each factor[0] x factor[1] box of pixels
    averaged into one. Done band by band: a full-size converted copy (4 bytes a pixel, twice
    that for the premultiplied alpha of RGBA) would cost more than the decoded image itself."""
    width, height = image.size
    rows = max(1, _BAND_PIXELS // (width * factor[1])) * factor[1]
    bands = [
        _working_copy(image.crop((0, top, width, min(height, top + rows)))).reduce(factor)
        for top in range(0, height, rows)
    ]
    out = Image.new(bands[0].mode, (bands[0].width, sum(band.height for band in bands)))
    top = 0
    for band in bands:
        out.paste(band, (0, top))
        top += band.height
    return out


def _working_copy(band: Image.Image) -> Image.Image:
    """The pixels in a mode that resamples well: RGBA when there is transparency, else L, RGB
    or CMYK (the modes an ICC profile can apply to), all 8 bits per channel. `band` is a copy
    already (a crop), so it is returned as it is when its mode is one of those."""
    mode = band.mode
    if mode.startswith("I"):  # 16-bit grey PNG (I;16): scale to 8 bits instead of clipping
        return band.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in band.info:
        return band.convert("RGBA")
    if mode in ("L", "RGB", "CMYK"):
        return band
    return band.convert("RGB")


def _fitted(size: tuple[int, int], box: int) -> tuple[int, int]:
    """The size within box x box that keeps the aspect ratio, never enlarged (Pillow's
    Image.thumbnail rounding, so thumbnails keep the size they always had)."""
    width, height = size
    if box >= width and box >= height:
        return size
    aspect = width / height
    if aspect <= 1:  # box / box >= aspect: the height fills the box
        candidates = (math.floor(box * aspect), math.ceil(box * aspect))
        fitted = min(candidates, key=lambda n: abs(aspect - n / box))
        return max(fitted, 1), box
    candidates = (math.floor(box / aspect), math.ceil(box / aspect))
    fitted = min(candidates, key=lambda n: 0 if n == 0 else abs(aspect - box / n))
    return box, max(fitted, 1)


def _to_srgb(frame: Image.Image, icc_profile: object) -> Image.Image:
    """RGB pixels in sRGB: converted through the embedded ICC profile where there is one that
    fits (wide-gamut phone photos would look dull otherwise), plainly converted otherwise."""
    if isinstance(icc_profile, bytes) and icc_profile:
        converted = _icc_to_srgb(frame, icc_profile)
        if converted is not None:
            return converted
    return frame.convert("RGB")


def _icc_to_srgb(frame: Image.Image, icc_profile: bytes) -> Image.Image | None:
    try:
        from PIL import ImageCms

        return ImageCms.profileToProfile(
            frame,
            ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)),
            ImageCms.createProfile("sRGB"),
            outputMode="RGB",
        )
    except Exception:  # Pillow built without lcms, or a profile that does not fit the pixels
        return None
