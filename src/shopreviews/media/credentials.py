"""get_image_upload_policy_token and get_video_upload_url: short-lived upload credentials for
the configured backend (docs/api.md, "Media uploads")."""

from __future__ import annotations

from shopreviews.auth.caller import Caller
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import InvalidArgument
from shopreviews.kit.storage import S3Storage
from shopreviews.kit.storage.s3 import post_policy_expiry, presigned_url_expiry
from shopreviews.media import keys, policy
from shopreviews.media.schemas import ImagePolicyOut, VideoUploadOut
from shopreviews.media.sniff import IMAGE_TYPES, VIDEO_TYPES, type_for_extension

FILENAME = "${filename}"


def image_policy(ctx: AppContext, caller: Caller, content_type: str | None) -> ImagePolicyOut:
    """get_image_upload_policy_token: a fresh key prefix of the caller's shop."""
    settings = ctx.settings
    return signed_image_policy(
        ctx,
        keys.new_dir(caller.shop_id, ctx.now_datetime()),
        content_type,
        max_bytes=settings.image_max_bytes,
        lifetime=settings.upload_credential_seconds,
    )


def signed_image_policy(
    ctx: AppContext, prefix: str, content_type: str | None, *, max_bytes: int, lifetime: int
) -> ImagePolicyOut:
    """Credentials for image uploads under `prefix`, each 1 to `max_bytes` bytes, valid
    `lifetime` seconds, for the configured backend (the answer of get_image_upload_policy_token,
    also given to storefronts: docs/storefront.md §3.1)."""
    content_type = (content_type or "image/jpeg").strip().lower()
    if content_type not in IMAGE_TYPES:
        raise InvalidArgument(f"content_type must be one of {', '.join(IMAGE_TYPES)}")
    expires = ctx.now() + lifetime
    storage = ctx.media_storage()
    if isinstance(storage, S3Storage):
        post = storage.presigned_post(
            prefix + FILENAME,
            content_type=content_type,
            max_bytes=max_bytes,
            expires_in=lifetime,
        )
        fields = {str(k): str(v) for k, v in post["fields"].items()}
        return ImagePolicyOut(
            access_id=fields.get("x-amz-credential", "").split("/", 1)[0],
            host=ctx.media_url,
            expire=str(post_policy_expiry(fields["policy"])),
            signature=fields.get("x-amz-signature", ""),
            policy=fields.get("policy", ""),
            dir=prefix,
            callback="",
            upload_url=str(post["url"]),
            fields=fields,
        )
    signed, signature = policy.image_policy(
        ctx.upload_key, prefix=prefix, max_bytes=max_bytes, expires=expires
    )
    callback = policy.callback()
    return ImagePolicyOut(
        access_id="local",
        host=ctx.media_url,
        expire=str(expires),
        signature=signature,
        policy=signed,
        dir=prefix,
        callback=callback,
        upload_url=f"{ctx.public_url}/media",
        fields={
            "key": prefix + FILENAME,
            "policy": signed,
            "OSSAccessKeyId": "local",
            "Signature": signature,
            "callback": callback,
            "success_action_status": "200",
        },
    )


def _video_type(file_name: str | None, content_type: str | None) -> tuple[str, str]:
    """(sanitised file name, content type) by the rules of get_video_upload_url."""
    if content_type is not None:
        content_type = content_type.strip().lower()
        if content_type not in VIDEO_TYPES:
            raise InvalidArgument(f"content_type must be one of {', '.join(VIDEO_TYPES)}")
    by_name = None
    if file_name and "." in file_name.rsplit("/", 1)[-1]:
        by_name = type_for_extension(file_name)
        if by_name not in VIDEO_TYPES:
            raise InvalidArgument("file_name must have a video extension (.mp4, .mov or .webm)")
        if content_type is not None and by_name != content_type:
            raise InvalidArgument(f"file_name's extension does not match {content_type}")
    resolved = content_type or by_name
    if resolved is None:
        raise InvalidArgument("give content_type, or a file_name with a video extension")
    extension = VIDEO_TYPES[resolved][0]
    name = keys.sanitise_file_name(file_name) if file_name else "video" + extension
    if by_name is None and not name.lower().endswith(VIDEO_TYPES[resolved]):
        # Still at most 100 characters with the extension added (decision 65).
        name = name[: keys.MAX_FILE_NAME - len(extension)] + extension
    return name, resolved


def video_upload(
    ctx: AppContext,
    caller: Caller,
    *,
    file_name: str | None,
    content_type: str | None,
    file_size: int | None,
) -> VideoUploadOut:
    settings = ctx.settings
    if file_size is not None and not 1 <= file_size <= settings.video_max_bytes:
        raise InvalidArgument(f"file_size must be from 1 to {settings.video_max_bytes}")
    name, resolved = _video_type(file_name, content_type)
    key = keys.new_dir(caller.shop_id, ctx.now_datetime()) + name
    expires = ctx.now() + settings.upload_credential_seconds
    headers = {"Content-Type": resolved}
    if file_size:
        headers["Content-Length"] = str(file_size)
    storage = ctx.media_storage()
    if isinstance(storage, S3Storage):
        upload_url = storage.presigned_put(
            key,
            content_type=resolved,
            size=file_size,
            expires_in=settings.upload_credential_seconds,
        )
        expires = presigned_url_expiry(upload_url)
    else:
        token = policy.video_token(
            ctx.upload_key,
            policy.VideoGrant(
                key=key,
                content_type=resolved,
                max_bytes=settings.video_max_bytes,
                exact_size=file_size or 0,
                expires=expires,
            ),
        )
        upload_url = f"{ctx.public_url}/media/upload/{token}"
    return VideoUploadOut(
        upload_url=upload_url, url=f"{ctx.media_url}/{key}", expire=str(expires), headers=headers
    )
