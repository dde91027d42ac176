"""Media URLs of create_review that point at this server's storage (docs/api.md,
"Media uploads"): they must name an upload of the caller's shop, of the item's type and
within the limits. On the s3 backend the object is checked (and an image processed) on its
first use, then recorded, so later uses need no storage request."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import InvalidArgument
from shopreviews.kit.storage import LocalStorage
from shopreviews.media import image_work, keys
from shopreviews.media.images import ImageRejected
from shopreviews.media.models import IMAGE, VIDEO, MediaUpload
from shopreviews.media.repository import UploadRepository
from shopreviews.media.sniff import (
    IMAGE_TYPES,
    SNIFF_BYTES,
    VIDEO_TYPES,
    sniff,
    type_for_extension,
)

KINDS = {1: IMAGE, 2: VIDEO}


class ReviewMedia:
    def __init__(self, ctx: AppContext, session: AsyncSession) -> None:
        self.ctx = ctx
        self.session = session
        self.prefix = ctx.media_url + "/"

    async def resolve(self, shop_id: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The items, with uploads checked and images given their thumbnail; code 3 naming
        the item otherwise. URLs on other hosts pass unchanged."""
        resolved = []
        for index, item in enumerate(items):
            url = str(item["url"])
            if not url.startswith(self.prefix):
                resolved.append(item)
                continue
            field = f"media[{index}]"
            key = url[len(self.prefix) :]
            if keys.key_problem(key) or keys.shop_of(key) != shop_id:
                raise InvalidArgument(f"{field}.url is not a file uploaded by this shop")
            kind = KINDS[int(item["type"])]
            upload = await self._upload(key, field, kind)
            if upload.kind != kind:
                raise InvalidArgument(f"{field}.type says {kind} but the file is {upload.kind}")
            self._check_limits(upload, field)
            if kind == IMAGE and upload.thumbnail_key and item.get("thumbnail_url") in ("", url):
                item = {**item, "thumbnail_url": self.prefix + upload.thumbnail_key}
            resolved.append(item)
        return resolved

    async def _upload(self, key: str, field: str, kind: str) -> MediaUpload:
        uploads = UploadRepository(self.session)
        found = await uploads.by_key(key)
        if found is not None:
            return found
        if isinstance(self.ctx.media_storage(), LocalStorage):
            raise InvalidArgument(f"{field}.url names no uploaded file")
        # An unrecorded object must lie where credentials let uploads go (decision 66). A
        # recorded local upload came through a policy, whose key rules allow any key under
        # its dir (sub-paths, longer names): its record is the proof.
        if not keys.is_issued_shape(key):
            raise InvalidArgument(f"{field}.url is not a file uploaded by this shop")
        return await uploads.add(await self._check_object(key, field, kind))

    def _check_limits(self, upload: MediaUpload, field: str) -> None:
        """Step 3 of "Using uploads in reviews", on every use: the operator may have lowered
        a limit since the file was recorded."""
        settings = self.ctx.settings
        if upload.kind == IMAGE:
            limit, types = settings.image_max_bytes, IMAGE_TYPES
        else:
            limit, types = settings.video_max_bytes, VIDEO_TYPES
        if upload.content_type not in types:
            raise InvalidArgument(f"{field}.url is not an allowed {upload.kind} type")
        if not 1 <= upload.size <= limit:
            raise InvalidArgument(f"{field}: the {upload.kind} is over {limit} bytes")

    async def _check_object(self, key: str, field: str, kind: str) -> MediaUpload:
        """First use of an object in the bucket: it must exist, and its bytes must be an
        allowed type within the limits (S3 cannot check content at upload time), of the kind
        its name says (the image form lets the client pick any name in its directory) and of
        the item's kind (checked before an image is downloaded)."""
        storage = self.ctx.media_storage()
        settings = self.ctx.settings
        info = await storage.head(key)
        if info is None:
            raise InvalidArgument(f"{field}.url names no uploaded file")
        if info.size < 1:
            raise InvalidArgument(f"{field}.url names an empty file")
        found = sniff(await storage.read_head(key, SNIFF_BYTES))
        found_kind = _kind_of(found)
        if found_kind is None:
            raise InvalidArgument(f"{field}.url is not an allowed image or video type")
        name = key.rsplit("/", 1)[-1]
        if _kind_of(type_for_extension(name)) != found_kind:
            raise InvalidArgument(
                f"{field}.url: the file name {name} does not name the {found_kind} it holds"
            )
        if found_kind != kind:
            raise InvalidArgument(f"{field}.type says {kind} but the file is {found_kind}")
        now = self.ctx.now_datetime()
        if found in VIDEO_TYPES:
            if info.size > settings.video_max_bytes:
                raise InvalidArgument(
                    f"{field}: the video is over {settings.video_max_bytes} bytes"
                )
            return MediaUpload(
                shop_id=keys.shop_of(key),
                key=key,
                kind=VIDEO,
                content_type=found,
                size=info.size,
                created_at=now,
            )
        if info.size > settings.image_max_bytes:
            raise InvalidArgument(f"{field}: the image is over {settings.image_max_bytes} bytes")
        try:
            data = await storage.read(key, settings.image_max_bytes)
        except ValueError:  # replaced by a larger object since the HEAD
            raise InvalidArgument(
                f"{field}: the image is over {settings.image_max_bytes} bytes"
            ) from None
        try:
            image = await image_work.process_image(
                self.ctx.image_budget, data, max_pixels=settings.image_max_pixels
            )
        except ImageRejected as exc:
            raise InvalidArgument(f"{field}: {exc}") from None
        if image.data is not data:  # metadata removed: keep only the clean copy
            await storage.replace(key, image.data, image.content_type)
        thumbnail = keys.thumbnail_key(key)
        await storage.replace(thumbnail, image.thumbnail, "image/jpeg")
        return MediaUpload.for_image(key, image, thumbnail, created_at=now)


def _kind_of(content_type: str | None) -> str | None:
    if content_type in IMAGE_TYPES:
        return IMAGE
    if content_type in VIDEO_TYPES:
        return VIDEO
    return None
