"""A per-object focal point: the S3 user metadata ``focus: "x,y"`` of a source.

``x`` and ``y`` are fractions of the upright image (0,0 the top-left corner, 1,1 the bottom-right),
so one value fits every variant size. Every cover crop of that source is centred on the point,
as far as the crop can move without leaving the image (``position.focus_offset``).

A value that does not parse is a permanent error of the source (``InvalidFocus``): retrying
cannot fix it, and ignoring it would silently crop where the uploader said not to.
"""

from __future__ import annotations

import math

from imgfan_core.errors import InvalidFocus

# The user metadata key (S3 lower-cases it: x-amz-meta-focus).
METADATA_KEY = "focus"
_EXAMPLE = "e.g. '0.5,0.3' (x then y, 0,0 is the top-left corner)"


def parse_focus(value: str | None) -> tuple[float, float] | None:
    """``"0.3,0.7"`` -> ``(0.3, 0.7)``; None (no metadata) -> None; anything else -> InvalidFocus."""
    if value is None:
        return None
    not_two = f"focus {value!r} is not two numbers 'x,y'; write two fractions from 0 to 1, {_EXAMPLE}"
    parts = value.split(",")
    if len(parts) != 2:
        raise InvalidFocus(not_two)
    try:
        x, y = float(parts[0]), float(parts[1])
    except ValueError:
        raise InvalidFocus(not_two) from None
    if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in (x, y)):
        raise InvalidFocus(
            f"focus {value!r} is outside the image; both fractions must be from 0 to 1, {_EXAMPLE}"
        )
    return x, y
