"""Peak memory of the resizer per source format and size (on demand, not part of ``make test``).

For every (format, size) it generates a synthetic picture in a child process, then measures each
step the resizer runs on it (``analyze``, and ``render_variant`` for every preset of the presets
file) in a fresh child of its own: the child imports what the resizer imports (boto3, Powertools,
the engine), reads the file into memory as the resizer does, runs the one step and reports
``ru_maxrss``. The parent stays small, because Linux carries the parent's peak into a child's
``ru_maxrss`` across fork and exec (each child also reports its own ``VmHWM`` as a cross-check).

Limits are lifted while measuring, so every size is measured even above the defaults. At the end a
line is fitted per format (MiB = a + b x megapixels) and the pixel count that would reach the budget
(by default half of the resizer's 1536 MB) is printed next to the default limits.

Usage: .venv/bin/python benchmarks/memory.py [--formats jpeg,png] [--sizes 12,48] [--presets PATH]
                                             [--budget-mib 768] [--json FILE]
The default run takes about 8 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
# Camera sizes, in megapixels: iPhone 12 MP, a 24 MP (3:2) system camera, Samsung 50 MP, 108 MP
# and 200 MP (4:3), and sizes at the default limits (25 MP: WebP; 50 MP: AVIF and HEIC; 100 MP:
# the other full-size decodes).
SIZES = {12: (4032, 3024), 24: (6000, 4000), 25: (5760, 4320), 50: (8160, 6120), 100: (11520, 8640),
         108: (12000, 9000), 200: (16320, 12240)}
# Megapixels measured per format by default: JPEG up to the largest phone photo, the others up
# to their default limit (memory grows in a straight line, so two or three sizes tell the slope).
FORMATS = {
    "jpeg": (12, 50, 108, 200),
    "jpeg-progressive": (12, 50, 100),
    "jpeg-progressive-444": (12, 50, 100),
    "png": (12, 50, 100),
    "png-rgba": (12, 50, 100),
    "png-16bit-grey": (12, 50),
    "png-palette": (12, 50),
    "webp": (12, 25),
    "tiff": (12, 50, 100),
    "avif": (12, 50),
    "heic": (12, 50),
    # Stored sideways (EXIF orientation 6), as phones store portrait photos: the engine turns
    # the resampled result, so these should cost what the upright ones do.
    "jpeg-turned": (12, 24),
    "png-turned": (12, 50),
}
RESIZER_MEMORY_MIB = 1536
PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "tiff": "TIFF", "avif": "AVIF",
                  "heic": "HEIF"}
WITH_ALPHA = ("png-rgba", "png-palette")

GENERATE = r"""
import sys
from PIL import Image
label, width, height, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
turned = label.endswith("-turned")
label = label.removesuffix("-turned")
size = (width, height)
# Smooth gradients: cheap to generate and encode. Memory depends on the pixel count and mode,
# not on the content; only the file (held in memory once) is smaller than a real photo's.
grey = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
radial = Image.radial_gradient("L").resize(size, Image.Resampling.BILINEAR)
if label == "png-16bit-grey":
    picture = grey.convert("I").point(lambda v: v * 257).convert("I;16")
elif label == "png-palette":
    picture = grey.quantize(64)
    picture.info["transparency"] = 0
