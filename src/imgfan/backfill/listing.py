"""What backfill reads from S3, one ListObjectsV2 page at a time: the source objects, and for
--only-stale the manifests of that page's objects (never a listing of the whole output)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from imgfan.aws import attempting
from imgfan.backfill.planning import Planned
from imgfan.live import NoManifest, UnreadableManifest, read_manifest
from imgfan_core.manifest import MANIFEST_SCHEMA_VERSION

# One GET per manifest is latency-bound: a few at a time, one shared client.
_MANIFEST_READERS = 16


def source_pages(s3: Any, bucket: str, prefix: str, start_after: str | None = None) -> Iterator[list[dict[str, Any]]]:
    """ListObjectsV2 ``Contents`` under ``prefix`` after ``start_after``, a page (up to 1,000) at a time."""
    request = {"Bucket": bucket, "Prefix": prefix}
    if start_after:
        request["StartAfter"] = start_after
    pages = s3.get_paginator("list_objects_v2").paginate(**request)
    with attempting(f"listing s3://{bucket}/{prefix}"):
        for page in pages:
            yield page.get("Contents", [])


def manifest_hashes(s3: Any, planned: list[Planned]) -> dict[str, str | None]:
    """``{manifest key: its presets_hash}`` of these objects: None for no manifest, or one in an
    older release's shape (``schema``), so that --only-stale moves it to the current layout."""

    def presets_hash_of(one: Planned) -> str | None:
        output = one.request.input.settings.output
        try:
            document = read_manifest(s3, output.bucket, output.prefix, one.key).document
        except (NoManifest, UnreadableManifest):
            return None
        if not isinstance(document, dict) or document.get("schema") != MANIFEST_SCHEMA_VERSION:
            return None
        digest = document.get("presets_hash")
        return digest if isinstance(digest, str) else None

    with ThreadPoolExecutor(max_workers=_MANIFEST_READERS) as pool:
        return dict(zip([one.manifest[1] for one in planned], pool.map(presets_hash_of, planned), strict=True))
