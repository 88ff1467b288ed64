"""``imgfan render`` with its Lanczos passes done by a vectorised resampler: a ceiling, not an engine.

    .venv/bin/python benchmarks/simd_lanczos.py render PHOTO --out DIR   # as `imgfan render`

The whole-process gap to libvips is Pillow's scalar Lanczos pass (docs/engine/performance.md).
To measure that claim instead of projecting it, this runs the CLI unchanged except that
``Image.resize(..., LANCZOS)`` of an RGB or L picture goes to fast_image_resize's Lanczos-3 (Rust,
AVX2/NEON, through the ``cykooz.resizer`` wheel, MIT/Apache-2.0). ``render_vs_vips.py --simd-lanczos``
times it against libvips in the same run as the real engine.

The engine does not use it: the package has no Linux aarch64 wheel, so the resizer on Lambda (arm64)
could not, and ``imgfan render`` must write the resizer's bytes. Its pass differs from Pillow's in
10-15 % of samples, by at most 2-9 levels on three photos (``benchmarks/resample.py`` prints it).
"""

from __future__ import annotations

import sys

from cykooz_resizer import CropBox, FilterType, ResizeAlg, ResizeOptions, Resizer
from PIL import Image

from imgfan_core.engine import shrink

_pillow_resize = Image.Image.resize
_resizer = Resizer()
_LANCZOS3 = ResizeAlg.convolution(FilterType.lanczos3)


def simd_lanczos(image: Image.Image, size: tuple[int, int], resample: int | None = None,
                 box: tuple[float, float, float, float] | None = None,
                 reducing_gap: float | None = None) -> Image.Image:
    left, top, right, bottom = box or (0, 0, *image.size)
    if (resample != Image.Resampling.LANCZOS or image.mode not in ("RGB", "L")
            # Pillow would reduce by a whole factor first: left to Pillow, as the engine does it
            or (reducing_gap is not None
                and shrink.factors((right - left, bottom - top), size, reducing_gap) != (1, 1))):
        return _pillow_resize(image, size, resample, box, reducing_gap)
    out = Image.new(image.mode, size)
    crop = CropBox(left, top, right - left, bottom - top)
    _resizer.resize_pil(image, out, ResizeOptions(resize_alg=_LANCZOS3, crop_box=crop))
    out.info = image.info.copy()  # as Pillow's resize keeps it
    return out


def lanczos_pass(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """One Lanczos-3 pass of the whole picture, for ``resample.py``."""
    return simd_lanczos(image, size, Image.Resampling.LANCZOS)


def main(argv: list[str]) -> int:
    Image.Image.resize = simd_lanczos  # type: ignore[method-assign,assignment]
    from imgfan.cli import main as imgfan_main

    return imgfan_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
