"""Fit geometry as pure arithmetic: no pixels, so every mode is cheap to test exhaustively.

Semantics follow sharp's ``fit``:

* ``inside``  keep aspect, fit within the box (a missing side is unbounded);
* ``outside`` keep aspect, cover the box (a missing side follows the other);
* ``cover``   keep aspect, cover the box, then crop to exactly the box;
* ``contain`` keep aspect, fit within the box, then letterbox to exactly the box;
* ``fill``    ignore aspect, stretch to exactly the box.

Without ``enlarge``, a box that would need upscaling is shrunk by that upscaling factor
instead: the result keeps the box's shape (a square thumb stays square) but no source
pixel is ever magnified.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

# Pixel sizes (int) and the sizes a plan needs (float) turn upright the same way.
Length = TypeVar("Length", int, float)


@dataclass(frozen=True)
class Plan:
    """What to do with an upright ``source`` of a given size.

    ``scaled`` is the size the whole source is resampled to (possibly two different axis
    factors for ``fill``); ``crop`` is the region of that scaled image that is kept (cover
    only, otherwise the whole); ``canvas`` is the final output size, bigger than ``crop``
    only for ``contain``'s letterbox.
    """

    source: tuple[int, int]
    scaled: tuple[float, float]
    crop: tuple[int, int]
    canvas: tuple[int, int]

    @property
    def output(self) -> tuple[int, int]:
        return self.canvas

    @property
    def scale(self) -> tuple[float, float]:
        return self.scaled[0] / self.source[0], self.scaled[1] / self.source[1]

    @property
    def needs_crop(self) -> bool:
        return self.crop != (round(self.scaled[0]), round(self.scaled[1]))


def _px(value: float) -> int:
    return max(1, round(value))


def plan(
    source_width: int,
    source_height: int,
    width: int | None,
    height: int | None,
    fit: str = "inside",
    enlarge: bool = False,
) -> Plan:
    if source_width < 1 or source_height < 1:
        raise ValueError("source must be at least 1x1")
    if width is None and height is None:
        raise ValueError("set width, height or both")
    sw, sh = source_width, source_height
    fx = width / sw if width is not None else None
    fy = height / sh if height is not None else None

    if fit in ("cover", "contain", "fill") and (fx is None or fy is None):
        raise ValueError(f"fit '{fit}' needs both width and height")

    if fit == "fill":
        assert fx is not None and fy is not None and width is not None and height is not None
        shrink = max(fx, fy) if not enlarge and max(fx, fy) > 1 else 1.0
        out = (_px(width / shrink), _px(height / shrink))
        return Plan((sw, sh), (float(out[0]), float(out[1])), out, out)

    factors = [f for f in (fx, fy) if f is not None]
    if fit in ("inside", "contain"):
        factor = min(factors)
    elif fit in ("outside", "cover"):
        factor = max(factors)
    else:
        raise ValueError(f"unknown fit '{fit}'")

    shrink = 1.0
    if factor > 1 and not enlarge:
        shrink = factor
        factor = 1.0
    scaled = (sw * factor, sh * factor)
    fitted = (_px(scaled[0]), _px(scaled[1]))

    if fit in ("inside", "outside"):
        return Plan((sw, sh), scaled, fitted, fitted)

    assert width is not None and height is not None
    box = (_px(width / shrink), _px(height / shrink))
    if fit == "cover":
        crop = (min(box[0], fitted[0]), min(box[1], fitted[1]))
        return Plan((sw, sh), scaled, crop, crop)
    # contain: the picture may round to one pixel more than the box on its tight side.
    inner = (min(box[0], fitted[0]), min(box[1], fitted[1]))
    return Plan((sw, sh), scaled, inner, box)


def upright_size(size: tuple[Length, Length], orientation: int) -> tuple[Length, Length]:
    """EXIF orientations 5-8 swap the axes."""
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


Box = tuple[float, float, float, float]


def stored_box(box: Box, upright: tuple[float, float], orientation: int) -> Box:
    """``box`` of the upright picture (of size ``upright``) as a box of the stored pixels.

    It lets a turned photo be resampled before it is turned: ``decode.upright`` of the stored
    pixels cropped to this box is the upright picture cropped to ``box``.
    """
    x0, y0, x1, y1 = box
    w, h = upright
    return {
        1: (x0, y0, x1, y1),
        2: (w - x1, y0, w - x0, y1),  # mirrored left to right
        3: (w - x1, h - y1, w - x0, h - y0),  # turned half way
        4: (x0, h - y1, x1, h - y0),  # mirrored top to bottom
        5: (y0, x0, y1, x1),  # transposed
        6: (y0, w - x1, y1, w - x0),  # stored a quarter turn anticlockwise
        7: (h - y1, w - x1, h - y0, w - x0),  # transposed across the other diagonal
        8: (h - y1, x0, h - y0, x1),  # stored a quarter turn clockwise
    }.get(orientation, box)
