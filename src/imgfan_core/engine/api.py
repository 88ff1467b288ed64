"""The engine's public entry points: ``analyze`` once per image, ``render_variant`` per preset.

One ``render_variant`` call decodes the source once, at the smallest size that still covers
the target (JPEG DCT scaling), resamples it with a reduce-then-Lanczos pass that also applies
the crop, orients the small result, converts its colour and encodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from imgfan_core.engine import (
    animation,
    colour,
    decode,
    encode,
    geometry,
    palette,
    placeholder,
    position,
    quality,
    shrink,
)
from imgfan_core.engine.metadata import kept_exif
from imgfan_core.engine.models import InputLimits, MetadataSpec, RenderedVariant, RenderSpec, SourceInfo
from imgfan_core.engine.overlay import OverlayImage, Placed, composite, prepare
from imgfan_core.engine.shared import SharedDecode
from imgfan_core.errors import PermanentImageError, UnsupportedImage

if TYPE_CHECKING:
    from imgfan_core.engine.gainmap import GainMapSource

# Names what decides the bytes besides the inputs: bump ENGINE_REVISION when an engine change alters
# the output for the same source and preset, so fingerprinted keys never receive new bytes.
# 2: AVIF encoded on one thread (its tiles no longer follow the CPU count)
# 3: a turned or mirrored photo is resampled before it is turned (Lanczos's passes swap order)
ENGINE_REVISION = "3"
RENDERER = f"imgfan-engine/{ENGINE_REVISION} Pillow/{Image.__version__}"


def renderer_for(fmt: str) -> str:
    """What wrote a variant of ``fmt``: RENDERER, plus imagecodecs' version for JPEG XL.

    libjxl comes with imagecodecs, pinned apart from Pillow: a bump changes jxl bytes, so it
    must change their fingerprinted keys too. Other formats keep the keys they had.
    """
    if fmt != "jxl":
        return RENDERER
    from imgfan_core.engine import jxl

    return f"{RENDERER} imagecodecs/{jxl.codec_version()}"

# Image.reduce() by an integer factor first while at least this much downscale remains for
# Lanczos; 3.0 is visually indistinguishable from a plain Lanczos pass (Pillow's docs).
REDUCING_GAP = 3.0
PLACEHOLDER_SOURCE_SIZE = 64


@dataclass
class _Source:
    image: Image.Image
    format: str
    orientation: int
    frames: int
    animated: bool
    icc: bytes | None
    upright: tuple[int, int]
    # What the file says; differs from ``orientation`` when the decoder already turned the
    # pixels (libheif applies HEIF's irot/imir and pillow-heif keeps the tag as original_orientation).
    reported_orientation: int = 1


def _open(data: bytes, limits: InputLimits) -> _Source:
    image = decode.open_image(data, limits)
    fmt = image.format or "unknown"
    orient = decode.orientation(image)
    frames = decode.frame_count(image, limits)
    animated = frames > 1 and fmt in decode.ANIMATED_FORMATS
    return _Source(
        image=image,
        format=fmt,
        orientation=orient,
        frames=frames,
        animated=animated,
        icc=image.info.get("icc_profile") or None,
        upright=geometry.upright_size(image.size, orient),
        reported_orientation=_reported_orientation(image, orient),
    )


def _reported_orientation(image: Image.Image, applied: int) -> int:
    original = image.info.get("original_orientation")
    return original if isinstance(original, int) and 1 <= original <= 8 else applied


def _decode_stored(src: _Source, needed: tuple[float, float], shared: SharedDecode | None = None) -> Image.Image:
    """One decode at the smallest JPEG scale covering ``needed`` (other formats: reduced after
    decoding, see ``shrink``), in a resample mode, still in the stored orientation. ``shared`` may
    hand over the same decode made for an earlier preset of this source.

    It is not turned upright here: turning copies every pixel (76 ms and a second 64 MB picture
    for a 16 MP photo decoded in 107 ms), so the callers turn the resampled result instead."""
    image = src.image
    decode.draft(image, needed, src.orientation)
    image = shared.load(image) if shared is not None else decode.load(image)
    image = colour.fix_cmyk_inversion(image)
    mode = image.mode
    try:
        # needed is upright; the decoded pixels are not turned yet (orientations 5-8 swap axes)
        stored = geometry.upright_size(needed, src.orientation)
        image = shrink.normalized_and_reduced(image, stored, REDUCING_GAP)
    except (ValueError, OSError) as exc:
        # e.g. a LAB or float TIFF that Pillow reads but cannot convert
        raise UnsupportedImage(f"{mode} pixels are not supported ({' '.join(str(exc).split())})") from None
    return image


def analyze(data: bytes, limits: InputLimits, *, shared: SharedDecode | None = None) -> SourceInfo:
    """Validate the source fully (header, limits and pixels) and describe it for the manifest."""
    src = _open(data, limits)
    tiny = geometry.plan(*src.upright, PLACEHOLDER_SOURCE_SIZE, PLACEHOLDER_SOURCE_SIZE, "inside")
    pixels = _decode_stored(src, tiny.scaled, shared.of(data) if shared is not None else None)
    has_alpha = pixels.mode in ("LA", "RGBA")
    stored_size = geometry.upright_size(tiny.crop, src.orientation)
    small = decode.upright(pixels.resize(stored_size, Image.Resampling.BOX, reducing_gap=2.0), src.orientation)
    small, _ = colour.to_srgb(small, src.icc)
    return SourceInfo(
        format=src.format.lower(),
        width=src.upright[0],
        height=src.upright[1],
        orientation=src.reported_orientation,
        has_alpha=has_alpha,
        animated=src.animated,
        frames=src.frames,
        colour_profile=colour.profile_description(src.icc),
        bytes=len(data),
        placeholder=placeholder.placeholder(small),
        hdr="gain-map" if _gain_map_source(src, data) is not None else None,
    )


def _gain_map_source(src: _Source, data: bytes) -> GainMapSource | None:
    """The source's Ultra HDR gain map, or None.

    Pillow found any MPF while reading the header, so a JPEG without one costs a dict look-up
    and never imports the gain map module.
    """
    if "mp" not in src.image.info:
        return None
    from imgfan_core.engine import gainmap

    return gainmap.find(src.image, data)


@dataclass(frozen=True)
class _Job:
    """One variant's decisions, shared by a still picture and every frame of an animation."""

    preset: RenderSpec
    plan: geometry.Plan
    fmt: str
    metadata: MetadataSpec
    focus: tuple[float, float] | None = None
    overlay: Placed | None = None


