"""Objects in the pipeline's buckets: source listings and the manifests the finalizer wrote."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from imgfan.aws import attempting
from imgfan.live.errors import NoManifest, UnreadableManifest
from imgfan_core.keys import MANIFEST_NAME, manifest_key
from imgfan_core.manifest import MANIFEST_SCHEMA_VERSION

# Reading many small manifests is latency-bound: a few concurrent GETs, one shared client.
_MANIFEST_READERS = 16


@dataclass(frozen=True)
class StoredManifest:
    bucket: str
    key: str
    document: dict[str, Any]

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def list_object_pages(
    s3: Any, bucket: str, prefix: str, start_after: str | None = None
) -> Iterator[list[dict[str, Any]]]:
    """ListObjectsV2 ``Contents`` under ``prefix`` (after ``start_after``), a page (up to 1,000
    objects) at a time."""
    request = {"Bucket": bucket, "Prefix": prefix, **({"StartAfter": start_after} if start_after else {})}
    pages = s3.get_paginator("list_objects_v2").paginate(**request)
    with attempting(f"listing s3://{bucket}/{prefix}"):
        for page in pages:
            yield page.get("Contents", [])


def read_manifest(s3: Any, bucket: str, output_prefix: str, source_key: str) -> StoredManifest:
    """The manifest of ``source_key``; NoManifest until the finalizer has written one."""
    key = manifest_key(output_prefix, source_key)
    try:
        with attempting(f"reading s3://{bucket}/{key}"):
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise NoManifest(bucket, key) from None
    try:
        document = json.loads(body)
    except ValueError:
        raise UnreadableManifest(bucket, key) from None
    return StoredManifest(bucket, key, document)


def manifest_hashes(s3: Any, bucket: str, prefix: str) -> dict[str, str | None]:
    """``{manifest key: its presets_hash}`` of every manifest under ``prefix`` (see ``presets_hashes``).

    The source key is the manifest key minus the output prefix and ``/manifest.json``.
    """
    keys = [
        o["Key"]
        for page in list_object_pages(s3, bucket, prefix)
        for o in page
        if o["Key"].endswith("/" + MANIFEST_NAME)
    ]
    return presets_hashes(s3, bucket, keys)


def presets_hashes(s3: Any, bucket: str, keys: list[str]) -> dict[str, str | None]:
    """``{manifest key: its presets_hash}``, read concurrently; None for a missing manifest or one
    that is not of the current shape (``schema``), so manifests written by an older release count
    as stale and ``backfill --only-stale`` moves their images to the current key layout."""

    def presets_hash_of(key: str) -> str | None:
        try:
            with attempting(f"reading s3://{bucket}/{key}"):
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
        try:
            document = json.loads(body)
            digest = document.get("presets_hash")
        except (ValueError, AttributeError):
            return None
        if document.get("schema") != MANIFEST_SCHEMA_VERSION:
            return None
        return digest if isinstance(digest, str) else None

    with ThreadPoolExecutor(max_workers=_MANIFEST_READERS) as pool:
        return dict(zip(keys, pool.map(presets_hash_of, keys), strict=True))
