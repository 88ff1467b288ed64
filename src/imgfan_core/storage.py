"""S3 reads and writes with imgfan's error classes: what can be retried and what cannot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from imgfan_core.errors import ImageTooLarge, SourceMissing, TransientError

if TYPE_CHECKING:
    from imgfan_core.contract import SourceRef

_MISSING_CODES = {"NoSuchKey", "NoSuchVersion", "404", "NotFound"}
_THROTTLING_CODES = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError", "503", "500"}


def _classify(exc: Exception, what: str) -> Exception:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _MISSING_CODES:
            return SourceMissing(f"{what} does not exist (deleted before it was processed?)")
        if code in _THROTTLING_CODES:
            return TransientError(f"{what}: S3 {code}, will retry")
        return exc
    return TransientError(f"{what}: {exc}")


def read_source(s3: Any, source: SourceRef, max_bytes: int) -> bytes:
    """The source object's bytes, refusing objects over ``max_bytes`` before downloading them."""
    what = f"s3://{source.bucket}/{source.key}"
    request = {"Bucket": source.bucket, "Key": source.key}
    if source.version_id:
        request["VersionId"] = source.version_id
    try:
        response = s3.get_object(**request)
        length = response["ContentLength"]
        if length > max_bytes:
            response["Body"].close()
            raise ImageTooLarge(f"source is {length:,} bytes, over the limit of {max_bytes:,} (limits.max_input_bytes)")
        return response["Body"].read()
    except (ClientError, BotoCoreError) as exc:
        raise _classify(exc, what) from exc


def write_object(s3: Any, bucket: str, key: str, body: bytes, content_type: str, cache_control: str) -> None:
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, CacheControl=cache_control)
    except (ClientError, BotoCoreError) as exc:
        raise _classify(exc, f"s3://{bucket}/{key}") from exc
