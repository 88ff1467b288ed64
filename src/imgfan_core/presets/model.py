"""The presets document: one pydantic model is the single source of truth.

``presets.json`` (repository root), ``presets.schema.json`` (generated from this model by
:func:`imgfan_core.presets.schema.json_schema`), the SSM parameter, ``cdk synth`` and ``imgfan
presets validate`` all go through :func:`imgfan_core.presets.document.parse_presets`, so they
refuse the same documents with the same messages. One preset's own model is in ``preset.py``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from imgfan_core.engine.models import InputLimits, MetadataSpec
from imgfan_core.presets.location import output_location_problem
from imgfan_core.presets.preset import Preset
from imgfan_core.presets.problems import FieldProblem
from imgfan_core.presets.strict import StrictModel
from imgfan_core.vocabulary import DEFAULT_SOURCE_SUFFIXES, KeptMetadata, KeyStyle

PUBLIC_URL_PATTERN = r"^https?://[^\s?#]+$"
HEADER_VALUE_PATTERN = r"^[^\r\n]+$"
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
REVALIDATE_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"
# Stable keys get new bytes on a replace; a day is the longest a stale variant may be served.
STABLE_MAX_AGE = 86400


class SourceFilter(StrictModel):
    bucket: str | None = Field(
        default=None, description="Source bucket name; null means the bucket the stack creates."
    )
    prefix: str = Field(default="", description="Only keys under this prefix are processed.")
    suffixes: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SOURCE_SUFFIXES),
        description="Only keys ending with one of these (case-insensitive) are processed; empty means all.",
    )

    @field_validator("suffixes")
    @classmethod
    def _suffixes_lower(cls, value: list[str]) -> list[str]:
        return sorted({s.lower() for s in value})


class OutputTarget(StrictModel):
    bucket: str | None = Field(
        default=None, description="Output bucket name; null means the bucket the stack creates."
    )
    prefix: str = Field(
        default="", description="Prefix for every variant and manifest key; empty, or ending with '/'."
    )
    key_style: KeyStyle = Field(
        default="fingerprinted",
        description="fingerprinted: {preset}.{fingerprint}.{ext}, a new key whenever the bytes change, safe to "
        "cache forever; stable: {preset}.{ext}, the same key after a replace, so caches must revalidate.",
    )
    cache_control: str | None = Field(
        default=None,
        min_length=1,
        pattern=HEADER_VALUE_PATTERN,
        description="Cache-Control header for variants (manifests always get no-cache). Default: "
        f"'{IMMUTABLE_CACHE_CONTROL}' for fingerprinted keys, '{REVALIDATE_CACHE_CONTROL}' for stable keys.",
    )
    public_base_url: str | None = Field(
        default=None,
        pattern=PUBLIC_URL_PATTERN,
        description=(
            "Public URL of the output bucket (e.g. a CDN), without query string. When set, manifest "
            "srcset URLs are absolute (base + key); otherwise relative to the manifest's folder."
        ),
    )

    @field_validator("prefix")
    @classmethod
    def _prefix_is_folder(cls, value: str) -> str:
        if value and not value.endswith("/"):
            raise ValueError(
                f"'{value}' does not end with '/', so keys would read '{value}photos/…'; use '{value}/'"
            )
        return value

    @model_validator(mode="after")
    def _check_caching(self) -> OutputTarget:
        if self.key_style == "stable" and self.cache_control and _long_lived(self.cache_control):
            raise FieldProblem(
                ("cache_control",),
                f"'{self.cache_control}' is unsafe with key_style 'stable': a replaced image keeps its key, "
                "so browsers and CDNs would keep the old bytes; use a short lifetime such as "
                f"'{REVALIDATE_CACHE_CONTROL}', or key_style 'fingerprinted'",
            )
        return self

    @property
    def effective_cache_control(self) -> str:
        if self.cache_control:
            return self.cache_control
        return IMMUTABLE_CACHE_CONTROL if self.key_style == "fingerprinted" else REVALIDATE_CACHE_CONTROL


def _long_lived(cache_control: str) -> bool:
    """``immutable``, or a max-age/s-maxage of more than a day: too long for bytes that can change."""
    directives = cache_control.lower()
    ages = [int(age) for age in re.findall(r"(?:s-maxage|max-age)\s*=\s*(\d+)", directives)]
    return "immutable" in directives or any(age > STABLE_MAX_AGE for age in ages)


class Limits(StrictModel):
    max_input_pixels: int = Field(
        default=InputLimits.max_input_pixels,
        gt=0,
        description="Refuse sources with more pixels (checked in the header, before decoding). A baseline "
        "JPEG is decoded at reduced scale, so this is its limit; other sources also answer to "
        "max_full_decode_pixels.",
    )
    max_input_bytes: int = Field(default=InputLimits.max_input_bytes, gt=0, description="Refuse larger source objects.")
    max_animation_frames: int = Field(default=InputLimits.max_animation_frames, gt=0, description="Refuse animations with more frames.")
    max_full_decode_pixels: int = Field(
        default=InputLimits.max_full_decode_pixels,
        gt=0,
        description="Refuse sources that must be decoded at full size (PNG, WebP, GIF, TIFF, AVIF, HEIC and "
        "progressive JPEG) with more pixels; set from the resizer's memory (see docs/engine/features.md).",
    )

    def to_spec(self) -> InputLimits:
        return InputLimits(**self.model_dump())


class MetadataPolicy(StrictModel):
    strip: bool = Field(
        default=MetadataSpec.strip,
        description="Strip EXIF, XMP and comments. false keeps the EXIF, but never its GPS block.",
    )
    convert_to_srgb: bool = Field(default=MetadataSpec.convert_to_srgb, description="Convert tagged colour spaces to sRGB.")
    keep: tuple[KeptMetadata, ...] = Field(
        default=MetadataSpec.keep,
        # A JSON list is a tuple here; strictness stays on for the items.
        strict=False,
        description="EXIF kept even when stripping: 'copyright' keeps Artist and Copyright. GPS is never kept.",
    )

    @field_validator("keep", mode="before")
    @classmethod
    def _gps_is_never_kept(cls, value: Any) -> Any:
        if isinstance(value, list) and any(isinstance(item, str) and item.lower() == "gps" for item in value):
            raise ValueError("GPS is never kept: a location must not reach a public variant; remove 'gps'")
        if isinstance(value, str):
            # A ValueError, not the TypeError ruff suggests: pydantic reports only ValueError as a problem.
            raise ValueError(f"expected a list, got {json.dumps(value)}; write [{json.dumps(value)}]")  # noqa: TRY004
        return value

    def to_spec(self) -> MetadataSpec:
        return MetadataSpec.from_dict(self.model_dump())


class PresetsConfig(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        validate_by_name=True,
        validate_by_alias=True,
        title="imgfan presets",
    )

    schema_ref: str | None = Field(default=None, alias="$schema", description="Editor hint; ignored.")
    source: SourceFilter = Field(default_factory=SourceFilter)
    output: OutputTarget = Field(default_factory=OutputTarget)
    limits: Limits = Field(default_factory=Limits)
    metadata: MetadataPolicy = Field(default_factory=MetadataPolicy)
    max_concurrency: int = Field(
        default=4,
        ge=1,
        le=40,
        description="Variants rendered in parallel per image (the Map's MaxConcurrency).",
    )
    presets: list[Preset] = Field(min_length=1, max_length=40)

    @model_validator(mode="after")
    def _check_whole(self) -> PresetsConfig:
        first_index: dict[str, int] = {}
        for index, preset in enumerate(self.presets):
            if preset.name in first_index:
                raise FieldProblem(
                    ("presets", index, "name"),
                    f"duplicate name '{preset.name}' (also presets[{first_index[preset.name]}]); "
                    "names become output keys, so each must be unique: rename one",
                )
            first_index[preset.name] = index
        problem = output_location_problem(
            self.source.bucket, self.source.prefix, self.output.bucket, self.output.prefix
        )
        if problem:
            raise FieldProblem(("output", "prefix"), problem)
        self._check_jxl_colour()
        return self

    def _check_jxl_colour(self) -> None:
        # imagecodecs passes libjxl no ICC profile, so a JPEG XL variant can only be sRGB.
        if self.metadata.convert_to_srgb:
            return
        for index, preset in enumerate(self.presets):
            if preset.format == "jxl":
                raise FieldProblem(
                    ("presets", index, "format"),
                    "jxl variants are always sRGB (the JPEG XL encoder, imagecodecs, cannot embed the "
                    "source's ICC profile), but metadata.convert_to_srgb is false, which keeps each "
                    "source's colour space; set convert_to_srgb to true, or use another format",
                )

    def presets_for(self, key: str) -> list[Preset]:
        """The presets that apply to the source ``key`` (their ``prefixes``), in file order."""
        return [preset for preset in self.presets if preset.applies_to(key)]

    def preset(self, name: str) -> Preset:
        for preset in self.presets:
            if preset.name == name:
                return preset
        raise KeyError(name)
