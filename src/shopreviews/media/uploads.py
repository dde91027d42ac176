"""Receiving uploads on the local backend: the image POST and the video PUT (docs/api.md, "Media
uploads"), with the contract's checks in the contract's order."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit import locks
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import AlreadyExists, InvalidArgument, Rejected, Unauthenticated
from shopreviews.kit.storage import KeyTaken, LocalStorage
from shopreviews.kit.storage.local import NAME_MAX
from shopreviews.media import image_work, keys, policy
from shopreviews.media.images import ImageRejected
from shopreviews.media.models import VIDEO, MediaUpload
from shopreviews.media.repository import UploadRepository
from shopreviews.media.schemas import UploadedOut
from shopreviews.media.sniff import IMAGE_TYPES, SNIFF_BYTES, sniff

FTYP = ("video/mp4", "video/quicktime")  # one container family: the brand is not a type


def _local(ctx: AppContext) -> LocalStorage:
    storage = ctx.media_storage()
    if not isinstance(storage, LocalStorage):
        raise InvalidArgument("uploads go straight to the bucket with this server's storage")
    return storage


@dataclass(frozen=True)
class ImageUpload:
    """The image form as posted: its fields ("" when left out) and its one file."""

    policy: str
    signature: str
    access_key_id: str
    key: str
    file_name: str
    data: bytes


async def receive_image(ctx: AppContext, upload: ImageUpload) -> UploadedOut:
    """A verified image upload: stored without its metadata, with its thumbnail, recorded.

    The database is only used at the end, in a short transaction of its own: the request's
    body (the slow part, paced by the client) has been read before, and a write transaction
    held while it arrives would stop every other writer (SQLite) or hold a pooled connection
    (PostgreSQL) for as long as the client takes."""
    storage = _local(ctx)
    terms = policy.read_image_policy(ctx.upload_key, upload.policy, upload.signature)
    if terms is None or not hmac.compare_digest(upload.access_key_id, "local"):
        raise Unauthenticated("the upload policy or its signature is not valid")
    if terms.expires <= ctx.now():
        raise Unauthenticated("the upload policy has expired")
    key = upload.key.replace("${filename}", keys.sanitise_file_name(upload.file_name))
    if not key.startswith(terms.prefix):
        raise InvalidArgument(f"key must start with {terms.prefix}")
    problem = keys.key_problem(key)
    if problem:
        raise InvalidArgument(problem)
    if not storage.fits(keys.thumbnail_key(key)):
        # Else the file system refuses the name: an internal error, or a stored original
        # whose thumbnail cannot be written.
        raise InvalidArgument(
            f"key: each part between slashes must be at most {NAME_MAX} characters, the file "
            f"name at most {NAME_MAX - len(keys.THUMBNAIL_SUFFIX)} (its thumbnail's is longer)"
        )
    if not any(key.lower().endswith(ext) for exts in IMAGE_TYPES.values() for ext in exts):
        raise InvalidArgument("key must end in an image extension (.jpg, .jpeg, .png, .gif, .webp)")
    if not terms.min_bytes <= len(upload.data) <= terms.max_bytes:
        raise InvalidArgument(f"file must be {terms.min_bytes} to {terms.max_bytes} bytes")
    try:
        # CPU-bound (up to ~0.3 s for 40 megapixels) and memory-bound: in a worker thread,
        # within the process's decoding memory.
        image = await image_work.process_image(
            ctx.image_budget, upload.data, max_pixels=ctx.settings.image_max_pixels
        )
    except ImageRejected as exc:
        raise InvalidArgument(f"file: {exc}") from None
    thumbnail = keys.thumbnail_key(key)
    async with ctx.db.session(write=True) as session:
        uploads = UploadRepository(session)
        await _within_policy_count(session, uploads, terms.prefix)
        if await uploads.by_key(key) is not None:
            raise AlreadyExists(f"an upload with key {key}")
        try:
            await storage.put(key, image.data, image.content_type)
        except KeyTaken:
            raise AlreadyExists(f"an upload with key {key}") from None
        await storage.replace(thumbnail, image.thumbnail, "image/jpeg")
        await uploads.add(
            MediaUpload.for_image(key, image, thumbnail, created_at=ctx.now_datetime())
        )
    return UploadedOut(
        url=f"{ctx.media_url}/{key}",
        thumbnail_url=f"{ctx.media_url}/{thumbnail}",
        key=key,
        size=len(image.data),
        content_type=image.content_type,
    )


async def _within_policy_count(
    session: AsyncSession, uploads: UploadRepository, prefix: str
) -> None:
    """A storefront policy (docs/storefront.md §3.1) allows a few files under its prefix:
    counted here, under a lock of the prefix, so concurrent uploads cannot pass it together.
    The partner API's policies are not recorded and have no count."""
    recorded = await uploads.policy(prefix)
    if recorded is None:
        return
    await locks.hold(session, f"upload-policy:{prefix}")
    if await uploads.count_under(prefix) >= recorded.max_files:
        raise Rejected(f"this upload policy allows at most {recorded.max_files} files")


