"""The presets document: one pydantic model is the single source of truth.

``presets.json`` (repository root), ``presets.schema.json`` (generated from this model by
:func:`json_schema`), the SSM parameter, ``cdk synth`` and ``imgfan presets validate`` all go
through :func:`parse_presets`, so they refuse the same documents with the same messages.
Option names follow sharp (``fit``, ``position``, ``withoutEnlargement`` → ``enlarge``) so that
people who know sharp or imgproxy can read a preset at a glance.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from imgfan_core.engine import quality as engine_quality
from imgfan_core.engine.models import InputLimits, MetadataSpec, OverlaySpec, RenderSpec
from imgfan_core.errors import InvalidPresets

SCHEMA_FILE = "presets.schema.json"

Fit = Literal["cover", "contain", "fill", "inside", "outside"]
Gravity = Literal[
    "center", "north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest"
]
Strategy = Literal["entropy", "attention"]
Position = Literal[Gravity, Strategy]  # type: ignore[valid-type]
OutputFormat = Literal["jpeg", "png", "webp", "avif", "jxl", "original"]
AnimationPolicy = Literal["first-frame", "animate"]
KeyStyle = Literal["fingerprinted", "stable"]
GainMapPolicy = Literal["keep", "drop"]

# A name becomes a path segment of every variant key: keep it to characters that need no
# URL-encoding, cannot climb directories and read the same on every filesystem.
PRESET_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
HEX_COLOUR_PATTERN = r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"
PUBLIC_URL_PATTERN = r"^https?://[^\s?#]+$"
HEADER_VALUE_PATTERN = r"^[^\r\n]+$"
MAX_DIMENSION = 16384
# Preset fields that choose which sources a preset applies to, not how it renders.
SELECTION_FIELDS = ("prefixes",)
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
REVALIDATE_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"
# Stable keys get new bytes on a replace; a day is the longest a stale variant may be served.
STABLE_MAX_AGE = 86400
FITS_NEEDING_BOTH = ("cover", "contain", "fill")
# 'original' keeps an animated GIF a GIF; the other encoders here write a single frame.
ANIMATABLE_FORMATS = ("webp", "original")
# original can resolve to jpeg for a JPEG (or non-web-safe, opaque) source.
PROGRESSIVE_FORMATS = ("jpeg", "original")
# Only a JPEG variant carries an Ultra HDR gain map (an Ultra HDR source is a JPEG, so original too).
GAIN_MAP_FORMATS = ("jpeg", "original")
# libjxl's effort starts at 1 (sharp's jxl effort is 1-9); 0 means nothing to it.
MIN_JXL_EFFORT = 1


class FieldProblem(ValueError):
    """A cross-field rule broken at ``path``: lets messages name the field, not just the model."""

    def __init__(self, path: tuple[str | int, ...], message: str):
        super().__init__(message)
        self.path = path
        self.message = message


class _Strict(BaseModel):
    # Unknown keys are typos until proven otherwise: refuse them instead of ignoring them.
    # Strict types: "width": "200" is a mistake in a JSON file, not something to guess at.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _fraction(value: float, zero_allowed: bool, fix: str) -> float:
    if not ((value >= 0 if zero_allowed else value > 0) and value <= 1):
        raise ValueError(f"{value} is out of range; {fix}")
    return value


class Overlay(_Strict):
    image: str = Field(
        min_length=1,
        description="The overlay picture (a PNG with alpha, typically): a key in the source bucket on AWS and "
        "the embedded cloud; for 'imgfan render', a path relative to the presets file.",
    )
    position: Gravity = Field(default=OverlaySpec.position, description="Where it goes: a compass point.")
    width: float = Field(
        default=OverlaySpec.width,
        json_schema_extra={"exclusiveMinimum": 0, "maximum": 1},
        description="Its width as a fraction of the variant's width (aspect kept; smaller if it would not fit).",
    )
    margin: int = Field(
        default=OverlaySpec.margin, ge=0, le=MAX_DIMENSION, description="Pixels between it and the variant's edges."
    )
    opacity: float = Field(
        default=OverlaySpec.opacity,
        json_schema_extra={"minimum": 0, "maximum": 1},
        description="0 (invisible) to 1 (as drawn).",
    )

    @field_validator("width")
    @classmethod
    def _width_is_a_fraction(cls, value: float) -> float:
        return _fraction(value, False, "use a fraction of the variant's width above 0 and at most 1, e.g. 0.2")

    @field_validator("opacity")
    @classmethod
    def _opacity_is_a_fraction(cls, value: float) -> float:
        return _fraction(value, True, "use a number from 0 (invisible) to 1 (as drawn)")


class QualityTarget(_Strict):
    target: int = Field(
        ge=engine_quality.MIN_TARGET,
        le=engine_quality.MAX_TARGET,
        description="SSIMULACRA2 score each variant must reach: 90 visually lossless, 70 high, 50 medium.",
    )


QUALITY_FORMS = (
    f'use a whole number from 1 to 100, "auto" (a score of {engine_quality.AUTO_TARGET}), or '
    f'{{"target": N}} with N from {engine_quality.MIN_TARGET} to {engine_quality.MAX_TARGET}'
)


class Preset(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        json_schema_extra={
            # Mirrors _check_geometry so editors flag the mistake while typing.
            "allOf": [
                {"anyOf": [{"required": ["width"]}, {"required": ["height"]}]},
                {
                    "if": {"required": ["fit"], "properties": {"fit": {"enum": list(FITS_NEEDING_BOTH)}}},
                    "then": {"required": ["width", "height"]},
                },
                {
                    "if": {"required": ["animation"], "properties": {"animation": {"const": "animate"}}},
                    "then": {"properties": {"format": {"enum": list(ANIMATABLE_FORMATS)}}},
                },
                {
                    "if": {"required": ["progressive"]},
                    "then": {"properties": {"format": {"enum": list(PROGRESSIVE_FORMATS)}}},
                },
                {
                    "if": {"required": ["format", "effort"], "properties": {"format": {"const": "jxl"}}},
                    "then": {"properties": {"effort": {"minimum": MIN_JXL_EFFORT}}},
                },
                {
                    "if": {"required": ["gain_map"]},
                    "then": {"properties": {"format": {"enum": list(GAIN_MAP_FORMATS)}}},
                },
                {
                    "if": {"required": ["palette"], "properties": {"palette": {"const": True}}},
                    "then": {"required": ["format"], "properties": {"format": {"const": "png"}}},
                },
            ]
        },
    )

    name: str = Field(
        pattern=PRESET_NAME_PATTERN,
        description="Slug used in output keys: lower-case letters, digits, inner hyphens; 1-40 characters.",
    )
    width: int | None = Field(default=None, ge=1, le=MAX_DIMENSION, description="Target width in pixels.")
    height: int | None = Field(default=None, ge=1, le=MAX_DIMENSION, description="Target height in pixels.")
    fit: Fit = Field(default=RenderSpec.fit, description="How the image fits the box (sharp's fit).")
    position: Position = Field(  # type: ignore[valid-type]
        default=RenderSpec.position,
        description="Crop anchor for cover: a gravity, or entropy/attention for a content-aware crop.",
    )
    enlarge: bool = Field(default=RenderSpec.enlarge, description="Allow upscaling sources smaller than the box.")
    format: OutputFormat = Field(
        default=RenderSpec.format, description="Output format; original keeps web-safe sources."
    )
    quality: Annotated[int, Field(ge=1, le=100)] | Literal["auto"] | QualityTarget | None = Field(
        default=RenderSpec.quality,
        description="Encoder quality 1-100 (default depends on the format), or per image the lowest quality "
        f'whose estimated SSIMULACRA2 score reaches a target: "auto" ({engine_quality.AUTO_TARGET}) or '
        '{"target": N}. Animated variants use the format\'s default quality instead.',
    )
    effort: int | None = Field(
        default=None,
        ge=0,
        le=9,
        description="CPU effort: webp method 0-6, avif 0-9, jxl 1-9 (libjxl's effort, as in sharp); higher is "
        "slower and smaller. png ignores it.",
    )
    progressive: bool = Field(
        default=RenderSpec.progressive,
        description="JPEG only: progressive scans (about 5% smaller and drawn coarse-to-fine, at about 2.5x "
        "the encode time); false writes baseline JPEG.",
    )
    background: str = Field(
        default=RenderSpec.background,
        pattern=HEX_COLOUR_PATTERN,
        description="Colour to flatten alpha (jpeg) and for contain's letterbox: #rrggbb or #rrggbbaa.",
    )
    animation: AnimationPolicy = Field(
        default=RenderSpec.animation,
        description="Animated input: keep the first frame, or animate (webp/gif output only).",
    )
    palette: bool = Field(
        default=RenderSpec.palette,
        description="png only: quantise to at most 'colours' colours with alpha kept (sharp's palette); "
        "far smaller files for flat art, icons and most thumbnails.",
    )
    colours: int = Field(
        default=RenderSpec.colours, ge=2, le=256, description="With palette: the most colours, 2-256."
    )
    dither: float = Field(
        default=RenderSpec.dither,
        json_schema_extra={"minimum": 0, "maximum": 1},
        description="With palette: Floyd-Steinberg dithering level from 0 (none) to 1 (full), as in sharp; "
        "pictures with alpha are not dithered.",
    )
    overlay: Overlay | None = Field(
        default=None, description="A watermark or logo drawn on every variant of this preset."
    )
    gain_map: GainMapPolicy = Field(
        default=RenderSpec.gain_map,
        description="JPEG only: an Ultra HDR source's gain map (its brightness for HDR screens) is resized "
        "with the picture and kept ('keep'), or left out for an SDR-only variant ('drop'). Other "
        "formats never carry it.",
    )
    prefixes: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Source key prefixes this preset applies to (e.g. [\"avatars/\"]); absent: every source.",
    )

    def applies_to(self, key: str) -> bool:
        return self.prefixes is None or key.startswith(tuple(self.prefixes))

    @field_validator("quality", mode="wrap")
    @classmethod
    def _one_quality_problem(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # The union reports a failure per form; only the form the value is written in helps.
        try:
            return handler(value)
        except ValidationError as exc:
            raise _quality_problem(value, exc.errors()) from None

    @model_validator(mode="after")
    def _check_geometry(self) -> Preset:
        if self.width is None and self.height is None:
            raise FieldProblem(("width",), "set width, height or both (neither is set)")
        if self.fit in FITS_NEEDING_BOTH and (self.width is None or self.height is None):
            missing = "height" if self.height is None else "width"
            raise FieldProblem(
                (missing,),
                f"required because fit is '{self.fit}', which needs both width and height; "
                f"add {missing}, or use fit 'inside' to bound one side only",
            )
        if self.animation == "animate" and self.format not in ANIMATABLE_FORMATS:
            raise FieldProblem(
                ("animation",),
                f"'animate' cannot work with format '{self.format}' (it would silently keep the first "
                "frame); use format 'webp' or 'original', or animation 'first-frame'",
            )
        if self.effort is not None and self.format == "webp" and self.effort > 6:
            raise FieldProblem(
                ("effort",), f"webp effort is 0-6, got {self.effort}; use 6 for the smallest files"
            )
        if self.effort is not None and self.format == "jxl" and self.effort < MIN_JXL_EFFORT:
            raise FieldProblem(
                ("effort",), f"jxl effort is {MIN_JXL_EFFORT}-9 (libjxl's effort, as in sharp), got {self.effort}; "
                "use 1 for the fastest encode"
            )
        if "progressive" in self.model_fields_set and self.format not in PROGRESSIVE_FORMATS:
            raise FieldProblem(
                ("progressive",),
                f"only jpeg output has progressive scans, and this preset writes '{self.format}'; "
                "remove 'progressive', or use format 'jpeg' or 'original'",
            )
        if "gain_map" in self.model_fields_set and self.format not in GAIN_MAP_FORMATS:
            raise FieldProblem(
                ("gain_map",),
                f"only jpeg output carries a gain map, and this preset writes '{self.format}'; "
                "remove 'gain_map', or use format 'jpeg' or 'original'",
            )
        return self

    @field_validator("dither")
    @classmethod
    def _dither_is_a_level(cls, value: float) -> float:
        return _fraction(value, True, "use a number from 0 (no dithering) to 1 (full)")

    @model_validator(mode="after")
    def _check_palette(self) -> Preset:
        if self.palette and self.format != "png":
            raise FieldProblem(
                ("palette",),
                f"only png output has a palette, and this preset writes '{self.format}'; "
                "use format 'png', or remove 'palette'",
            )
        for option in ("colours", "dither"):
            if option in self.model_fields_set and not self.palette:
                raise FieldProblem(
                    (option,), f"'{option}' only applies to palette output; add \"palette\": true, or remove it"
                )
        return self

    def to_spec(self) -> RenderSpec:
        # prefixes choose which sources get the preset; they do not change how it renders.
        return RenderSpec.from_dict(self.model_dump(exclude=set(SELECTION_FIELDS)))


class SourceFilter(_Strict):
    bucket: str | None = Field(
        default=None, description="Source bucket name; null means the bucket the stack creates."
    )
    prefix: str = Field(default="", description="Only keys under this prefix are processed.")
    suffixes: list[str] = Field(
        default_factory=lambda: [
            ".jpg",
            ".jpeg",
            ".png",
            ".webp",
            ".gif",
            ".heic",
            ".heif",
            ".avif",
            ".tif",
            ".tiff",
        ],
        description="Only keys ending with one of these (case-insensitive) are processed; empty means all.",
    )

    @field_validator("suffixes")
    @classmethod
    def _suffixes_lower(cls, value: list[str]) -> list[str]:
        return sorted({s.lower() for s in value})


class OutputTarget(_Strict):
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


class Limits(_Strict):
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


KeptMetadata = Literal["copyright"]


class MetadataPolicy(_Strict):
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
            raise ValueError(f"expected a list, got {json.dumps(value)}; write [{json.dumps(value)}]")
        return value

    def to_spec(self) -> MetadataSpec:
        return MetadataSpec.from_dict(self.model_dump())


class PresetsConfig(_Strict):
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


def output_location_problem(
    source_bucket: str | None, source_prefix: str, output_bucket: str | None, output_prefix: str
) -> str | None:
    """Why writing there would feed the pipeline its own output, or None when it is safe."""
    if source_bucket is None or output_bucket is None or source_bucket != output_bucket:
        return None
    if not (output_prefix.startswith(source_prefix) or source_prefix.startswith(output_prefix)):
        return None
    return (
        f"output bucket '{output_bucket}' with prefix '{output_prefix}' overlaps the source prefix "
        f"'{source_prefix}' in the same bucket, so every variant would trigger the pipeline again; "
        "use a separate output bucket (set output.bucket to null for the stack's own) or disjoint prefixes"
    )


def check_output_location(
    config: PresetsConfig, source_bucket: str | None, output_bucket: str | None
) -> None:
    """Refuse a config whose outputs would land where the pipeline listens, with real bucket names.

    ``presets.json`` usually leaves both buckets null (the stack creates them), so the model alone
    cannot see an overlap; the dispatcher and the CLI call this with the names they resolved.
    A bucket named in the file wins over the resolved one for output, as that is where writes go;
    for the source, the resolved name (the bucket the event came from) wins.
    """
    effective_source = source_bucket or config.source.bucket
    effective_output = config.output.bucket or output_bucket
    problem = output_location_problem(
        effective_source, config.source.prefix, effective_output, config.output.prefix
    )
    if problem:
        raise InvalidPresets(f"output.prefix: {problem}")


# ---- messages that name the field and the fix -------------------------------------------------


def _location(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


def _field_at(loc: tuple[str | int, ...]) -> tuple[type[BaseModel] | None, Any]:
    """The model that owns the last part of ``loc`` and that part's FieldInfo (None if unknown)."""
    model: type[BaseModel] | None = PresetsConfig
    owner: type[BaseModel] | None = None
    field = None
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None:
            return None, None
        owner = model
        field = next((f for name, f in owner.model_fields.items() if name == part or f.alias == part), None)
        if field is None:
            return owner, None
        model = _model_in(field.annotation)
    return owner, field


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _bounds(field: Any) -> tuple[Any, Any]:
    low = high = None
    for item in getattr(field, "metadata", []):
        if hasattr(item, "ge"):
            low = item.ge
        elif hasattr(item, "gt"):
            low = item.gt + 1  # every bounded field here is an integer
        if hasattr(item, "le"):
            high = item.le
    return low, high


