"""Partner API routes of media uploads (spec media.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from shopreviews.auth.caller import Caller
from shopreviews.auth.dependencies import Ctx, Query, api_caller
from shopreviews.kit.envelope import Envelope, InvalidArgument
from shopreviews.kit.openapi_params import param, query_doc
from shopreviews.media import credentials
from shopreviews.media.schemas import ImagePolicyOut, VideoUploadOut
from shopreviews.media.sniff import IMAGE_TYPES, VIDEO_TYPES

router = APIRouter(prefix="/api/v1/openapi", tags=["media"])
WriteReviews = Annotated[Caller, Depends(api_caller("write_reviews"))]


@router.get(
    "/get_image_upload_policy_token",
    response_model=Envelope[ImagePolicyOut],
    openapi_extra=query_doc(
        param("content_type", "[ext] the image type (default image/jpeg)", enum=list(IMAGE_TYPES))
    ),
)
async def get_image_upload_policy_token(
    caller: WriteReviews, ctx: Ctx, query: Query
) -> Envelope[ImagePolicyOut]:
    """Credentials to upload review images straight to storage (valid 600 s)."""
    return Envelope(data=credentials.image_policy(ctx, caller, query.scalar("content_type")))


@router.get(
    "/get_video_upload_url",
    response_model=Envelope[VideoUploadOut],
    openapi_extra=query_doc(
        param("file_name", "the file's name; its extension must be a video extension"),
        param("content_type", "video type (else from file_name)", enum=list(VIDEO_TYPES)),
        param("file_size", "[ext] exact size in bytes the upload must have", type_="integer"),
    ),
)
async def get_video_upload_url(
    caller: WriteReviews, ctx: Ctx, query: Query
) -> Envelope[VideoUploadOut]:
    """A URL to PUT one review video to (valid 600 s), and its final public URL."""
    size_text = query.scalar("file_size")
    file_size = None
    if size_text is not None:
        if not size_text.isascii() or not size_text.isdigit() or len(size_text) > 15:
            raise InvalidArgument("file_size must be an integer number of bytes")
        file_size = int(size_text)
    return Envelope(
        data=credentials.video_upload(
            ctx,
            caller,
            file_name=query.scalar("file_name"),
            content_type=query.scalar("content_type"),
            file_size=file_size,
        )
    )
