"""One decode per DCT scale for the presets that ``imgfan render`` asks for together.

``render_variant`` on its own decodes the source for every preset (the resizer renders one preset
per invocation, so there is nothing to share). Entropy decoding is most of a small preset's cost
and has to read every byte of the source whatever the scale, so when one process renders several
presets of a source, presets whose decode lands on the same JPEG scale (or on the same full-size
decode, for every other format) get the same decoded pixels instead of decoding again.

Only the decode is shared: what follows (reduce, orientation, Lanczos, colour, encoding) runs per
preset on that picture exactly as without sharing, so each variant's bytes are the same as the
resizer's. A larger shared decode for a smaller preset would be faster still, but it would
resample different pixels and give the resizer and ``imgfan render`` different bytes.

A ``SharedDecode`` holds one decode at a time (memory stays that of the per-preset path);
``decode_order`` orders presets so that those sharing a scale come one after another.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from imgfan_core.engine import decode, geometry

if TYPE_CHECKING:
    from PIL import Image

    from imgfan_core.engine.models import RenderSpec


class SharedDecode:
    """The last decode of one source's bytes, reused while the next request lands on the same scale."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.decodes = 0  # how many decodes actually ran (tests and benchmarks read it)
        self._key: tuple | None = None
        self._pixels: Image.Image | None = None

    def of(self, data: bytes) -> SharedDecode:
        """This cache, checked to belong to ``data``: another source's pixels would be silently wrong."""
        if data is not self.data:
            raise ValueError("a SharedDecode serves the one source (the same bytes object) it was made for")
        return self

    def load(self, image: Image.Image) -> Image.Image:
        """``decode.load(image)`` of a freshly opened (and drafted) image of this source, or the
        decode that an earlier call made at the same scale.

        After ``decode.draft`` the header's size is the size the decoder will produce, so format,
        mode and size name the decode. Nothing downstream modifies a decoded picture in place
        (each step returns a new image), which is what makes handing it out again safe.
        """
        key = (image.format, image.mode, image.size)
        if key != self._key:
            self._key, self._pixels = None, None  # let the previous decode go before the next
            self._pixels = decode.load(image)
            self._key = key
            self.decodes += 1
        assert self._pixels is not None
        return self._pixels


def needed_scale(upright: tuple[int, int], preset: RenderSpec) -> float:
    """The larger axis scale a preset's plan asks of the source; the DCT scale the decode can use
    grows with it, so equal decodes sort next to each other."""
    plan = geometry.plan(*upright, preset.width, preset.height, preset.fit, preset.enlarge)
    return max(plan.scale)


def decode_order(presets: Sequence[RenderSpec], upright: tuple[int, int]) -> list[int]:
    """Indexes of ``presets`` from the smallest decode to the largest (stable for ties).

    ``analyze`` needs a 64 px picture, smaller than any preset, so it goes first.
    """
    return sorted(range(len(presets)), key=lambda index: needed_scale(upright, presets[index]))