def _suggest(word: Any, choices: list[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _slug(value: Any) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")[:40].strip("-")
    return slug or "thumb"


def _preset_label(loc: tuple[str | int, ...], data: Any) -> str:
    """' (preset "thumb")' when the error sits inside a preset that has a readable name."""
    if len(loc) >= 2 and loc[0] == "presets" and isinstance(loc[1], int) and isinstance(data, dict):
        presets = data.get("presets")
        if isinstance(presets, list) and loc[1] < len(presets) and isinstance(presets[loc[1]], dict):
            name = presets[loc[1]].get("name")
            if isinstance(name, str) and name and loc[2:] != ("name",):
                return f" (preset '{name}')"
    return ""


# Pydantic error types whose message needs only the offending value, shown as JSON.
_TYPE_MESSAGES = {
    "int_type": "expected a whole number, got {shown}; write it without quotes or decimals",
    "int_parsing": "expected a whole number, got {shown}; write it without quotes or decimals",
    "int_from_float": "expected a whole number, got {shown}; write it without quotes or decimals",
    "bool_type": "expected true or false, got {shown}",
    "string_type": "expected a string, got {shown}",
    "model_type": "expected an object {{...}}, got {shown}",
    "model_attributes_type": "expected an object {{...}}, got {shown}",
    "dict_type": "expected an object {{...}}, got {shown}",
    "list_type": "expected a list [...], got {shown}",
    "missing": "required but missing; add it",
    "string_too_short": "must not be empty",
}
_PATTERN_MESSAGES = {
    "name": "{shown} is not a safe preset name: it becomes part of S3 keys, so use 1-40 lower-case "
            "letters, digits and inner hyphens, e.g. '{slug}'",
    "background": "{shown} is not a colour; use #rrggbb or #rrggbbaa, e.g. '#ffffff'",
    "public_base_url": "{shown} is not a base URL; use http(s)://host/path without query or fragment",
}
_BOUND_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _unknown_field(loc: tuple[str | int, ...], owner: type[BaseModel] | None) -> str:
    allowed = _allowed_keys(owner) if owner else []
    hint = _suggest(loc[-1], allowed) if allowed else ""
    listing = f" Allowed here: {', '.join(allowed)}." if allowed else ""
    fix = f"unknown field{hint} Rename it." if hint else "unknown field (typo?); remove it or fix the spelling."
    return f"{fix}{listing}"


def _out_of_bounds(field: Any, shown: str) -> str:
    low, high = _bounds(field)
    if high is None:
        return f"must be a positive whole number (at least {low}), got {shown}"
    return f"{shown} is out of range; use a whole number from {low} to {high}"


def _describe(error: dict[str, Any]) -> tuple[tuple[str | int, ...], str]:
    loc, kind, value = tuple(error["loc"]), error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    owner, field = _field_at(loc)
    shown = json.dumps(value, default=str)

    if kind == "value_error" and isinstance(ctx.get("error"), FieldProblem):
        problem: FieldProblem = ctx["error"]
        return loc + problem.path, problem.message
    if kind == "extra_forbidden":
        return loc, _unknown_field(loc, owner)
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", ctx.get("expected", ""))
        return loc, f"{shown} is not allowed; use one of {', '.join(choices)}{_suggest(value, choices)}"
    if kind in _BOUND_ERRORS:
        return loc, _out_of_bounds(field, shown)
    if kind == "string_pattern_mismatch":
        template = _PATTERN_MESSAGES.get(str(loc[-1]))
        if template is None:
            return loc, f"{shown} has characters that are not allowed here (pattern {ctx.get('pattern')})"
        return loc, template.format(shown=shown, slug=_slug(value))
    if kind in _TYPE_MESSAGES:
        return loc, _TYPE_MESSAGES[kind].format(shown=shown)
    if kind == "too_short" and loc == ("presets",):
        return loc, "is empty; add at least one preset"
    if kind == "too_long":
        return loc, f"too many items; at most {ctx.get('max_length')}"
    return loc, error["msg"].removeprefix("Value error, ")


def _quality_problem(value: Any, errors: list[Any]) -> FieldProblem:
    shown = json.dumps(value, default=str)
    if isinstance(value, int) and not isinstance(value, bool):
        return FieldProblem((), f"{shown} is out of range; {QUALITY_FORMS}")
    if isinstance(value, str) and value.strip().isdigit():
        return FieldProblem((), _TYPE_MESSAGES["int_type"].format(shown=shown))
    if isinstance(value, str):
        return FieldProblem((), f"{shown} is not allowed; {QUALITY_FORMS}{_suggest(value, ['auto'])}")
    if not isinstance(value, dict):
        return FieldProblem((), f"{shown} is not a quality; {QUALITY_FORMS}")
    # A misspelt key first: it also explains the missing 'target'.
    error = min((e for e in errors if e["loc"][0] == QualityTarget.__name__),
                key=lambda e: e["type"] != "extra_forbidden")
    path, given = tuple(error["loc"][1:]), json.dumps(error.get("input"), default=str)
    if error["type"] == "extra_forbidden":
        return FieldProblem(path, _unknown_field(path, QualityTarget))
    if error["type"] == "missing":
        example = {"target": engine_quality.AUTO_TARGET}
        return FieldProblem(path, f"required but missing; add it, e.g. {json.dumps(example)}")
    if error["type"] in _BOUND_ERRORS:
        return FieldProblem(path, _out_of_bounds(QualityTarget.model_fields["target"], given))
    return FieldProblem(path, _TYPE_MESSAGES["int_type"].format(shown=given))


def _format_error(error: dict[str, Any], data: Any = None) -> str:
    loc, message = _describe(error)
    return f"{_location(loc)}{_preset_label(loc, data)}: {message}"


def parse_presets(document: str | bytes | dict[str, Any]) -> PresetsConfig:
    """Parse and validate a presets document, raising InvalidPresets with one line per problem."""
    try:
        data = json.loads(document) if isinstance(document, (str, bytes)) else document
    except json.JSONDecodeError as exc:
        raise InvalidPresets(f"not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise InvalidPresets("(document): expected a JSON object with a 'presets' list")
    try:
        return PresetsConfig.model_validate(data)
    except ValidationError as exc:
        raise InvalidPresets("\n".join(_format_error(e, data) for e in exc.errors())) from None


@dataclass(frozen=True)
class PresetsFile:
    """A presets file as read from disk: its path, its text and the validated model."""

    path: Path
    text: str
    config: PresetsConfig

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.text)


def load_presets_file(path: str | Path) -> PresetsFile:
    """Read and validate a presets file; InvalidPresets names the file, then one line per problem.

    The one loader behind ``imgfan presets``, ``imgfan render`` and ``cdk synth``, so all three
    refuse the same files with the same words.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidPresets(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return PresetsFile(path, text, parse_presets(text))
    except InvalidPresets as exc:
        indented = "\n".join(f"  {line}" for line in str(exc).splitlines())
        raise InvalidPresets(f"{path} is invalid:\n{indented}") from None


# ---- schema and hash -------------------------------------------------------------------------


def json_schema() -> dict[str, Any]:
    """The JSON Schema committed as ``presets.schema.json`` (a test fails when they drift)."""
    schema = PresetsConfig.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://imgfan.dev/schemas/presets.schema.json",
        "$comment": "GENERATED from imgfan_core.presets; regenerate with 'imgfan presets schema --write'.",
        **schema,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


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
