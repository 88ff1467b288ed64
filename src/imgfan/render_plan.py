"""What ``imgfan render`` takes from a presets file, validated once per content and then kept.

Validating a presets file builds its pydantic models: about 0.15 CPU s, more than half of what
an ``imgfan render`` process spends before it decodes a pixel. The plan is the validated result
in the engine's own types (the ``RenderSpec`` and ``StepSettings`` the state machine hands the
resizer, which need no pydantic), so the next render with the same file reads a small JSON file
from the cache instead. Its key is the file's bytes and a fingerprint of the code that validates
them and reads them back (every ``imgfan_core`` source, this module, pydantic's version): an
edit to the file or an upgrade of imgfan validates again. An invalid file is never kept; it is
refused, with its problems, every time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import imgfan_core
from imgfan.cache import cache_dir
from imgfan_core.contract import OutputSettings, StepSettings
from imgfan_core.engine.models import InputLimits, MetadataSpec, RenderSpec
from imgfan_core.errors import InvalidPresets

# Local renders have no buckets; the manifest's required bucket fields say where they came from.
LOCAL_BUCKET = "local"
PLAN_FOLDER = "render-plans"
# Plans are a few KB each; the newest ones are the files in use.
KEEP_PLANS = 32


@dataclass(frozen=True)
class RenderPlan:
    """One presets file, as ``imgfan render`` renders with it."""

    path: Path
    presets: tuple[RenderSpec, ...]
    settings: StepSettings
    presets_hash: str

    @property
    def limits(self) -> InputLimits:
        return self.settings.limits

    @property
    def metadata(self) -> MetadataSpec:
        return self.settings.metadata

    def to_dict(self) -> dict[str, Any]:
        return {"presets": [spec.to_dict() for spec in self.presets], "settings": self.settings.to_dict(),
                "presets_hash": self.presets_hash}

    @classmethod
    def from_dict(cls, path: Path, data: dict[str, Any]) -> RenderPlan:
        return cls(path, tuple(RenderSpec.from_dict(spec) for spec in data["presets"]),
                   StepSettings.from_dict(data["settings"]), data["presets_hash"])


def load_render_plan(path: Path) -> RenderPlan:
    """The plan for the presets file at ``path``: kept from an earlier run, else validated now.

    Raises ``InvalidPresets`` for a file that cannot be read or does not validate, in the words
    ``imgfan presets validate`` uses.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidPresets.unreadable(path, exc) from None
    kept = _kept_file(data)
    plan = _read_kept(path, kept)
    if plan is None:
        plan = _validated_plan(path, data)
        _keep(kept, plan)
    return plan


def _validated_plan(path: Path, data: bytes) -> RenderPlan:
    from imgfan_core.presets import check_presets_bytes, presets_hash

    config = check_presets_bytes(path, data).config
    settings = StepSettings(OutputSettings(LOCAL_BUCKET, "", config.output.cache_control),
                            config.limits.to_spec(), config.metadata.to_spec())
    return RenderPlan(path, tuple(preset.to_spec() for preset in config.presets), settings, presets_hash(config))


def fingerprinted_files() -> list[Path]:
    """The code whose change must invalidate every kept plan."""
    core = Path(imgfan_core.__file__).resolve().parent
    files = sorted(core.rglob("*.py")) + [Path(__file__).resolve()]
    # pydantic's own version file, found without importing pydantic (the point of the plan).
    spec = importlib.util.find_spec("pydantic")
    if spec is not None and spec.origin:
        files.append(Path(spec.origin).parent / "version.py")
    return files


def _kept_file(data: bytes) -> Path:
    digest = hashlib.sha256(b"imgfan render plan 1\0")
    for file in fingerprinted_files():
        digest.update(file.read_bytes() if file.is_file() else b"(missing)")
    digest.update(b"\0")
    digest.update(data)
    return cache_dir() / PLAN_FOLDER / f"{digest.hexdigest()[:32]}.json"


def _read_kept(path: Path, kept: Path) -> RenderPlan | None:
    try:
        plan = RenderPlan.from_dict(path, json.loads(kept.read_bytes()))
        os.utime(kept)  # the prune keeps the plans in use
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, or damaged: validate again and rewrite it
    return plan


def _keep(kept: Path, plan: RenderPlan) -> None:
    """Write the plan atomically; a cache that cannot be written only costs the next run's time."""
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=kept.parent, suffix=".partial", delete=False,
                                         encoding="utf-8") as file:
            json.dump(plan.to_dict(), file)
        os.replace(file.name, kept)
        _prune(kept.parent)
    except OSError:
        return


def _prune(folder: Path) -> None:
    plans = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in plans[KEEP_PLANS:]:
        stale.unlink(missing_ok=True)
