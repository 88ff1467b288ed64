"""Animated input: every frame through the same geometry, re-encoded as animated WebP or GIF."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PIL import Image, ImageSequence

from imgfan_core.errors import ImageTooLarge

if TYPE_CHECKING:
    from imgfan_core.engine.models import InputLimits

ANIMATED_OUTPUTS = ("webp", "gif")


def check_total_pixels(size: tuple[int, int], count: int, limits: InputLimits) -> None:
    """Animating decodes every frame at full size, so the full-decode budget covers all of them
    (as imgproxy does). Frames are decoded one at a time: this bounds the work, not the memory.

    Keeping only the first frame decodes one, which the ordinary per-image check covers.
    """
    total = size[0] * size[1] * count
    full_decode = limits.max_full_decode_pixels < limits.max_input_pixels
    name = "max_full_decode_pixels" if full_decode else "max_input_pixels"
    limit = min(limits.max_full_decode_pixels, limits.max_input_pixels)
    if total > limit:
        raise ImageTooLarge(
            f"{count} frames of {size[0]}x{size[1]} are {total} pixels to animate, over limits.{name} of "
            f"{limit}; keep the first frame instead"
        )


def frames(
    image: Image.Image, transform: Callable[[Image.Image], Image.Image]
) -> tuple[list[Image.Image], list[int]]:
    """Transformed frames and their durations in milliseconds.

    Pillow composites GIF/APNG/WebP frames onto the canvas for us, so each frame is a whole
    picture and can be resized on its own.
    """
    out: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(image):
        rgba = frame.convert("RGBA")
        # Read after convert(): some plugins (WebP) set the frame's duration when it loads.
        durations.append(_duration(frame.info.get("duration")))
        # A fresh, empty info: comments and EXIF of the source must not ride along per frame.
        rgba.info = {}
        out.append(transform(rgba))
    return out, durations


def _duration(value) -> int:
    # Browsers show frames of 10 ms or less for 100 ms; copying 0 would make the copy race.
    try:
        milliseconds = int(value)
    except (TypeError, ValueError):
        return 100
    return 100 if milliseconds <= 10 else milliseconds


def save_options(frames_out: list[Image.Image], durations: list[int], loop: int | None, fmt: str) -> dict:
    """``loop`` None means the source plays once (a GIF without a NETSCAPE loop block)."""
    options: dict = {"save_all": True, "append_images": frames_out[1:], "duration": durations}
    if loop is not None:
        options["loop"] = loop
    elif fmt == "webp":
        options["loop"] = 1  # WebP has no "no loop block": 1 means play once
    if fmt == "gif":
        # Frames are whole pictures, so each replaces the last instead of drawing over it.
        options["disposal"] = 2
    return options
