"""Turning one S3 event record into one state machine execution (no AWS calls here)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from imgfan_core.keys import decode_event_key, execution_name, manifest_key
from imgfan_core.errors import InvalidPresets
from imgfan_core.presets import PresetsConfig, check_output_location, presets_hash

S3_MAX_KEY_BYTES = 1024


@dataclass(frozen=True)
class ExecutionRequest:
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Skipped:
    reason: str


def settings_for(config: PresetsConfig, output_bucket: str) -> dict[str, Any]:
    return {
        "output": {
            "bucket": config.output.bucket or output_bucket,
            "prefix": config.output.prefix,
            "cache_control": config.output.cache_control,
            "public_base_url": config.output.public_base_url,
        },
        "limits": config.limits.model_dump(mode="json"),
        "metadata": config.metadata.model_dump(mode="json"),
    }


def plan_execution(
    event_name: str,
    bucket: str,
    raw_key: str,
    size: float | None,
    etag: str | None,
    version_id: str | None,
    sequencer: str | None,
    config: PresetsConfig,
    output_bucket: str,
    event_time: str | None = None,
) -> ExecutionRequest | Skipped:
    key = decode_event_key(raw_key)
    if not key.startswith(config.source.prefix):
        return Skipped(f"key is outside source prefix '{config.source.prefix}'")
    suffixes = config.source.suffixes
    if event_name.startswith("ObjectCreated") and suffixes and not key.lower().endswith(tuple(suffixes)):
        return Skipped("key does not end with a configured source suffix")
    try:
        check_output_location(config, bucket, output_bucket)
    except InvalidPresets as exc:
        return Skipped(str(exc))
    settings = settings_for(config, output_bucket)
    output = settings["output"]
    longest_output_key = manifest_key(output["prefix"], key) + "-longest-variant-name"
    if len(longest_output_key.encode("utf-8")) > S3_MAX_KEY_BYTES:
        return Skipped(f"key is too long: its output keys would exceed S3's {S3_MAX_KEY_BYTES}-byte limit")

    digest = presets_hash(config)
    # S3 always sends a sequencer: unique per event on a key, the same in a redelivery. Some
    # S3-compatible emitters leave it out; the event time is the next best marker.
    marker = sequencer or event_time or ""
    if event_name.startswith("ObjectRemoved"):
        action, revision = "delete", version_id or marker
    elif event_name.startswith("ObjectCreated"):
        # Not the ETag alone: deleting a key and uploading the same bytes again must render again.
        action, revision = "render", version_id or f"{etag or ''}@{marker}"
    else:
        return Skipped(f"event {event_name} is not handled")
    execution_input = {
        "action": action,
        "source": {
            "bucket": bucket,
            "key": key,
            "version_id": version_id,
            "etag": etag,
            "revision": revision,
            "bytes": int(size) if size is not None else None,
        },
        "settings": settings,
        "presets": [preset.model_dump(mode="json") for preset in config.presets],
        "presets_hash": digest,
    }
    return ExecutionRequest(execution_name(action, bucket, key, revision, digest), execution_input)


def start_execution(stepfunctions: Any, state_machine_arn: str, request: ExecutionRequest) -> bool:
    """Hand ``request`` to Step Functions; False when an execution of that name already exists.

    Names are deterministic, so an existing name means this event (or a backfill of the same
    revision and presets) was handed over before: a duplicate delivery, not a failure. Any other
    error propagates as botocore raised it.
    """
    try:
        stepfunctions.start_execution(
            stateMachineArn=state_machine_arn, name=request.name, input=json.dumps(request.input)
        )
    except stepfunctions.exceptions.ExecutionAlreadyExists:
        return False
    return True
