"""Routes of media uploads (docs/api.md, "Media uploads"): the partner API's upload credentials,
and the local backend's own endpoints: the image POST, the video PUT, their CORS preflights, and
serving files under /media/{key}. Errors of the local endpoints are envelopes; every answer of
the upload endpoints carries the open CORS headers, so browsers can read them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect
from starlette.types import Message

from shopreviews.auth.caller import Caller
from shopreviews.auth.dependencies import api_caller
from shopreviews.kit.dependencies import Ctx, Query, ReadSession
from shopreviews.kit.envelope import (
    CANCELLED,
    ApiError,
    Envelope,
    InvalidArgument,
    NotFound,
    error_response,
    success_response,
)
from shopreviews.kit.openapi_params import param, query_doc
from shopreviews.kit.storage import LocalStorage
from shopreviews.media import credentials, keys, uploads
from shopreviews.media.repository import UploadRepository
from shopreviews.media.schemas import ImagePolicyOut, UploadedOut, VideoUploadOut
from shopreviews.media.sniff import IMAGE_TYPES, VIDEO_TYPES

router = APIRouter(tags=["media"])
WriteReviews = Annotated[Caller, Depends(api_caller("write_reviews"))]


@router.get(
    "/api/v1/openapi/get_image_upload_policy_token",
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
    "/api/v1/openapi/get_video_upload_url",
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


# --- the local backend's endpoints ----------------------------------------------------------

files_router = APIRouter(include_in_schema=False)
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, PUT, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
}
SUCCESS_STATUSES = {"200": 200, "201": 201, "204": 204}
FORM_OVERHEAD = 64 * 1024  # the policy, signature and other fields around the file


class _TooLarge(Exception):
    pass


def _ok(data: UploadedOut, status: int = 200) -> Response:
    if status == 204:
        return Response(status_code=204, headers=CORS)
    return success_response(data.model_dump(exclude_none=True), status=status, headers=CORS)


async def _with_cors(work: Callable[[], Awaitable[Response]]) -> Response:
    try:
        return await work()
    except ApiError as exc:
        return error_response(exc, headers={**CORS, **exc.headers})
    except ClientDisconnect:
        # A client that gives up mid-upload (a phone losing its connection) is no server
        # failure: no error log, 499 in the access log. Nobody reads the answer.
        gone = ApiError(CANCELLED, "the client went away during the upload")
        return error_response(gone, headers=CORS)


@files_router.options("/media")
@files_router.options("/media/upload/{token}")
async def preflight() -> Response:
    return Response(status_code=204, headers={**CORS, "Access-Control-Max-Age": "600"})


def _capped(request: Request, limit: int) -> Request:
    """The request with its body cut off past `limit` bytes (reading stops there)."""
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise _TooLarge
        return message

    return Request(request.scope, receive)


# The upload routes take no request session: the body arrives first (as slowly as the client
# sends it), and uploads.py opens a short transaction once it is in (see receive_image).
@files_router.post("/media")
async def upload_image(request: Request, ctx: Ctx) -> Response:
    async def work() -> Response:
        limit = ctx.settings.image_max_bytes + FORM_OVERHEAD
        try:
            form = await _capped(request, limit).form(max_files=1, max_fields=20)
        except _TooLarge:
            raise InvalidArgument(
                f"file must be at most {ctx.settings.image_max_bytes} bytes"
            ) from None
        except (MultiPartException, HTTPException) as exc:
            # Starlette reports a bad form (too many files or fields, a malformed body) as an
            # HTTPException 400 inside an app: answered here, so it carries the CORS headers.
            detail = exc.detail if isinstance(exc, HTTPException) else exc.message
            raise InvalidArgument(f"the body is not a valid multipart form: {detail}") from None
        try:
            items = form.multi_items()
            files = [(name, value) for name, value in items if isinstance(value, UploadFile)]
            if len(files) != 1 or files[0][0] != "file" or items[-1][0] != "file":
                raise InvalidArgument("send exactly one file, as the form's last field, named file")
            upload = files[0][1]
            assert isinstance(upload, UploadFile)
            fields = {name: value for name, value in items if isinstance(value, str)}
            status = fields.get("success_action_status", "200")
            if status not in SUCCESS_STATUSES:
                raise InvalidArgument("success_action_status must be 200, 201 or 204")
            image = uploads.ImageUpload(
                policy=fields.get("policy", ""),
                signature=fields.get("Signature", ""),
                access_key_id=fields.get("OSSAccessKeyId", ""),
                key=fields.get("key", ""),
                file_name=upload.filename or "",
                # All of it (the form as a whole is capped above): cut at the current setting,
                # a file under a policy issued before the limit was lowered would be judged on
                # its start.
                data=await upload.read(),
            )
        finally:
            await form.close()  # the spooled file; FastAPI closes only forms it parsed itself
        result = await uploads.receive_image(ctx, image)
        return _ok(result, SUCCESS_STATUSES[status])

    return await _with_cors(work)


@files_router.put("/media/upload/{token}")
async def upload_video(token: str, request: Request, ctx: Ctx) -> Response:
    async def work() -> Response:
        grant = uploads.read_video_grant(ctx, token)
        size = uploads.check_video_headers(
            grant, request.headers.get("content-type", ""), request.headers.get("content-length")
        )

        async def body() -> AsyncIterator[bytes]:
            async for chunk in request.stream():
                yield chunk

        result = await uploads.receive_video(ctx, grant, declared_size=size, body=body())
        return _ok(result)

    return await _with_cors(work)


# HEAD as well: CDNs, caches and link checkers ask for the headers alone (the body is left out).
@files_router.api_route("/media/{key:path}", methods=["GET", "HEAD"])
async def serve(key: str, ctx: Ctx, session: ReadSession) -> Response:
    storage = ctx.media_storage()
    original = key.removesuffix(keys.THUMBNAIL_SUFFIX)
    # The key rules first: a key no upload can have (say with a NUL, which PostgreSQL refuses
    # in a query) is not looked up at all.
    if not isinstance(storage, LocalStorage) or keys.key_problem(original):
        raise NotFound(f"no media file {key}")
    record = await UploadRepository(session).by_key(original)
    if record is None:
        raise NotFound(f"no media file {key}")
    if key != original and record.thumbnail_key != key:
        raise NotFound(f"no media file {key}")
    path = storage.path(key)
    if not path.is_file():
        raise NotFound(f"no media file {key}")
    return FileResponse(
        path,
        media_type="image/jpeg" if key != original else record.content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )
