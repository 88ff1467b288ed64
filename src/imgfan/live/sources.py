"""Why a source key has no manifest: no such object, not watched, still rendering, or failed.

S3 notifications are set up per suffix in lower and upper case only (S3 filters are
case-sensitive), so ``photo.Jpg`` starts nothing although the dispatcher would accept it.
"""

from __future__ import annotations

import difflib
from pathlib import PurePosixPath
from typing import Any

from imgfan.aws import attempting
from imgfan.live.errors import (
    FailedBeforeManifest,
    NeverStarted,
    NoManifest,
    NoSuchSource,
    NotWatched,
    StillRendering,
)
from imgfan.live.lookup import ExecutionLookup
from imgfan_core.presets import PresetsConfig

_NEIGHBOURS = 1000


def unwatched_reason(config: PresetsConfig, key: str) -> str | None:
    """Why an upload of ``key`` sends no event to the pipeline; None when it does."""
    prefix = config.source.prefix
    if not key.startswith(prefix):
        return f"{key!r} is outside the source prefix {prefix!r}"
    suffixes = config.source.suffixes
    if not suffixes:
        return None
    matching = [s for s in suffixes if key.lower().endswith(s)]
    if not matching:
        suffix = PurePosixPath(key).suffix or "(no suffix)"
        return f"{suffix} is not a watched suffix ({', '.join(suffixes)})"
    if any(key.endswith((s, s.upper())) for s in matching):
        return None
    spelt = key[-len(matching[0]):]
    return (f"S3 events are set up for {matching[0]} and {matching[0].upper()} only, and S3 suffix "
            f"filters are case-sensitive: {spelt} matches neither")


def source_exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        with attempting(f"reading s3://{bucket}/{key}"):
            s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def near_keys(s3: Any, bucket: str, key: str) -> list[str]:
    """Keys in the same folder that look like ``key`` (a typo, a different case)."""
    folder = key.rpartition("/")[0]
    prefix = f"{folder}/" if folder else ""
    with attempting(f"listing s3://{bucket}/{prefix}"):
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=_NEIGHBOURS).get("Contents", [])
    keys = [o["Key"] for o in listed]
    lowered = {k.lower(): k for k in keys}
    if key.lower() in lowered:
        return [lowered[key.lower()]]
    return difflib.get_close_matches(key, keys, n=3, cutoff=0.6)


def explain_missing_manifest(missing: NoManifest, s3: Any, source_bucket: str, config: PresetsConfig,
                             lookup: ExecutionLookup, key: str) -> NoManifest:
    """A more precise NoManifest for ``key``: what the user can do about it."""
    where = (missing.bucket, missing.key)
    if not source_exists(s3, source_bucket, key):
        return NoSuchSource(source_bucket, key, *where, near_keys(s3, source_bucket, key))
    why = unwatched_reason(config, key)
    if why is not None:
        return NotWatched(key, *where, why)
    latest = lookup.latest_for_key(key)
    if latest is None:
        return NeverStarted(*where, f"s3://{source_bucket}/{key}")
    if latest.status == "RUNNING":
        return StillRendering(*where, latest.name)
    if latest.status != "SUCCEEDED":
        return FailedBeforeManifest(*where, latest.name, latest.status, latest.error)
    return missing