def _crop_offset(image: Image.Image, job: _Job, orientation: int) -> tuple[float, float]:
    """Where the kept crop starts in the scaled (upright) image: the focal point wins over the
    preset's position. ``image`` is in its stored orientation."""
    plan, position_name = job.plan, job.preset.position
    slack = (plan.scaled[0] - plan.crop[0], plan.scaled[1] - plan.crop[1])
    if max(slack) < 0.5:
        return 0.0, 0.0
    if job.focus is not None:
        return position.focus_offset(job.focus, plan.scaled, plan.crop)
    if position_name in position.STRATEGIES:
        # Turned after it is scaled down, so only the small picture is turned.
        upright = decode.upright(position.analysis_proxy(image), orientation)
        return position.strategy_offset(upright, plan.scaled, plan.crop, position_name)
    return position.gravity_offset(slack, position_name)


def _source_box(image: Image.Image, job: _Job, orientation: int) -> geometry.Box:
    """The region of the decoded image, once upright, that becomes the kept crop, in decoded pixels."""
    plan = job.plan
    slack = (plan.scaled[0] - plan.crop[0], plan.scaled[1] - plan.crop[1])
    offset = _crop_offset(image, job, orientation)
    # Rounding in the analysis proxy can push an offset a hair outside the slack.
    offset = (min(max(0.0, offset[0]), max(0.0, slack[0])), min(max(0.0, offset[1]), max(0.0, slack[1])))
    # decoded pixels per scaled pixel, per axis
    width, height = geometry.upright_size(image.size, orientation)
    kx, ky = width / plan.scaled[0], height / plan.scaled[1]
    x0, y0 = offset[0] * kx, offset[1] * ky
    return (x0, y0, min(width, x0 + plan.crop[0] * kx), min(height, y0 + plan.crop[1] * ky))


