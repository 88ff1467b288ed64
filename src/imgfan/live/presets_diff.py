"""What pushing a presets file would change in the live presets (no AWS calls here).

Beside ``live.presets``, which reads the live side: ``imgfan presets diff`` and the console's
presets page both show it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from imgfan_core.presets import PresetsConfig, presets_hash

# Settings the deployed stack baked in at synth time. Buckets and the output prefix scope the IAM
# grants, so pushing a change would make every write fail with AccessDenied: push refuses it.
REDEPLOY_REQUIRED = ("source.bucket", "output.bucket", "output.prefix")
# S3 notification filters and the Map's MaxConcurrency: a push is harmless but only narrows
# the source filter (the dispatcher re-checks it) and leaves concurrency as deployed.
REDEPLOY_TO_APPLY = ("source.prefix", "source.suffixes", "max_concurrency")


@dataclass
class PresetsDiff:
    old_hash: str | None
    new_hash: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    settings: list[str] = field(default_factory=list)
    changed_settings: list[str] = field(default_factory=list)

    def redeploy_required(self) -> list[str]:
        return [key for key in self.changed_settings if key in REDEPLOY_REQUIRED]

    @property
    def differs(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.settings)

    def lines(self) -> list[str]:
        if self.old_hash is None:
            head = [f"live: (no parameter yet)  file: {self.new_hash}"]
        else:
            head = [f"presets_hash  live: {self.old_hash}  file: {self.new_hash}"]
        if not self.differs:
            return head + ["no changes"]
        body = [f"+ preset {name}" for name in self.added]
        body += [f"- preset {name}" for name in self.removed]
        for name, details in self.changed.items():
            body.append(f"~ preset {name}: " + "; ".join(details))
        body += [f"~ {line}" for line in self.settings]
        return head + body


def diff_configs(old: PresetsConfig | None, new: PresetsConfig) -> PresetsDiff:
    """Presets added, removed and changed (field by field, defaults filled in), and global settings."""
    result = PresetsDiff(presets_hash(old) if old else None, presets_hash(new))
    new_presets = {p.name: p.model_dump(mode="json") for p in new.presets}
    if old is None:
        result.added = list(new_presets)
        return result
    old_presets = {p.name: p.model_dump(mode="json") for p in old.presets}
    result.added = [name for name in new_presets if name not in old_presets]
    result.removed = [name for name in old_presets if name not in new_presets]
    for name, after in new_presets.items():
        before = old_presets.get(name)
        if before is not None and before != after:
            result.changed[name] = [
                f"{key} {_show(before.get(key))} → {_show(after.get(key))}"
                for key in after
                if before.get(key) != after.get(key)
            ]
    old_settings = _flatten(old.model_dump(mode="json", exclude={"schema_ref", "presets"}))
    new_settings = _flatten(new.model_dump(mode="json", exclude={"schema_ref", "presets"}))
    for key in sorted(set(old_settings) | set(new_settings)):
        if old_settings.get(key) != new_settings.get(key):
            note = ""
            if key in REDEPLOY_REQUIRED:
                note = "  (needs a redeploy; push refuses it)"
            elif key in REDEPLOY_TO_APPLY:
                note = "  (fully applies only after a redeploy)"
            result.changed_settings.append(key)
            result.settings.append(
                f"{key} {_show(old_settings.get(key))} → {_show(new_settings.get(key))}{note}"
            )
    return result


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            flat.update(_flatten(item, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = item
    return flat


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