else:
    picture = Image.merge("RGB", (grey, radial, grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    if label == "png-rgba":
        picture.putalpha(radial)
del grey, radial
options = {
    "jpeg": ("JPEG", {"quality": 30}),
    "jpeg-progressive": ("JPEG", {"quality": 30, "progressive": True}),
    "jpeg-progressive-444": ("JPEG", {"quality": 30, "progressive": True, "subsampling": 0}),
    "webp": ("WEBP", {"quality": 30, "method": 0}),
    "tiff": ("TIFF", {"compression": "tiff_adobe_deflate"}),
    "avif": ("AVIF", {"quality": 30, "speed": 10}),
    "heic": ("HEIF", {"quality": 10, "enc_params": {"preset": "ultrafast"}}),
}.get(label, ("PNG", {"compress_level": 1}))
if label == "heic":
    from pillow_heif import register_heif_opener
    register_heif_opener()
if turned:
    exif = Image.Exif()
    exif[0x0112] = 6
    options[1]["exif"] = exif.tobytes()
picture.save(path, options[0], **options[1])
"""

MEASURE = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import boto3  # noqa: F401  (the resizer's imports, so the baseline matches a Lambda container)
from aws_lambda_powertools import Logger, Tracer  # noqa: F401
from imgfan_core.engine import analyze, render_variant
from imgfan_core.engine.models import InputLimits, MetadataSpec, RenderSpec

path, step, preset = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
lifted = InputLimits(max_input_pixels=10**10, max_input_bytes=10**11, max_full_decode_pixels=10**10)
imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
data = open(path, "rb").read()
began = time.perf_counter()
if step == "analyze":
    analyze(data, lifted)
else:
    render_variant(data, RenderSpec.from_dict(preset), lifted, MetadataSpec())
seconds = time.perf_counter() - began
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"imported_kib": imported, "peak_kib": peak, "hwm_kib": hwm, "seconds": seconds}))
"""


@dataclass
class Row:
    label: str
    megapixels: float
    file_bytes: int
    imported_mib: float
    analyze_mib: float
    peak_mib: float
    peak_step: str
    seconds: float

    @property
    def engine_mib(self) -> float:
        """What the step added on top of the imports: the part that grows with the picture."""
        return self.peak_mib - self.imported_mib


def _run(code: str, *args: str, timeout: int = 900) -> str:
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False,
                            timeout=timeout)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(last)
    return result.stdout


STEPS = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from imgfan_core.presets import load_presets_file
config = load_presets_file(sys.argv[2]).config
print(json.dumps([["analyze", {}]] + [[p.name, p.to_spec().to_dict()] for p in config.presets]))
"""


def _steps(presets_path: Path) -> list[tuple[str, dict]]:
    # In a child: pydantic would grow this process, and its peak would leak into the measurements.
    return [tuple(step) for step in json.loads(_run(STEPS, str(REPO / "src"), str(presets_path)))]


def measure(label: str, megapixels: int, steps: list[tuple[str, dict]], folder: Path,
            engine_src: Path = REPO / "src") -> Row:
    width, height = SIZES[megapixels]
    path = folder / f"{label}-{megapixels}mp"
    _run(GENERATE, label, str(width), str(height), str(path))
    results = {}
    for step, preset in steps:
        results[step] = json.loads(_run(MEASURE, str(engine_src), str(path), step, json.dumps(preset)))
        # ru_maxrss would include an inherited peak if the parent ever grew; VmHWM never does.
        assert results[step]["peak_kib"] <= results[step]["hwm_kib"] * 1.05 + 4096, results[step]
    worst = max(results, key=lambda step: results[step]["peak_kib"])
    row = Row(label, width * height / 1e6, path.stat().st_size,
              statistics.median(r["imported_kib"] for r in results.values()) / 1024,
              results["analyze"]["peak_kib"] / 1024, results[worst]["peak_kib"] / 1024, worst,
              max(r["seconds"] for r in results.values()))
    path.unlink()
    return row


def _fit(rows: list[Row]) -> tuple[float, float]:
    """Least squares MiB = a + b x MP over one format's rows (b is 0 with a single row)."""
    xs = [row.megapixels for row in rows]
    ys = [row.peak_mib for row in rows]
    if len(rows) < 2:
        return ys[0], 0.0
    slope, intercept = statistics.linear_regression(xs, ys)
    return intercept, slope


def _print_header() -> None:
    print(f"{'format':<22} {'MP':>6} {'file MB':>8} {'imports':>8} {'analyze':>8} {'peak':>8} "
          f"{'worst step':<10} {'above imports':>13} {'B/px':>5} {'slowest':>8}")


def _print_row(row: Row) -> None:
    per_pixel = row.engine_mib * MIB / (row.megapixels * 1e6)
    print(f"{row.label:<22} {row.megapixels:6.1f} {row.file_bytes / 1e6:8.1f} {row.imported_mib:7.0f}M "
          f"{row.analyze_mib:7.0f}M {row.peak_mib:7.0f}M {row.peak_step:<10} {row.engine_mib:12.0f}M "
          f"{per_pixel:5.1f} {row.seconds:7.1f}s", flush=True)


def _print_fits(rows: list[Row], budget_mib: float) -> None:
    sys.path.insert(0, str(REPO / "src"))
    from imgfan_core.engine.decode import pixel_limit
    from imgfan_core.engine.models import InputLimits

    defaults = InputLimits()
    print(f"\nFitted peak (MiB = a + b x MP) and the size that would reach {budget_mib:.0f} MiB:")
    for label in dict.fromkeys(row.label for row in rows):
        if label.split("-")[0] == "jpeg" and "progressive" not in label:
            print(f"{label:<22} not fitted: a baseline JPEG's decode scale, and so its peak, steps with its size")
            continue
        intercept, slope = _fit([row for row in rows if row.label == label])
        reach = (budget_mib - intercept) / slope if slope > 0 else float("inf")
        fmt = PILLOW_FORMATS[label.split("-")[0]]
        _, pixels = pixel_limit(defaults, fmt, "progressive" in label, label in WITH_ALPHA)
        limit = pixels / 1e6
        at_limit = intercept + slope * limit
        print(f"{label:<22} a={intercept:5.0f} b={slope:5.2f} MiB/MP  budget reached at {reach:7.0f} MP;"
              f"  default limit {limit:5.0f} MP -> {at_limit:5.0f} MiB "
              f"({at_limit / RESIZER_MEMORY_MIB:.0%} of {RESIZER_MEMORY_MIB} MB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help="comma-separated, from: " + ", ".join(FORMATS))
    parser.add_argument("--sizes", default=None, help=f"comma-separated megapixels from {sorted(SIZES)} "
                        "(default: per format)")
    parser.add_argument("--presets", type=Path, default=REPO / "presets.json")
    parser.add_argument("--budget-mib", type=float, default=RESIZER_MEMORY_MIB / 2,
                        help="peak to stay under (default: half the resizer's memory)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    parser.add_argument("--engine-src", type=Path, default=REPO / "src",
                        help="the imgfan sources to measure, e.g. an older checkout's src/ for a before/after")
    args = parser.parse_args(argv)

    steps = _steps(args.presets)
    sizes = [int(size) for size in args.sizes.split(",")] if args.sizes else None
    rows: list[Row] = []
    _print_header()
    with tempfile.TemporaryDirectory() as folder:
        for label in args.formats.split(","):
            for megapixels in sizes or FORMATS[label]:
                try:
                    rows.append(measure(label, megapixels, steps, Path(folder), args.engine_src))
                except RuntimeError as exc:
                    print(f"{label} {megapixels} MP: not measured ({exc})", flush=True)
                    continue
                _print_row(rows[-1])
    _print_fits(rows, args.budget_mib)
    if args.json:
        args.json.write_text(json.dumps([row.__dict__ for row in rows], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
