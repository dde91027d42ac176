"""Response models of the media endpoints (docs/api.md, "Media uploads")."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ImagePolicyOut(BaseModel):
    access_id: str = Field(examples=["local"])
    host: str = Field(examples=["https://reviews.example.com/media"])
    expire: str = Field(examples=["1780644716"])
    signature: str
    policy: str
    dir: str = Field(examples=["61234567890/2026/6/5/9b1c2f0e7a4d4e1b/"])
    callback: str
    upload_url: str = Field(description="[ext] where to POST the form")
    fields: dict[str, str] = Field(description="[ext] the exact form fields to send, then `file`")


class VideoUploadOut(BaseModel):
    upload_url: str
    url: str = Field(description="the public URL to use in create_review with type 2")
    expire: str = Field(examples=["1780644716"])
    headers: dict[str, str] = Field(description="[ext] headers the PUT must carry")


class UploadedOut(BaseModel):
    url: str
    thumbnail_url: str | None = Field(default=None, description="images only")
    key: str
    size: int
    content_type: str
