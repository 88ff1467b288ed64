"""Executions with what they produced: the status of the manifest each one wrote.

The manifest at a key belongs to the execution it names (``execution.name``); an older
execution of the same key shows no manifest status, since its manifest has been replaced.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from imgfan.live.errors import NoManifest, UnreadableManifest
from imgfan.live.executions import Execution
from imgfan.live.objects import StoredManifest, read_manifest

_READERS = 8
# Manifest statuses that mean something went wrong: listings mark them.
NOT_COMPLETE = ("partial", "failed")


@dataclass(frozen=True)
class ExecutionSummary:
    execution: Execution
    manifest: StoredManifest | None = None

    @property
    def manifest_status(self) -> str | None:
        """``complete``, ``partial`` or ``failed`` when this execution's manifest is current."""
        if self.manifest is None:
            return None
        status = self.manifest.document.get("status")
        return status if isinstance(status, str) else None


def manifest_of(s3: Any, bucket: str, prefix: str, key: str) -> StoredManifest | None:
    """The key's current manifest, or None (not written yet, or unreadable)."""
    try:
        return read_manifest(s3, bucket, prefix, key)
    except (NoManifest, UnreadableManifest):
        return None


def written_by(manifest: StoredManifest | None, execution: Execution) -> bool:
    if manifest is None:
        return False
    named = manifest.document.get("execution") or {}
    if not isinstance(named, dict):
        return False
    return execution.name in (named.get("name"), str(named.get("arn") or "").rsplit(":", 1)[-1])


def summarize(s3: Any, bucket: str, prefix: str, executions: list[Execution]) -> list[ExecutionSummary]:
    """One summary per described execution, in the same order; one manifest read per key."""
    keys = list(dict.fromkeys(e.source_key for e in executions if e.source_key and e.action == "render"))
    with ThreadPoolExecutor(max_workers=_READERS) as pool:
        manifests = dict(zip(keys, pool.map(lambda key: manifest_of(s3, bucket, prefix, key), keys), strict=True))
    return [
        ExecutionSummary(e, manifests.get(e.source_key) if written_by(manifests.get(e.source_key), e) else None)
        for e in executions
    ]
