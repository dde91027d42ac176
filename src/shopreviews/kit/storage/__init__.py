"""Where uploaded media live: a local directory (the embedded default) or an S3-compatible
bucket, behind one small interface."""

from shopreviews.kit.storage.base import KeyTaken, ObjectInfo, Storage
from shopreviews.kit.storage.local import LocalStorage
from shopreviews.kit.storage.s3 import S3Storage
from shopreviews.settings import Settings

__all__ = ["KeyTaken", "LocalStorage", "ObjectInfo", "S3Storage", "Storage", "build_storage"]


def build_storage(settings: Settings) -> Storage:
    if settings.storage_backend == "s3":
        return S3Storage(settings)
    return LocalStorage(settings.media_dir)
