"""Backfill planning (no AWS calls): which listed source objects get a new execution.

Each listed object is planned as the dispatcher plans an upload event for it, but with no event
sequencer: a backfill execution's name depends on the object's ETag and the presets hash, so
running the same backfill twice meets ExecutionAlreadyExists instead of rendering twice, while
an upload's own execution (named with its event's sequencer) never blocks it. ``--prune`` plans
with a marker of its own run instead, so each prune renders again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from imgfan_core.dispatch import ExecutionRequest, ObjectEvent, plan_execution
from imgfan_core.keys import manifest_key
from imgfan_core.presets import PresetsConfig


@dataclass
class Planned:
    key: str
    request: ExecutionRequest

    @property
    def manifest(self) -> tuple[str, str]:
        """(bucket, key) of the manifest this execution would replace."""
        output = self.request.input.settings.output
        return output.bucket, manifest_key(output.prefix, self.key)


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
    marker: str = "",
) -> BackfillPlan:
    """Plan one execution per object from ListObjectsV2 ``Contents`` entries.

    ``manifest_hashes`` (manifest key -> presets_hash) turns on --only-stale: an object whose
    manifest carries the live presets hash is up to date; one without a manifest is stale.
    ``marker`` stands in for the event sequencer (``--prune``'s run marker; empty otherwise).
    """
    plan = BackfillPlan()
    for entry in objects:
        plan.considered += 1
        event = replace(ObjectEvent.listed(source_bucket, dict(entry)), marker=marker)
        request = plan_execution(event, config, output_bucket)
        if isinstance(request, ExecutionRequest):
            plan.to_start.append(Planned(entry["Key"], request))
        else:
            plan.filtered[entry["Key"]] = request.reason
    return plan if manifest_hashes is None else without_current(plan, manifest_hashes)


def without_current(plan: BackfillPlan, manifest_hashes: Mapping[str, str | None]) -> BackfillPlan:
    """``plan`` less the objects whose manifest carries the presets hash they would render with."""
    stale, current = [], []
    for planned in plan.to_start:
        if manifest_hashes.get(planned.manifest[1]) == planned.request.input.presets_hash:
            current.append(planned.key)
        else:
            stale.append(planned)
    return replace(plan, to_start=stale, up_to_date=plan.up_to_date + current)
