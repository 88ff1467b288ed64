"""One preset: how a source becomes one variant, with the rules that make a preset renderable.

Defaults come from the engine's ``RenderSpec`` and ``OverlaySpec``, so a preset that leaves an
option out renders as the engine would without it. Option names follow sharp (``fit``,
``position``, ``withoutEnlargement`` → ``enlarge``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from imgfan_core.engine import quality as engine_quality
from imgfan_core.engine.models import OverlaySpec, RenderSpec
from imgfan_core.presets.problems import FieldProblem
from imgfan_core.presets.quality import QualityTarget, quality_problem
from imgfan_core.presets.strict import StrictModel
from imgfan_core.vocabulary import (
    AnimationPolicy,
    AutoQuality,
    Fit,
    GainMapPolicy,
    Gravity,
    OutputFormat,
    Position,
)

# A name becomes a path segment of every variant key: keep it to characters that need no
# URL-encoding, cannot climb directories and read the same on every filesystem.
PRESET_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
HEX_COLOUR_PATTERN = r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"
MAX_DIMENSION = 16384
# Preset fields that choose which sources a preset applies to, not how it renders.
SELECTION_FIELDS = ("prefixes",)
FITS_NEEDING_BOTH = ("cover", "contain", "fill")
# 'original' keeps an animated GIF a GIF; the other encoders here write a single frame.
ANIMATABLE_FORMATS = ("webp", "original")
# original can resolve to jpeg for a JPEG (or non-web-safe, opaque) source.
PROGRESSIVE_FORMATS = ("jpeg", "original")
# Only a JPEG variant carries an Ultra HDR gain map (an Ultra HDR source is a JPEG, so original too).
GAIN_MAP_FORMATS = ("jpeg", "original")
# libjxl's effort starts at 1 (sharp's jxl effort is 1-9); 0 means nothing to it.
MIN_JXL_EFFORT = 1


def _fraction(value: float, zero_allowed: bool, fix: str) -> float:
    if not ((value >= 0 if zero_allowed else value > 0) and value <= 1):
        raise ValueError(f"{value} is out of range; {fix}")
    return value


class Overlay(StrictModel):
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


class Preset(StrictModel):
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
    position: Position = Field(
        default=RenderSpec.position,
        description="Crop anchor for cover: a gravity, or entropy/attention for a content-aware crop.",
    )
    enlarge: bool = Field(default=RenderSpec.enlarge, description="Allow upscaling sources smaller than the box.")
    format: OutputFormat = Field(
        default=RenderSpec.format, description="Output format; original keeps web-safe sources."
    )
    quality: Annotated[int, Field(ge=1, le=100)] | AutoQuality | QualityTarget | None = Field(
        # RenderSpec.quality's default too (None: the format's own), written out because the
        # engine holds a target as the JSON object where this model holds a QualityTarget.
        default=None,
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
            raise quality_problem(value, exc.errors()) from None

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

