"""Media in an S3-compatible bucket (boto3; its blocking calls run in a thread)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from shopreviews.kit.storage.base import ObjectInfo
from shopreviews.settings import Settings

log = logging.getLogger("shopreviews.storage")


class S3Storage:
    name = "s3"

    def __init__(self, settings: Settings) -> None:
        if not settings.s3_bucket:
            raise ValueError("SHOPREVIEWS_S3_BUCKET is required with the s3 storage backend")
        self.bucket = settings.s3_bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=(
                settings.s3_secret_access_key.get_secret_value()
                if settings.s3_secret_access_key
                else None
            ),
            aws_session_token=(
                settings.s3_session_token.get_secret_value() if settings.s3_session_token else None
            ),
            config=Config(signature_version="s3v4", retries={"max_attempts": 3}),
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self.replace(key, data, content_type)

    async def replace(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
        )

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.upload_file,
            str(path),
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type},
        )

    async def head(self, key: str) -> ObjectInfo | None:
        try:
            answer = await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("404", "NoSuchKey", "NotFound"):
                return None
            if code in ("403", "AccessDenied", "Forbidden"):
                # AWS answers a HEAD of a missing key with 403, not 404, when the credentials
                # lack s3:ListBucket (which the server does not otherwise need).
                log.warning("HEAD of s3 object %s was refused (403): taken as missing", key)
                return None
            raise
        return ObjectInfo(
            size=int(answer["ContentLength"]), content_type=str(answer.get("ContentType", ""))
        )

    async def read(self, key: str, limit: int) -> bytes:
        def read() -> bytes:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            data: bytes = body.read(limit + 1)
            body.close()
            if len(data) > limit:
                raise ValueError(f"object larger than {limit} bytes")
            return data

        return await asyncio.to_thread(read)

    async def read_head(self, key: str, length: int) -> bytes:
        def read() -> bytes:
            answer = self.client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes=0-{max(0, length - 1)}"
            )
            data: bytes = answer["Body"].read(length)
            return data

        return await asyncio.to_thread(read)

    def presigned_post(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int
    ) -> dict[str, Any]:
        """An S3 POST policy: the key prefix, size range, Content-Type and status fixed."""
        prefix = key.rsplit("/", 1)[0] + "/"
        fields = {"Content-Type": content_type, "success_action_status": "201"}
        conditions: list[Any] = [
            ["starts-with", "$key", prefix],
            ["content-length-range", 1, max_bytes],
            {"Content-Type": content_type},
            {"success_action_status": "201"},
        ]
        result: dict[str, Any] = self.client.generate_presigned_post(
            self.bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
        )
        return result

    def presigned_put(
        self, key: str, *, content_type: str, size: int | None, expires_in: int
    ) -> str:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "ContentType": content_type}
        if size:
            params["ContentLength"] = size
        url: str = self.client.generate_presigned_url(
            "put_object", Params=params, ExpiresIn=expires_in, HttpMethod="PUT"
        )
        return url


# The presigner reads the system clock itself; these read back the expiry it signed, so what
# the API reports as `expire` is exactly when S3 stops accepting the credentials.


def post_policy_expiry(policy: str) -> int:
    """Unix seconds of a presigned POST policy's `expiration` (the base64 `policy` field)."""
    expiration = json.loads(base64.b64decode(policy))["expiration"]
    return _unix(datetime.strptime(expiration, "%Y-%m-%dT%H:%M:%SZ"))


def presigned_url_expiry(url: str) -> int:
    """Unix seconds when a SigV4 presigned URL expires (X-Amz-Date + X-Amz-Expires)."""
    query = parse_qs(urlsplit(url).query)
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    return _unix(signed_at) + int(query["X-Amz-Expires"][0])


def _unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())
