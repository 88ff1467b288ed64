"""The presets hash each manifest records: which presets file its variants were rendered with."""

from __future__ import annotations

import hashlib
import json

from imgfan_core.presets.model import OutputTarget, PresetsConfig


def canonical_json(config: PresetsConfig) -> str:
    """The effective configuration, defaults filled in, keys sorted, no whitespace."""
    effective = config.model_dump(mode="json", exclude={"schema_ref"})
    return json.dumps(effective, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _hash_material(config: PresetsConfig, key: str | None = None) -> str:
    # Only what changes the files a render writes: the source filter and Map concurrency decide
    # *which* images run and how fast, not what their variants look like, so tuning them must not
    # make every manifest stale. Preset order only orders the manifest, so it is sorted out too.
    # Defaults are left out, so a release that adds an option (defaulting to the old behaviour)
    # keeps every existing hash, and with it every manifest's freshness.
    effective = config.model_dump(
        mode="json", exclude={"schema_ref", "source", "max_concurrency"}, exclude_defaults=True
    )
    applicable = {p.name for p in (config.presets if key is None else config.presets_for(key))}
    effective["presets"] = sorted((p for p in effective["presets"] if p["name"] in applicable),
                                  key=lambda p: p["name"])
    output = effective.get("output", {})
    if output.get("cache_control") == OutputTarget(key_style=config.output.key_style).effective_cache_control:
        # A spelled-out default Cache-Control is the default, like every other spelled-out default.
        del output["cache_control"]
    if "output" in effective and not output:
        del effective["output"]
    return json.dumps(effective, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def presets_hash(config: PresetsConfig, key: str | None = None) -> str:
    """16 hex characters; stable over key order, whitespace, preset order and spelled-out defaults.

    With ``key``, only the presets that apply to that source count: what a manifest carries, so
    changing a preset for ``avatars/`` leaves the manifests of ``products/`` current. Without
    prefixes in the file, every key's hash is the file's hash.
    """
    return hashlib.sha256(_hash_material(config, key).encode("utf-8")).hexdigest()[:16]
