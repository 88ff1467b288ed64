"""Backfill planning (no AWS calls): which existing source objects get a new execution.

Each listed object is planned as the dispatcher plans an upload event for it, but with no event
sequencer: a backfill execution's name depends on the object's ETag and the presets hash, so
running the same backfill twice meets ExecutionAlreadyExists instead of rendering twice, while
an upload's own execution (named with its event's sequencer) never blocks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from imgfan_core.dispatch import ExecutionRequest, ObjectEvent, plan_execution, settings_for
from imgfan_core.keys import manifest_key
from imgfan_core.presets import PresetsConfig


def manifest_location(config: PresetsConfig, output_bucket: str, source_prefix: str) -> tuple[str, str]:
    """(bucket, key prefix) holding the manifests of source keys under ``source_prefix``."""
    output = settings_for(config, output_bucket).output
    return output.bucket, output.prefix + source_prefix


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
    for entry in objects:
        plan.considered += 1
        request = plan_execution(ObjectEvent.listed(source_bucket, dict(entry)), config, output_bucket)
        key = entry["Key"]
        if not isinstance(request, ExecutionRequest):
            plan.filtered[key] = request.reason
        elif manifest_hashes is not None and _is_current(request, manifest_hashes):
            plan.up_to_date.append(key)
        else:
            plan.to_start.append(Planned(key, request))
    return plan


def _is_current(request: ExecutionRequest, manifest_hashes: Mapping[str, str | None]) -> bool:
    source, output = request.input.source, request.input.settings.output
    return manifest_hashes.get(manifest_key(output.prefix, source.key)) == request.input.presets_hash
