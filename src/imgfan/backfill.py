"""Backfill planning (no AWS calls): which existing source objects get a new execution.

Each listed object is planned as the dispatcher would plan an upload event for it, with no
event sequencer: a backfill execution's name depends on the object's ETag and the presets
hash, so running the same backfill twice meets ExecutionAlreadyExists instead of rendering
twice, while an upload's own execution (named with its event's sequencer) never blocks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from imgfan_core.dispatch import ExecutionRequest, plan_execution, settings_for
from imgfan_core.keys import manifest_key
from imgfan_core.presets import PresetsConfig, presets_hash

# The event name a fresh upload produces; backfill plans each object as if it had just arrived.
UPLOAD_EVENT = "ObjectCreated:Put"


def event_key(key: str) -> str:
    """The key as an S3 event spells it: plan_execution decodes it with unquote_plus."""
    return quote_plus(key, safe="/")


def listed_etag(etag: str | None) -> str | None:
    """ListObjectsV2 quotes ETags; S3 event notifications do not."""
    return etag.strip('"') if etag else None


def manifest_location(config: PresetsConfig, output_bucket: str, source_prefix: str) -> tuple[str, str]:
    """(bucket, key prefix) holding the manifests of source keys under ``source_prefix``."""
    output = settings_for(config, output_bucket)["output"]
    return output["bucket"], output["prefix"] + source_prefix


@dataclass
class Planned:
    key: str
    request: ExecutionRequest


@dataclass
class BackfillPlan:
    considered: int = 0
    to_start: list[Planned] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    # key -> the dispatcher's reason (outside the prefix, wrong suffix, key too long, ...)
    filtered: dict[str, str] = field(default_factory=dict)


def plan_backfill(
    objects: Iterable[Mapping[str, Any]],
    config: PresetsConfig,
    source_bucket: str,
    output_bucket: str,
    manifest_hashes: Mapping[str, str | None] | None = None,
) -> BackfillPlan:
    """Plan one execution per object from ListObjectsV2 ``Contents`` entries.

    ``manifest_hashes`` (manifest key -> presets_hash) turns on --only-stale: an object whose
    manifest carries the live presets hash is up to date; one without a manifest is stale.
    """
    plan = BackfillPlan()
    digest = presets_hash(config)
    for obj in objects:
        key = obj["Key"]
        plan.considered += 1
        request = plan_execution(
            event_name=UPLOAD_EVENT,
            bucket=source_bucket,
            raw_key=event_key(key),
            size=obj.get("Size"),
            etag=listed_etag(obj.get("ETag")),
            version_id=None,
            sequencer=None,
            config=config,
            output_bucket=output_bucket,
        )
        if not isinstance(request, ExecutionRequest):
            plan.filtered[key] = request.reason
            continue
        if manifest_hashes is not None:
            output = request.input["settings"]["output"]
            if manifest_hashes.get(manifest_key(output["prefix"], key)) == digest:
                plan.up_to_date.append(key)
                continue
        plan.to_start.append(Planned(key, request))
    return plan
