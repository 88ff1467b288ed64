"""S3 reads and writes with imgfan's error classes: what can be retried and what cannot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as NetworkError

from imgfan_core.errors import ImageTooLarge, InvalidOverlay, SourceMissing, SourceSuperseded, TransientError

if TYPE_CHECKING:
    from imgfan_core.contract import SourceRef
    from imgfan_core.source_cache import SourceCache

_MISSING_CODES = {"NoSuchKey", "NoSuchVersion", "404", "NotFound"}
_REPLACED_CODES = {"PreconditionFailed", "412"}
_THROTTLING_CODES = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError", "503", "500"}
# A GET answers AccessDenied with a body; a HEAD has none, so botocore names it by its status.
_DENIED_CODES = {"AccessDenied", "403"}


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def retryable(exc: Exception, what: str) -> Exception:
    """TransientError for what S3 answers under load and for network failures; else ``exc`` itself."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        return TransientError(f"{what}: S3 {code}, will retry") if code in _THROTTLING_CODES else exc
    if isinstance(exc, (NetworkError, HTTPClientError)):
        return TransientError(f"{what}: {exc}")
    # Bad parameters or missing credentials: a retry cannot fix them.
    return exc


def missing(s3: Any, exc: Exception, bucket: str, key: str) -> bool:
    """Whether a GET, HEAD or conditional PUT of ``key`` failed because no object is there.

    S3 answers a request for a missing key with 404 NoSuchKey only if the caller has
    ``s3:ListBucket`` on the bucket, else with 403 AccessDenied (API_GetObject.html and
    API_HeadObject.html, "Permissions": https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
    The roles hold ListBucket only with an ``s3:prefix`` condition, and whether that counts is not
    documented. So a 403 is settled by asking ListObjectsV2, which the prefix condition allows,
    whether the key is there: absent, it is missing; present, the denial is real and stands.
    """
    if not isinstance(exc, ClientError):
        return False
    code = error_code(exc)
    if code in _MISSING_CODES:
        return True
    return code in _DENIED_CODES and not _listed(s3, bucket, key)


def _listed(s3: Any, bucket: str, key: str) -> bool:
    # Keys list in UTF-8 binary order and a key sorts before every longer key it begins, so when
    # ``key`` exists it is the first entry under Prefix=key.
    try:
        page = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    except (ClientError, BotoCoreError) as exc:
        raise retryable(exc, f"listing s3://{bucket}/{key} to tell a missing key from a denied one") from exc
    return any(item["Key"] == key for item in page.get("Contents", []))


def _classify_source_error(exc: Exception, what: str) -> Exception:
    """What a failed read of a source that is there (``missing`` said no) means."""
    if isinstance(exc, ClientError) and error_code(exc) in _REPLACED_CODES:
        return SourceSuperseded(f"{what} was replaced by a newer upload; that upload's execution renders it")
    return retryable(exc, what)


@dataclass(frozen=True)
class SourceState:
    """What the source key holds now."""

    exists: bool
    etag: str | None = None
    version_id: str | None = None
    last_modified: datetime | None = None


@dataclass(frozen=True)
class SourceObject:
    data: bytes = field(repr=False)
    # S3 user metadata (x-amz-meta-*), lower-cased keys: e.g. the focal point "focus".
    metadata: dict[str, str] = field(default_factory=dict)


def read_source(s3: Any, source: SourceRef, max_bytes: int,
                cache: SourceCache[SourceObject] | None = None) -> SourceObject:
    """The source object's bytes and user metadata, refusing objects over ``max_bytes`` before
    downloading them; from ``cache`` when this sandbox already read the same revision."""
    cached = cache.get(source) if cache is not None else None
    if cached is not None:
        if len(cached.data) > max_bytes:
            raise _too_large(len(cached.data), max_bytes)
        return cached
    found = _get_source(s3, source, max_bytes)
    if cache is not None:
        cache.put(source, found)
    return found


def _too_large(length: int, max_bytes: int) -> ImageTooLarge:
    return ImageTooLarge(f"source is {length:,} bytes, over the limit of {max_bytes:,} (limits.max_input_bytes)")