def _letterbox(image: Image.Image, plan: geometry.Plan, preset: RenderSpec, fmt: str) -> Image.Image:
    if plan.canvas == plan.crop:
        return image
    r, g, b, a = encode.parse_colour(preset.background)
    transparent_ok = fmt in encode.ALPHA_FORMATS
    if transparent_ok and (image.mode in ("LA", "RGBA") or a < 255):
        canvas = Image.new("RGBA", plan.canvas, (r, g, b, a))
        image = image.convert("RGBA")
    else:
        canvas = Image.new("RGB", plan.canvas, (r, g, b))
        image = encode.flatten(image, preset.background)
        image = image if image.mode == "RGB" else image.convert("RGB")
    canvas.paste(image, _letterbox_at(plan, preset))
    return canvas


def _letterbox_at(plan: geometry.Plan, preset: RenderSpec) -> tuple[int, int]:
    """Where a contain letterbox puts the picture on its canvas."""
    gravity = preset.position if preset.position in position.GRAVITY else "center"
    slack = (plan.canvas[0] - plan.crop[0], plan.canvas[1] - plan.crop[1])
    ox, oy = position.gravity_offset(slack, gravity)
    return round(ox), round(oy)


def _transform(
    image: Image.Image, job: _Job, icc: bytes | None, orientation: int, *, still: bool = True,
    box: geometry.Box | None = None,
) -> tuple[Image.Image, bytes | None]:
    """``image`` (stored with EXIF ``orientation``) cut to ``box`` of its upright picture, resampled
    to the plan, then turned upright, coloured, letterboxed and made ready for the format."""
    preset = job.preset
    box = box or _source_box(image, job, orientation)
    stored = geometry.stored_box(box, geometry.upright_size(image.size, orientation), orientation)
    size = geometry.upright_size(job.plan.crop, orientation)
    resized = image.resize(size, Image.Resampling.LANCZOS, box=stored, reducing_gap=REDUCING_GAP)
    resized = decode.upright(resized, orientation)
    resized, icc_out = colour.to_srgb(resized, icc, job.metadata.convert_to_srgb)
    resized = _letterbox(resized, job.plan, preset, job.fmt)
    if job.overlay is not None:
        resized = composite(resized, job.overlay)
    if still:
        # Animation frames keep one mode throughout, so only stills lose an all-opaque alpha.
        resized = encode.drop_opaque_alpha(resized)
    resized = encode.for_format(resized, job.fmt, preset.background)
    if preset.palette and job.fmt == "png":
        resized = palette.quantize(resized, preset.colours, preset.dither)
    return resized, icc_out


def render_variant(
    data: bytes,
    preset: RenderSpec,
    limits: InputLimits,
    metadata: MetadataSpec = MetadataSpec(),
    *,
    focus: tuple[float, float] | None = None,
    overlay: OverlayImage | None = None,
    shared: SharedDecode | None = None,
) -> RenderedVariant:
    """One preset's variant of ``data``.

    ``focus`` is the source's focal point (``parse_focus`` of its ``focus`` metadata): every cover
    crop is centred on it, whatever the preset's ``position``. ``overlay`` is the picture that the
    preset's ``overlay.image`` names, read by the caller; give it exactly when the preset has one.
    ``shared`` (one per source, see ``engine.shared``) reuses a decode at the same DCT scale that
    an earlier call made; the bytes are the same as without it.
    """
    src = _open(data, limits)
    alpha = colour.has_alpha(src.image)
    wants_animation = preset.animation == "animate" and src.animated
    fmt = encode.resolve_format(preset.format, src.format, alpha, wants_animation)
    plan = geometry.plan(*src.upright, preset.width, preset.height, preset.fit, preset.enlarge)
    job = _Job(preset, plan, fmt, metadata, focus, _placed_overlay(preset, overlay, plan.canvas))
    exif = kept_exif(src.image, metadata)
    kept = False
    if wants_animation and fmt in animation.ANIMATED_OUTPUTS:
        payload, (width, height) = _render_animation(src, job, limits, exif)
    else:
        pixels = _decode_stored(src, plan.scaled, shared.of(data) if shared is not None else None)
        box = _source_box(pixels, job, src.orientation)
        out, icc_out = _transform(pixels, job, src.icc, src.orientation, box=box)
        payload = quality.choose(preset.quality, fmt, out, lambda q: encode.encode(
            out, fmt, q, preset.effort, icc_out, exif, progressive=preset.progressive
        )).data
        width, height = out.size
        upright = geometry.upright_size(pixels.size, src.orientation)
        payload, kept = _with_gain_map(payload, src, data, job, limits, _fractions(box, upright))
    return RenderedVariant(payload, width, height, fmt, encode.content_type(fmt), kept)


