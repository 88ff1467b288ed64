"""The Lanczos pass of the ``large`` preset (2048 px wide): Pillow against libvips, in CPU time.

The rest of a render costs the same on both sides (the same libjpeg-turbo and libwebp), so this
pass is where the engine's whole-process time stays above libvips's. Each camera JPEG of 8-24 MP
(picked as ``render_vs_vips.py`` picks them) is decoded by the engine's own steps for the default
``large`` preset (2048 px wide, ``inside``): at the smallest JPEG DCT scale that still covers the
variant (``decode.draft``), in its stored orientation, since the engine turns a sideways photo
after resampling it; so a portrait photo's pass makes 2048 px by more than 2048 px, as the preset
writes it. Then the same picture is resized with Lanczos by Pillow's ``resize`` (scalar) and by
libvips's ``resize(kernel="lanczos3")`` (vectorised), on one thread, median of ``--repeat``.
Where the bench extra's ``cykooz.resizer`` is installed, it also times fast_image_resize's
Lanczos-3 (Rust, vectorised; ``simd_lanczos.py``) and counts the samples where it differs from
Pillow's, to show what a vectorised pass would change in the variants.

Usage: .venv/bin/python benchmarks/resample.py PHOTO_OR_DIR ... [--width 2048] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("VIPS_CONCURRENCY", "1")

# Imported after VIPS_CONCURRENCY is set: libvips reads it when it loads.
import pyvips
from engine import best_time
from PIL import Image, ImageChops
from render_vs_vips import MAX_MP, MIN_MP, find_photos

from imgfan_core.engine import decode, geometry
from imgfan_core.engine.models import InputLimits

try:
    import simd_lanczos
except ImportError:  # the bench extra has no Linux aarch64 wheel of it
    simd_lanczos = None


def differing(a: Image.Image, b: Image.Image) -> tuple[float, int]:
    """The share of samples where two pictures differ, and the largest difference."""
    by_band = ImageChops.difference(a, b).histogram()  # 256 counts per band, band after band
    histogram = [sum(by_band[level::256]) for level in range(256)]
    total = sum(histogram)
    return 1 - histogram[0] / total, max(level for level, count in enumerate(histogram) if count)


def simd_column(decoded: Image.Image, target: tuple[int, int], repeat: int) -> str:
    if simd_lanczos is None:
        return ""
    simd = 1000 * best_time(lambda: simd_lanczos.lanczos_pass(decoded, target), repeat)
    pillow_out = decoded.resize(target, Image.Resampling.LANCZOS)
    share, largest = differing(pillow_out, simd_lanczos.lanczos_pass(decoded, target))
    return f"  SIMD {simd:4.0f} ms (differs from Pillow in {share:.1%} of samples, by at most {largest})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", nargs="+", type=Path)
    parser.add_argument("--width", type=int, default=2048)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    ratios = []
    for photo in find_photos(args.photos, MIN_MP, MAX_MP):
        image = decode.open_image(photo.read_bytes(), InputLimits())
        orient = decode.orientation(image)
        upright = geometry.upright_size(image.size, orient)
        if upright[0] <= args.width:
            continue
        plan = geometry.plan(*upright, args.width, None, "inside")
        decode.draft(image, plan.scaled, orient)
        decoded = decode.load(image).convert("RGB")
        target = geometry.upright_size(plan.crop, orient)  # in the stored axes, like the engine's pass
        memory = pyvips.Image.new_from_memory(decoded.tobytes(), decoded.width, decoded.height, 3, "uchar")
        pillow = 1000 * best_time(lambda: decoded.resize(target, Image.Resampling.LANCZOS), args.repeat)
        scale = target[0] / decoded.width
        vips = 1000 * best_time(lambda: memory.resize(scale, kernel="lanczos3").copy_memory(), args.repeat)
        ratios.append(pillow / vips)
        print(f"{photo.name[:28]:<28} {decoded.width}x{decoded.height} -> {target[0]}x{target[1]}  "
              f"Pillow {pillow:5.0f} ms  libvips {vips:4.0f} ms  {pillow / vips:4.1f}x"
              + simd_column(decoded, target, args.repeat))
    if ratios:
        print(f"median Pillow / libvips: {statistics.median(ratios):.1f}x over {len(ratios)} photos")
    return 0


if __name__ == "__main__":
    sys.exit(main())