def _get_source(s3: Any, source: SourceRef, max_bytes: int) -> SourceObject:
    what = f"s3://{source.bucket}/{source.key}"
    request = {"Bucket": source.bucket, "Key": source.key}
    if source.version_id:
        request["VersionId"] = source.version_id
    elif source.etag:
        # Without versioning, the key may already hold a newer upload: render only the bytes the
        # event named, or their variants would be fingerprinted with the wrong ETag.
        request["IfMatch"] = source.etag
    try:
        response = s3.get_object(**request)
        if response["ContentLength"] > max_bytes:
            response["Body"].close()
            raise _too_large(response["ContentLength"], max_bytes)
        return SourceObject(response["Body"].read(), response.get("Metadata") or {})
    except (ClientError, BotoCoreError) as exc:
        if missing(s3, exc, source.bucket, source.key):
            raise SourceMissing(f"{what} does not exist (deleted before it was processed?)") from exc
        raise _classify_source_error(exc, what) from exc


def read_overlay(s3: Any, bucket: str, key: str, max_bytes: int) -> bytes:
    """A preset's overlay picture from the source bucket; a missing one is the preset's mistake."""
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
        if response["ContentLength"] > max_bytes:
            response["Body"].close()
            raise InvalidOverlay(f"overlay s3://{bucket}/{key} is {response['ContentLength']:,} bytes, "
                                 f"over the limit of {max_bytes:,}")
        return response["Body"].read()
    except (ClientError, BotoCoreError) as exc:
        if missing(s3, exc, bucket, key):
            raise InvalidOverlay(f"overlay s3://{bucket}/{key} does not exist; upload it, or change the "
                                 "preset's overlay.image") from exc
        raise retryable(exc, f"s3://{bucket}/{key}") from exc


def write_object(s3: Any, bucket: str, key: str, body: bytes, content_type: str, cache_control: str) -> None:
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, CacheControl=cache_control)
    except (ClientError, BotoCoreError) as exc:
        raise retryable(exc, f"s3://{bucket}/{key}") from exc


# DeleteObjects takes at most this many keys per request.
_DELETE_BATCH = 1000
# A failed delete names this many of its keys; the rest are counted (Step Functions keeps 256 KiB).
_ERRORS_NAMED = 10


def list_folder(s3: Any, bucket: str, folder: str) -> list[dict[str, Any]]:
    """The objects directly in ``folder`` (ListObjectsV2 entries), not in folders below it.

    Only direct children: "a.jpg/" must not take in the outputs of a source named "a.jpg/b.jpg".
    """
    entries = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder):
        entries += [item for item in page.get("Contents", []) if "/" not in item["Key"][len(folder):]]
    return entries


def delete_keys(s3: Any, bucket: str, keys: list[str]) -> None:
    """Delete ``keys``; TransientError naming the keys S3 could not delete.

    DeleteObjects answers 200 even when some keys fail: in quiet mode the body lists only those,
    under ``Errors`` with a code each
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
    Every batch is tried first, so one refused key does not keep the others.
    """
    failed: list[dict[str, Any]] = []
    for start in range(0, len(keys), _DELETE_BATCH):
        batch = [{"Key": key} for key in keys[start:start + _DELETE_BATCH]]
        try:
            response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        except (ClientError, BotoCoreError) as exc:
            raise retryable(exc, f"deleting from s3://{bucket}") from exc
        failed += response.get("Errors", [])
    if failed:
        named = ", ".join(f"{error.get('Key')} ({error.get('Code')})" for error in failed[:_ERRORS_NAMED])
        more = f" and {len(failed) - _ERRORS_NAMED} more" if len(failed) > _ERRORS_NAMED else ""
        raise TransientError(f"s3://{bucket}: DeleteObjects could not delete {len(failed)} of {len(keys)} "
                             f"keys: {named}{more}")


def source_state(s3: Any, bucket: str, key: str) -> SourceState:
    """What ``key`` holds now: its current revision, or that nothing (or a delete marker) is there."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if missing(s3, exc, bucket, key):
            return SourceState(exists=False)
        raise
    return SourceState(True, head.get("ETag"), head.get("VersionId"), head.get("LastModified"))
