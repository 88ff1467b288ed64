"""What crosses a step: the typed contract between the dispatcher, the state machine, the
resizer, the finalizer, the CLI and the tests.

Each type is a small frozen dataclass with ``to_dict``/``from_dict``; ``to_dict`` is the JSON
that travels (SQS → Step Functions input → Lambda events → manifest), ``from_dict`` reads it
back. Dataclasses, not pydantic: the resizer imports this module on every cold start. The
presets model (pydantic) validates once, in the dispatcher, and hands over these types.

    dispatcher ──ExecutionInput──► state machine ──AnalyzeRequest/ResizeRequest──► resizer
    resizer ──SourceInfo (analysis) / VariantResult──► state machine
    finalizer ◄──the state: ExecutionInput + analysis + variants──  → ManifestInputs → manifest
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from imgfan_core.engine.models import (
    FlatRecord,
    InputLimits,
    MetadataSpec,
    RenderedVariant,
    RenderSpec,
    SourceInfo,
)
from imgfan_core.vocabulary import KeyStyle

Action = Literal["render", "delete"]
DEFAULT_CACHE_CONTROL = "public, max-age=31536000, immutable"
# Long causes are usually stack traces or whole HTML error pages; a manifest is not a log.
MAX_ERROR_MESSAGE = 1000


@dataclass(frozen=True)
class SourceRef(FlatRecord):
    """The source object one execution works on, exactly as the event or listing named it."""

    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    # What makes this upload distinct: the version id, or the ETag with the event's sequencer.
    revision: str = ""
    bytes: int | None = None

    @property
    def content_id(self) -> str:
        """What names the bytes: the ETag (the same for an identical re-upload), else the revision."""
        return (self.etag or "").strip('"') or self.version_id or self.revision


@dataclass(frozen=True)
class OutputSettings(FlatRecord):
    """Where variants and the manifest go, and how they are served."""

    bucket: str
    prefix: str = ""
    cache_control: str = DEFAULT_CACHE_CONTROL
    public_base_url: str | None = None
    key_style: KeyStyle = "fingerprinted"

    def with_default_base_url(self, url: str | None) -> OutputSettings:
        """These settings, with ``url`` as the public base URL unless the presets set one."""
        return self if self.public_base_url or not url else replace(self, public_base_url=url)


@dataclass(frozen=True)
class StepSettings:
    """The presets file's global settings that every step of one execution needs."""

    output: OutputSettings
    limits: InputLimits = field(default_factory=InputLimits)
    metadata: MetadataSpec = field(default_factory=MetadataSpec)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepSettings:
        return cls(
            output=OutputSettings.from_dict(data["output"]),
            limits=InputLimits.from_dict(data.get("limits") or {}),
            metadata=MetadataSpec.from_dict(data.get("metadata") or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"output": self.output.to_dict(), "limits": self.limits.to_dict(), "metadata": self.metadata.to_dict()}


@dataclass(frozen=True)
class ExecutionInput:
    """A state machine execution's input: what the dispatcher and backfill start."""

    action: Action
    source: SourceRef
    settings: StepSettings
    presets: tuple[RenderSpec, ...]
    presets_hash: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExecutionInput:
        return cls(
            action=data["action"],
            source=SourceRef.from_dict(data["source"]),
            settings=StepSettings.from_dict(data["settings"]),
            presets=tuple(RenderSpec.from_dict(p) for p in data.get("presets") or ()),
            presets_hash=data["presets_hash"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "source": self.source.to_dict(),
            "settings": self.settings.to_dict(),
            "presets": [preset.to_dict() for preset in self.presets],
            "presets_hash": self.presets_hash,
        }


@dataclass(frozen=True)
class ResizerRequest:
    """The resizer's event: ``analyze`` (no preset) once per image, ``resize`` once per preset."""

    action: Literal["analyze", "resize"]
    source: SourceRef
    settings: StepSettings
    preset: RenderSpec | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResizerRequest:
        preset = data.get("preset")
        if data["action"] == "resize" and preset is None:
            raise ValueError("a resize request needs its preset (see the Map's ItemSelector)")
        return cls(
            action=data["action"],
            source=SourceRef.from_dict(data["source"]),
            settings=StepSettings.from_dict(data["settings"]),
            preset=RenderSpec.from_dict(preset) if preset is not None else None,
        )

    @property
    def resize_preset(self) -> RenderSpec:
        """The preset a resize request renders (``from_dict`` refuses a resize without one)."""
        if self.preset is None:
            raise ValueError(f"an {self.action} request has no preset to render")
        return self.preset

    def to_dict(self) -> dict[str, Any]:
        event = {"action": self.action, "source": self.source.to_dict(), "settings": self.settings.to_dict()}
        if self.preset is not None:
            event["preset"] = self.preset.to_dict()
        return event


@dataclass(frozen=True)
class ErrorRecord(FlatRecord):
    """Why something failed, as the manifest shows it: the error's class name and a readable message."""

    type: str
    message: str

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorRecord:
        return cls(type(exc).__name__, _bounded(" ".join(str(exc).split()) or type(exc).__name__))

    @classmethod
    def from_step_functions(cls, error: str | None, cause: Any) -> ErrorRecord:
        """From a Catch's ``{Error, Cause}``; a Lambda's Cause is JSON carrying ``errorMessage``."""
        message = _cause_message(cause) or error or "unknown error"
        return cls(error or "Unknown", _bounded(message))


def _cause_message(cause: Any) -> str:
    if isinstance(cause, str):
        try:
            parsed = json.loads(cause)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("errorMessage"):
            return str(parsed["errorMessage"])
        return cause.strip()
    if isinstance(cause, dict) and cause.get("errorMessage"):
        return str(cause["errorMessage"])
    return "" if cause is None else json.dumps(cause, default=str)


def _bounded(message: str) -> str:
    return message if len(message) <= MAX_ERROR_MESSAGE else message[: MAX_ERROR_MESSAGE - 1] + "…"


@dataclass(frozen=True)
class VariantResult:
    """One Map iteration's outcome: a written variant, or the reason it could not be."""

    preset: str
    status: Literal["ok", "failed"]
    key: str | None = None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    content_type: str | None = None
    bytes: int | None = None
    error: ErrorRecord | None = None

    @classmethod
    def written(cls, preset: str, key: str, variant: RenderedVariant) -> VariantResult:
        return cls(preset, "ok", key, variant.width, variant.height, variant.format, variant.content_type,
                   len(variant.data))

    @classmethod
    def failed(cls, preset: str, error: ErrorRecord) -> VariantResult:
        return cls(preset, "failed", error=error)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VariantResult:
        """The resizer's result, or the ASL's RecordFailedVariant ``{preset, status, error: {type, cause}}``."""
        if data.get("status") != "ok":
            raw = data.get("error") or {}
            if "message" in raw:
                return cls.failed(data["preset"], ErrorRecord.from_dict(raw))
            return cls.failed(data["preset"], ErrorRecord.from_step_functions(raw.get("type"), raw.get("cause")))
        fields = ("key", "width", "height", "format", "content_type", "bytes")
        return cls(data["preset"], "ok", **{name: data.get(name) for name in fields})

    def to_dict(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "status": self.status,
            "key": self.key,
            "width": self.width,
            "height": self.height,
            "format": self.format,
            "content_type": self.content_type,
            "bytes": self.bytes,
            **({"error": self.error.to_dict()} if self.error is not None else {}),
        }


@dataclass(frozen=True)
class ExecutionInfo(FlatRecord):
    """Which execution wrote a manifest: Step Functions' context object, or a local render."""

    name: str | None
    arn: str | None = None
    start: str | None = None


@dataclass(frozen=True)
class ManifestInputs:
    """Everything a manifest is built from; the finalizer and ``imgfan render`` both make one."""

    source: SourceRef
    output: OutputSettings
    presets_hash: str
    preset_names: tuple[str, ...]
    analysis: SourceInfo | None
    # Why the source itself failed (analysis); then every preset is failed with it.
    error: ErrorRecord | None
    variants: tuple[VariantResult, ...]
    execution: ExecutionInfo

    def with_default_base_url(self, url: str | None) -> ManifestInputs:
        return replace(self, output=self.output.with_default_base_url(url))

    @classmethod
    def from_state(cls, state: dict[str, Any], execution: dict[str, Any]) -> ManifestInputs:
        """The finalizer's view of the state machine's final state (see statemachine/imgfan.asl.json)."""
        request = ExecutionInput.from_dict(state)
        image = (state.get("analysis") or {}).get("image")
        caught = state.get("analysis_error")
        if caught is not None:
            error = ErrorRecord.from_step_functions(caught.get("Error"), caught.get("Cause"))
        elif image is None:
            # Only a broken state machine definition gets here; say so rather than invent data.
            error = ErrorRecord("MissingAnalysis", "the execution state has no analysis result")
        else:
            error = None
        return cls(
            source=request.source,
            output=request.settings.output,
            presets_hash=request.presets_hash,
            preset_names=tuple(preset.name for preset in request.presets),
            analysis=SourceInfo.from_dict(image) if image is not None and error is None else None,
            error=error,
            variants=tuple(VariantResult.from_dict(v) for v in state.get("variants") or ()),
            execution=ExecutionInfo.from_dict(execution),
        )