def _fractions(box: tuple[float, float, float, float], size: tuple[int, int]) -> tuple[float, float, float, float]:
    return box[0] / size[0], box[1] / size[1], box[2] / size[0], box[3] / size[1]


def _with_gain_map(
    payload: bytes, src: _Source, data: bytes, job: _Job, limits: InputLimits,
    box: tuple[float, float, float, float],
) -> tuple[bytes, bool]:
    """``payload`` made Ultra HDR when the source is and the variant is a JPEG that keeps it.

    ``box`` is the region of the upright source the primary was cut from, in fractions: the gain
    map is cut and scaled the same way. Other formats get the SDR picture alone (Pillow's AVIF and
    pillow-heif's writers take no gain map).
    """
    if job.fmt != "jpeg" or job.preset.gain_map != "keep":
        return payload, False
    source = _gain_map_source(src, data)
    if source is None:
        return payload, False
    from imgfan_core.engine import gainmap

    try:
        # src.image.size is the draft's by now; the header's size is in src.upright
        stored = gainmap.pixels(source, limits, geometry.upright_size(src.upright, src.orientation))
    except PermanentImageError:
        # A damaged gain map costs the HDR rendition, not the variant: the primary is whole.
        return payload, False
    plan = job.plan
    place = gainmap.Placement(box, plan.crop, plan.canvas, _letterbox_at(plan, job.preset), job.overlay)
    resized = gainmap.resized(decode.upright(stored, src.orientation), src.upright, place, source.fields)
    return gainmap.attach(payload, gainmap.encode(resized, source), source), True


def _placed_overlay(
    preset: RenderSpec, overlay: OverlayImage | None, canvas: tuple[int, int]
) -> Placed | None:
    if preset.overlay is None and overlay is None:
        return None
    if preset.overlay is None or overlay is None:
        # A caller bug, not bad input: silently skipping would publish unmarked variants.
        raise ValueError(
            f"preset '{preset.name}': pass an overlay image exactly when the preset has an overlay"
        )
    return prepare(overlay, preset.overlay, canvas)


def _render_animation(
    src: _Source, job: _Job, limits: InputLimits, exif: bytes | None
) -> tuple[bytes, tuple[int, int]]:
    animation.check_total_pixels(src.image.size, src.frames, limits)
    loop = src.image.info.get("loop")
    icc_holder: list[bytes | None] = [None]

    def one_frame(frame: Image.Image) -> Image.Image:
        out, icc_holder[0] = _transform(frame, job, src.icc, src.orientation, still=False)
        return out

    try:
        frames, durations = animation.frames(src.image, one_frame)
    except Exception as exc:
        if isinstance(exc, PermanentImageError):
            raise
        raise decode.classify(exc) from None
    extra = animation.save_options(frames, durations, loop, job.fmt)
    preset = job.preset
    payload = encode.encode(
        frames[0], job.fmt, quality.fixed_quality(preset.quality), preset.effort, icc_holder[0], exif, extra
    )
    return payload, frames[0].size
