"""Planning: one object event (an S3 notification, or a listed object for backfill) becomes at
most one state machine execution. No AWS calls here except ``start_execution``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from imgfan_core.contract import ExecutionInput, OutputSettings, SourceRef, StepSettings
from imgfan_core.errors import InvalidPresets
from imgfan_core.keys import execution_name, longest_output_key
from imgfan_core.presets import PresetsConfig, check_output_location, presets_hash

S3_MAX_KEY_BYTES = 1024
# The event a fresh upload produces; backfill plans each listed object as if it had just arrived.
UPLOAD_EVENT = "ObjectCreated:Put"


@dataclass(frozen=True)
class ObjectEvent:
    """One change to one source object, with its key already decoded."""

    name: str  # the S3 event name, e.g. ObjectCreated:Put or ObjectRemoved:Delete
    bucket: str
    key: str
    size: int | None = None
    etag: str | None = None
    version_id: str | None = None
    # Unique per event on a key and the same in a redelivery: S3's sequencer, or the event time
    # when an S3-compatible emitter leaves the sequencer out; empty for a listed object.
    marker: str = ""

    @classmethod
    def listed(cls, bucket: str, entry: dict[str, Any]) -> ObjectEvent:
        """A ListObjectsV2 ``Contents`` entry, planned as an upload (ETags arrive quoted there)."""
        etag = entry.get("ETag")
        return cls(UPLOAD_EVENT, bucket, entry["Key"], entry.get("Size"), etag.strip('"') if etag else None)

    @property
    def action(self) -> str | None:
        if self.name.startswith("ObjectCreated"):
            return "render"
        if self.name.startswith("ObjectRemoved"):
            return "delete"
        return None

    @property
    def revision(self) -> str:
        if self.action == "delete":
            return self.version_id or self.marker
        # Not the ETag alone: deleting a key and uploading the same bytes again must render again.
        return self.version_id or f"{self.etag or ''}@{self.marker}"


@dataclass(frozen=True)
class ExecutionRequest:
    name: str
    input: ExecutionInput


@dataclass(frozen=True)
class Skipped:
    reason: str


def settings_for(config: PresetsConfig, output_bucket: str) -> StepSettings:
    """The settings an execution carries: the presets' globals, with the stack's output bucket."""
    output = config.output
    return StepSettings(
        output=OutputSettings(output.bucket or output_bucket, output.prefix, output.effective_cache_control,
                              output.public_base_url, output.key_style),
        limits=config.limits.to_spec(),
        metadata=config.metadata.to_spec(),
    )


def skip_reason(event: ObjectEvent, config: PresetsConfig, output_bucket: str) -> str | None:
    """Why the pipeline must not act on ``event``, or None when it should."""
    if event.action is None:
        return f"event {event.name} is not handled"
    overlaid = sorted(p.name for p in config.presets if p.overlay is not None and p.overlay.image == event.key)
    if overlaid:
        return f"key is the overlay picture of preset {', '.join(overlaid)}, not an upload to render"
    if not event.key.startswith(config.source.prefix):
        return f"key is outside source prefix '{config.source.prefix}'"
    suffixes = tuple(config.source.suffixes)
    if event.action == "render" and suffixes and not event.key.lower().endswith(suffixes):
        return "key does not end with a configured source suffix"
    try:
        check_output_location(config, event.bucket, output_bucket)
    except InvalidPresets as exc:
        return str(exc)
    presets = [preset.to_spec() for preset in config.presets_for(event.key)]
    if event.action == "render" and not presets:
        return "no preset applies to this key (the presets' prefixes leave it out)"
    fingerprinted = config.output.key_style == "fingerprinted"
    longest = longest_output_key(config.output.prefix, event.key, presets, fingerprinted)
    if len(longest.encode("utf-8")) > S3_MAX_KEY_BYTES:
        return (f"key is too long: its output key {longest!r} would exceed S3's {S3_MAX_KEY_BYTES}-byte limit")
    return None


def plan_execution(event: ObjectEvent, config: PresetsConfig, output_bucket: str) -> ExecutionRequest | Skipped:
    reason = skip_reason(event, config, output_bucket)
    if reason is not None:
        return Skipped(reason)
    digest = presets_hash(config, event.key)
    source = SourceRef(event.bucket, event.key, event.version_id, event.etag, event.revision, event.size)
    execution_input = ExecutionInput(
        action=event.action,  # type: ignore[arg-type]
        source=source,
        settings=settings_for(config, output_bucket),
        presets=tuple(preset.to_spec() for preset in config.presets_for(event.key)),
        presets_hash=digest,
    )
    name = execution_name(execution_input.action, event.bucket, event.key, event.revision, digest)
    return ExecutionRequest(name, execution_input)


def start_execution(stepfunctions: Any, state_machine_arn: str, request: ExecutionRequest) -> bool:
    """Hand ``request`` to Step Functions; False when an execution of that name already exists.

    Names are deterministic, so an existing name means this event (or a backfill of the same
    revision and presets) was handed over before: a duplicate delivery, not a failure. Any other
    error propagates as botocore raised it.
    """
    try:
        stepfunctions.start_execution(
            stateMachineArn=state_machine_arn, name=request.name, input=json.dumps(request.input.to_dict())
        )
    except stepfunctions.exceptions.ExecutionAlreadyExists:
        return False
    return True
