"""Making a manifest the current one, and removing the variants no manifest can lead to.

The manifest is the one mutable pointer (docs/design.md §4). Three rules keep every current manifest's
variants in place while uploads of one key race each other:

1. **Only the current object gets a manifest.** Before writing, the finalizer looks at the source
   key (HEAD). If the object there is no longer the one this execution rendered (a newer upload,
   or a delete), it writes nothing: the newer upload's own execution writes its manifest, and a
   delete's cleaner removes the folder (``cleanup``). After a delete it also removes the variants
   it wrote itself, which the cleaner may have listed too early to see.
2. **Compare-and-swap.** The manifest is written with ``If-Match`` on the ETag of the manifest it
   replaces (``If-None-Match: *`` when there is none), so two finalizers cannot both believe they
   replaced the same one; the loser looks again from rule 1.
3. **Sweep only what is provably old.** After the write, the folder keeps the variants of the new
   manifest and of the one it replaced (a client may have read that a moment ago). Anything else
   is deleted only if it was last modified before the current source object was: a newer upload's
   execution can only write after that upload, so its variants, even when written before its
   manifest exists, are never swept. What a superseded execution wrote after that moment waits
   for the next generation's sweep.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imgfan_core.contract import ManifestInputs, SourceRef
from imgfan_core.errors import TransientError
from imgfan_core.keys import MANIFEST_NAME, manifest_key, output_folder
from imgfan_core.manifest import MANIFEST_CACHE_CONTROL, MANIFEST_CONTENT_TYPE
from imgfan_core.storage import (
    SourceState,
    delete_keys,
    error_code,
    list_folder,
    missing,
    retryable,
    source_state,
)

# Each lost compare-and-swap means another finalizer of the same key just won; a few rounds settle it.
_MAX_ROUNDS = 5
_LOST_SWAP_CODES = {"PreconditionFailed", "412", "ConditionalRequestConflict"}


@dataclass(frozen=True)
class Publication:
    key: str
    written: bool
    # Why nothing was written (the source changed or was deleted); None when written.
    skipped_because: str | None = None
    previous: dict[str, Any] | None = None
    deleted: list[str] = field(default_factory=list)


def superseded_because(source: SourceRef, now: SourceState) -> str | None:
    """Why the object at the key is no longer the one ``source`` names, or None if it still is."""
    if not now.exists:
        return "the source object was deleted"
    if source.version_id:
        return None if now.version_id == source.version_id else "a newer version of the source was uploaded"
    if source.etag and (now.etag or "").strip('"') != source.etag.strip('"'):
        return "the source object was replaced by a newer upload"
    return None


def variant_keys(manifest: dict[str, Any] | None) -> set[str]:
    return {v["key"] for v in (manifest or {}).get("variants", []) if v.get("key")}


def sweepable(folder_entries: list[dict[str, Any]], keep: set[str], older_than: datetime) -> list[str]:
    """Objects of a folder that no kept manifest names, that predate ``older_than``, and that are
    not the manifest itself."""
    return [item["Key"] for item in folder_entries
            if item["Key"].rsplit("/", 1)[-1] != MANIFEST_NAME and item["Key"] not in keep
            and item["LastModified"] < older_than]


def publish_manifest(s3: Any, inputs: ManifestInputs, manifest: dict[str, Any], body: bytes) -> Publication:
    """Write ``manifest`` as the key's current one unless the source moved on, then sweep."""
    key = manifest_key(inputs.output.prefix, inputs.source.key)
    try:
        return _publish(s3, inputs, manifest, body, key)
    except (ClientError, BotoCoreError) as exc:
        raise retryable(exc, f"publishing s3://{inputs.output.bucket}/{key}") from exc


def _publish(s3: Any, inputs: ManifestInputs, manifest: dict[str, Any], body: bytes, key: str) -> Publication:
    bucket = inputs.output.bucket
    for _ in range(_MAX_ROUNDS):
        previous, previous_etag = _read_manifest(s3, bucket, key)
        now = source_state(s3, inputs.source.bucket, inputs.source.key)
        reason = superseded_because(inputs.source, now)
        if reason is not None:
            orphans = _own_variants_of_a_deleted_source(inputs, manifest, now)
            delete_keys(s3, bucket, orphans)
            return Publication(key, written=False, skipped_because=reason, previous=previous, deleted=orphans)
        if not _put_if_unchanged(s3, bucket, key, body, previous_etag):
            continue
        keep = variant_keys(manifest) | variant_keys(previous)
        folder = output_folder(inputs.output.prefix, inputs.source.key)
        deleted = _sweep(s3, bucket, folder, keep, now.last_modified) if now.last_modified else []
        return Publication(key, written=True, previous=previous, deleted=deleted)
    raise TransientError(f"s3://{bucket}/{key} kept changing while this execution tried to replace it")


def _own_variants_of_a_deleted_source(inputs: ManifestInputs, manifest: dict[str, Any],
                                      now: SourceState) -> list[str]:
    """What this execution wrote for a source that is gone: the cleaner may have listed the folder
    before these variants existed. Fingerprinted keys name this revision alone, so no other upload
    can own them; stable keys may already hold a newer upload's bytes and are left alone."""
    if now.exists or inputs.output.key_style != "fingerprinted":
        return []
    return sorted(variant_keys(manifest))


def _read_manifest(s3: Any, bucket: str, key: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if missing(s3, exc, bucket, key):
            return None, None
        raise
    try:
        document = json.loads(response["Body"].read())
    except ValueError:
        document = None  # not ours to understand; it is replaced all the same
    return document if isinstance(document, dict) else None, response["ETag"]


def _put_if_unchanged(s3: Any, bucket: str, key: str, body: bytes, previous_etag: str | None) -> bool:
    condition = {"IfMatch": previous_etag} if previous_etag else {"IfNoneMatch": "*"}
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=MANIFEST_CONTENT_TYPE,
                      CacheControl=MANIFEST_CACHE_CONTROL, **condition)
    except ClientError as exc:
        # 412: another write won; ConditionalRequestConflict: one ran at the same time. 404 (or a 403
        # that ``missing`` settles): If-Match on a manifest deleted since it was read, by a cleaner
        # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). Each is
        # a lost swap: the next round reads the key again.
        if error_code(exc) in _LOST_SWAP_CODES or (previous_etag and missing(s3, exc, bucket, key)):
            return False
        raise
    return True


def _sweep(s3: Any, bucket: str, folder: str, keep: set[str], older_than: datetime) -> list[str]:
    doomed = sweepable(list_folder(s3, bucket, folder), keep, older_than)
    delete_keys(s3, bucket, doomed)
    return doomed
