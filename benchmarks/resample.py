"""The Lanczos pass of the ``large`` preset (2048 px wide): Pillow against libvips, in CPU time.

The rest of a render costs the same on both sides (the same libjpeg-turbo and libwebp), so this
pass is where the engine's whole-process time stays above libvips's. Each photo is decoded as the
engine decodes it for a 2048 px variant, at the smallest JPEG DCT scale that still covers 2048 px
(``draft``), then resized to 2048 px wide with Lanczos: Pillow's ``resize`` (scalar) and
libvips's ``resize(kernel="lanczos3")`` (vectorised), on one thread, median of ``--repeat``.

Usage: .venv/bin/python benchmarks/resample.py PHOTO_OR_DIR ... [--width 2048] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("VIPS_CONCURRENCY", "1")

# Imported after VIPS_CONCURRENCY is set: libvips reads it when it loads.
import pyvips
from PIL import Image


def photos(paths: list[Path]) -> list[Path]:
    found = []
    for path in paths:
        found += sorted(p for p in path.iterdir() if p.suffix.lower() in (".jpg", ".jpeg")) if path.is_dir() else [path]
    return found


def cpu_ms(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.process_time()
        work()
        times.append(time.process_time() - began)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", nargs="+", type=Path)
    parser.add_argument("--width", type=int, default=2048)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    ratios = []
    for photo in photos(args.photos):
        with Image.open(photo) as image:
            image.draft("RGB", (args.width, 1))
            decoded = image.convert("RGB")
        if decoded.width <= args.width:
            continue
        height = round(decoded.height * args.width / decoded.width)
        memory = pyvips.Image.new_from_memory(decoded.tobytes(), decoded.width, decoded.height, 3, "uchar")
        pillow = cpu_ms(lambda: decoded.resize((args.width, height), Image.Resampling.LANCZOS), args.repeat)
        scale = args.width / decoded.width
        vips = cpu_ms(lambda: memory.resize(scale, kernel="lanczos3").copy_memory(), args.repeat)
        ratios.append(pillow / vips)
        print(f"{photo.name[:28]:<28} {decoded.width}x{decoded.height} -> {args.width}x{height}  "
              f"Pillow {pillow:5.0f} ms  libvips {vips:4.0f} ms  {pillow / vips:4.1f}x")
    if ratios:
        print(f"median Pillow / libvips: {statistics.median(ratios):.1f}x over {len(ratios)} photos")
    return 0


if __name__ == "__main__":
    sys.exit(main())
