"""Telling applications: one EventBridge event per manifest written or folder deleted (docs/design.md §6).

The manifest is written first and stays the truth; the event only points at it. A failed
PutEvents raises TransientError, so Step Functions retries the finalizer (which rewrites the
same manifest) instead of an application never hearing about the image.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imgfan_core.contract import OutputSettings, SourceRef
from imgfan_core.errors import TransientError
from imgfan_core.manifest import object_url

EVENT_SOURCE = "imgfan"
MANIFEST_WRITTEN = "Manifest Written"
OUTPUTS_DELETED = "Outputs Deleted"
# EventBridge refuses entries over 256 KB; 40 presets with 1,024-byte keys stay far below it.
MAX_EVENT_BYTES = 256 * 1024
_VARIANT_FIELDS = ("preset", "status", "key", "url", "width", "height", "format", "bytes")


def _source(source: SourceRef) -> dict[str, Any]:
    return {"bucket": source.bucket, "key": source.key, "version_id": source.version_id, "etag": source.etag}


def manifest_written(manifest: dict[str, Any], source: SourceRef, manifest_key: str,
                     public_base_url: str | None) -> dict[str, Any]:
    """The detail of a ``Manifest Written`` event, from the manifest that was just written."""
    return {
        "status": manifest["status"],
        "source": _source(source),
        "manifest": {"bucket": manifest["output"]["bucket"], "key": manifest_key,
                     "url": object_url(manifest_key, public_base_url)},
        "presets_hash": manifest["presets_hash"],
        "variants": [{name: variant.get(name) for name in _VARIANT_FIELDS} for variant in manifest["variants"]],
        "error": manifest["error"],
    }


def outputs_deleted(source: SourceRef, output: OutputSettings, manifest_key: str, deleted: int) -> dict[str, Any]:
    """The detail of an ``Outputs Deleted`` event: the source is gone, and so are its outputs."""
    return {
        "status": "deleted",
        "source": _source(source),
        "manifest": {"bucket": output.bucket, "key": manifest_key, "url": object_url(manifest_key, output.public_base_url)},
        "deleted": deleted,
    }


def put_event(events: Any, bus: str, detail_type: str, detail: dict[str, Any]) -> None:
    body = json.dumps(detail, ensure_ascii=False, separators=(",", ":"))
    if len(body.encode("utf-8")) > MAX_EVENT_BYTES:
        raise ValueError(f"{detail_type} event is {len(body)} bytes, over EventBridge's limit")
    entry = {"Source": EVENT_SOURCE, "DetailType": detail_type, "Detail": body, "EventBusName": bus}
    try:
        response = events.put_events(Entries=[entry])
    except (ClientError, BotoCoreError) as exc:
        raise TransientError(f"EventBridge PutEvents on {bus}: {exc}") from exc
    if response.get("FailedEntryCount"):
        failure = response["Entries"][0]
        raise TransientError(f"EventBridge refused the {detail_type} event on {bus}: "
                             f"{failure.get('ErrorCode')}: {failure.get('ErrorMessage')}")


@dataclass(frozen=True)
class Announcer:
    """Where a function's events go and which public base URL they carry, from its environment:
    EVENT_BUS_NAME (the stack's eventBus setting) and PUBLIC_BASE_URL (the CDN, or the embedded
    cloud's S3 endpoint; empty when neither), which presets' output.public_base_url overrides."""

    events: Any
    bus: str = "default"
    public_base_url: str | None = None

    @classmethod
    def from_environment(cls, events: Any) -> Announcer:
        return cls(events, os.environ.get("EVENT_BUS_NAME", "default"), os.environ.get("PUBLIC_BASE_URL") or None)

    def send(self, detail_type: str, detail: dict[str, Any]) -> None:
        put_event(self.events, self.bus, detail_type, detail)