def read_video_grant(ctx: AppContext, token: str) -> policy.VideoGrant:
    grant = policy.read_video_token(ctx.upload_key, token)
    if grant is None:
        raise Unauthenticated("the upload token is not valid")
    if grant.expires <= ctx.now():
        raise Unauthenticated("the upload token has expired")
    return grant


def check_video_headers(grant: policy.VideoGrant, content_type: str, length: str | None) -> int:
    """The declared type and length against the grant; returns the length."""
    if content_type.split(";", 1)[0].strip().lower() != grant.content_type:
        raise InvalidArgument(f"Content-Type must be {grant.content_type}")
    if length is None or not (length.isascii() and length.isdigit()):
        raise InvalidArgument("Content-Length is required")
    size = int(length)
    if not 1 <= size <= grant.max_bytes:
        raise InvalidArgument(f"the video must be 1 to {grant.max_bytes} bytes")
    if grant.exact_size and size != grant.exact_size:
        raise InvalidArgument(f"the video must be exactly {grant.exact_size} bytes")
    return size


async def receive_video(
    ctx: AppContext,
    grant: policy.VideoGrant,
    *,
    declared_size: int,
    body: AsyncIterator[bytes],
) -> UploadedOut:
    """Stream the body to a temporary file (never past the grant's maximum), check its content,
    then publish it under the key. No database connection is held while the body arrives (see
    receive_image); the key's uniqueness is checked last, as the contract orders the checks."""
    storage = _local(ctx)
    with storage.temporary_file() as fh:
        temp = anyio.Path(fh.name)
    try:
        size = 0
        head = b""
        async with await anyio.open_file(temp, "wb") as out:
            async for chunk in body:
                size += len(chunk)
                if size > grant.max_bytes or size > declared_size:
                    raise InvalidArgument("the body is longer than its Content-Length allows")
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                await out.write(chunk)
        if size != declared_size:
            raise InvalidArgument("the body is shorter than its Content-Length")
        found = sniff(head)
        same = found == grant.content_type or (found in FTYP and grant.content_type in FTYP)
        if not same:
            raise InvalidArgument(f"the content is not a {grant.content_type} video")
        async with ctx.db.session(write=True) as session:
            uploads = UploadRepository(session)
            if await uploads.by_key(grant.key) is not None:
                raise AlreadyExists(f"an upload with key {grant.key}")
            try:
                await storage.put_file(grant.key, Path(temp), grant.content_type)
            except KeyTaken:
                raise AlreadyExists(f"an upload with key {grant.key}") from None
            await uploads.add(
                MediaUpload(
                    shop_id=keys.shop_of(grant.key),
                    key=grant.key,
                    kind=VIDEO,
                    content_type=grant.content_type,
                    size=size,
                    created_at=ctx.now_datetime(),
                )
            )
    finally:
        await temp.unlink(missing_ok=True)
    return UploadedOut(
        url=f"{ctx.media_url}/{grant.key}",
        key=grant.key,
        size=size,
        content_type=grant.content_type,
    )
