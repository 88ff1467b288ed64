"""AVIF speed and JPEG XL effort (on demand): bytes, SSIMULACRA2 and CPU seconds per setting.

For every photo, one preset's variant (``--preset``, default ``large``: the 2048 px one, where
the encoder's cost is) is rendered as the engine renders it, up to the encoder; its pixels are
then encoded at each speed of ``--settings`` and each quality of ``--qualities``, with the
engine's other options (``encode.save_options``). A speed is libaom's as libavif takes it (0-10,
10 fastest; Pillow's ``speed``). With ``--format jxl`` a setting is libjxl's effort instead (1-9,
9 slowest), encoded as the engine encodes (``encode.encode``). Each encoding is scored with SSIMULACRA2 against those pixels
(``benchmarks/quality.py``'s scorer) and timed in process CPU seconds (best of ``--repeat``):
CPU, not wall time, because a Lambda function is billed for its duration at a CPU share fixed by
its memory, and CPU time is less disturbed by other load on a shared machine.

Per speed it prints the median over photos of: bytes and score at the default quality, both
relative to the reference setting (``--reference``, default the engine's: speed 6, effort 7); **bytes at equal
score**, the bytes needed to reach the reference's score, interpolated in log-bytes between the
two qualities around it; and CPU seconds. A faster speed is worth having when its equal-score
bytes stay within about 1 % of a slower one's for clearly less CPU.

``--threads 1 2`` encodes with each thread count (Pillow's ``max_threads``): libavif splits a
frame into tiles when given more than one thread (``autotiling``), so both CPU and bytes can
change.

``--tunes ssim iq`` encodes with each libaom tuning (AVIF only; the engine names ``ssim``, see
``encode.AVIF_CODEC_OPTIONS``): a table per tuning, every row against the reference speed at the
engine's tuning, so the ``iq`` table shows what leaving Pillow 13's libavif default would cost.

Usage: .venv/bin/python benchmarks/encoder_settings.py FOLDER ... [--limit N] [--format avif]
       [--settings 4 5 6 7 8 9] [--qualities 50 60 70] [--threads 1] [--tunes ssim] [--preset large]
       [--jobs 1]
"""

from __future__ import annotations

import argparse
import functools
import io
import itertools
import math
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from PIL import Image
from quality import _before_encoding, find_photos, ssimulacra2

from imgfan_core.engine import encode, quality
from imgfan_core.presets import parse_presets

FORMATS = ("avif", "jxl")
DEFAULT_SETTING = {"avif": encode.DEFAULT_AVIF_SPEED, "jxl": encode.DEFAULT_JXL_EFFORT}
ENGINE_TUNE = dict(encode.AVIF_CODEC_OPTIONS)["tune"]


@dataclass(frozen=True)
class Encoding:
    photo: str
    setting: int
    quality: int
    threads: int
    tune: str | None
    bytes: int
    score: float
    cpu: float


def _encode(pixels: Image.Image, speed: int, q: int, threads: int, fmt: str = "avif",
            tune: str | None = None) -> bytes:
    if fmt == "jxl":  # one thread, as the engine encodes (jxl.THREADS)
        return encode.encode(pixels, "jxl", q, speed)
    options = encode.save_options(fmt, q, None, pixels.width * pixels.height)
    options.update({"speed": speed, "max_threads": threads})
    if tune is not None:  # only the tuning changes: the engine's other codec options stay
        options["advanced"] = tuple({**dict(options["advanced"]), "tune": tune}.items())
    buffer = io.BytesIO()
    pixels.save(buffer, format="AVIF", **options)
    return buffer.getvalue()


def _cpu(fn, repeat: int) -> tuple[float, bytes]:
    best, result = float("inf"), b""
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


def measure_photo(path: Path, presets: Path, preset_name: str, settings, qualities, threads, repeat,
                  score: bool = True, fmt: str = "avif", tunes=(None,)):
    config = parse_presets(presets.read_text("utf-8"))
    spec = replace(config.preset(preset_name).to_spec(), format=fmt, quality=None, effort=None)
    pixels = _before_encoding(path.read_bytes(), spec, config, fmt)
    reference = quality.opaque(pixels)
    rows = []
    for count, tune, setting, q in itertools.product(threads, tunes, settings, qualities):
        cpu, data = _cpu(functools.partial(_encode, pixels, setting, q, count, fmt, tune), repeat)
        s2 = ssimulacra2(reference, quality.decoded_pixels(data)) if score else math.nan
        rows.append(Encoding(path.name, setting, q, count, tune, len(data), s2, cpu))
    return pixels.size, rows


def bytes_at_score(points: list[Encoding], score: float) -> float | None:
    """Bytes reaching ``score``, interpolated in log-bytes between the qualities around it."""
    points = sorted(points, key=lambda e: e.score)
    for low, high in itertools.pairwise(points):
        if low.score <= score <= high.score and high.score > low.score:
            t = (score - low.score) / (high.score - low.score)
            return math.exp(math.log(low.bytes) + t * (math.log(high.bytes) - math.log(low.bytes)))
    return None


def summarise(rows: list[Encoding], reference: int, default_quality: int, threads: int,
              name: str = "speed", tune: str | None = None, base_tune: str | None = None) -> None:
    """One table: ``tune``'s rows, each against the reference setting at ``base_tune``."""
    rows = [r for r in rows if r.threads == threads]
    base_rows = {(r.photo, r.quality): r for r in rows if r.setting == reference and r.tune == base_tune}
    rows = [r for r in rows if r.tune == tune]
    photos = sorted({r.photo for r in rows})
    pick = {(r.photo, r.setting, r.quality): r for r in rows}
    against = f"{name} {reference}" + (f" with tune={base_tune}" if base_tune else "")
    print(f"\n{threads} thread(s)" + (f", tune={tune}" if tune else "") + f"; per photo relative to "
          f"{against}, then the median over {len(photos)} photos; quality {default_quality} unless 'equal score'")
    print(f"{name:>7} {'KB':>8} {'bytes':>7} {'s2':>6} {'s2 diff':>8} {'bytes, equal s2':>16} "
          f"{'CPU s':>7} {'CPU':>6}")
    for setting in sorted({r.setting for r in rows}):
        base = [base_rows[(p, default_quality)] for p in photos]
        here = [pick[(p, setting, default_quality)] for p in photos]
        equal = []
        for p, b in zip(photos, base):
            needed = bytes_at_score([r for r in rows if r.photo == p and r.setting == setting], b.score)
            if needed is not None:
                equal.append(needed / b.bytes - 1)
        print(f"{setting:>7} {statistics.median(h.bytes for h in here) / 1024:>8.1f} "
              f"{statistics.median(h.bytes / b.bytes - 1 for h, b in zip(here, base)):>+7.1%} "
              f"{statistics.median(h.score for h in here):>6.1f} "
              f"{statistics.median(h.score - b.score for h, b in zip(here, base)):>+8.2f} "
              f"{(f'{statistics.median(equal):+.1%} (n={len(equal)})' if equal else '-'):>16} "
              f"{statistics.median(h.cpu for h in here):>7.2f} "
              f"{statistics.median(h.cpu / b.cpu for h, b in zip(here, base)):>5.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="image folders (photos of 1 MP or more)")
    parser.add_argument("--presets", type=Path, default=REPO / "presets.json")
    parser.add_argument("--preset", default="large", help="the preset whose size is encoded")
    parser.add_argument("--limit", type=int, help="at most N photos per folder")
    parser.add_argument("--format", choices=FORMATS, default="avif")
    parser.add_argument("--settings", type=int, nargs="+", default=[4, 5, 6, 7, 8, 9],
                        help="avif: libaom speeds (0-10, 10 fastest); jxl: libjxl efforts (1-9, 9 slowest)")
    parser.add_argument("--qualities", type=int, nargs="+", default=[50, 60, 70])
    parser.add_argument("--threads", type=int, nargs="+", default=[1], help="max_threads values")
    parser.add_argument("--tunes", nargs="+", default=[ENGINE_TUNE], choices=("ssim", "iq", "psnr"),
                        help=f"avif: libaom tunings (the engine's: {ENGINE_TUNE})")
    parser.add_argument("--reference", type=int, help="the setting others are compared with (default: the engine's)")
    parser.add_argument("--repeat", type=int, default=1, help="encodes per CPU measurement; the best is kept")
    parser.add_argument("--jobs", type=int, default=1, help="photos measured in parallel")
    parser.add_argument("--no-score", action="store_true",
                        help="bytes and CPU only: SSIMULACRA2 takes seconds per large variant")
    args = parser.parse_args(argv)
    reference = DEFAULT_SETTING[args.format] if args.reference is None else args.reference
    default_quality = encode.DEFAULT_QUALITY[args.format]
    if reference not in args.settings or default_quality not in args.qualities:
        parser.error(f"--settings needs {reference} and --qualities needs {default_quality}")
    tunes = args.tunes if args.format == "avif" else [None]
    base_tune = ENGINE_TUNE if args.format == "avif" else None
    if base_tune not in tunes:
        parser.error(f"--tunes needs the engine's, {ENGINE_TUNE}: the other tunings are compared with it")
    photos = find_photos(args.folders, args.limit)
    print(f"{len(photos)} photos: " + ", ".join(f"{group}/{path.name}" for group, path in photos))
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        jobs = [pool.submit(measure_photo, path, args.presets, args.preset, args.settings, args.qualities,
                            args.threads, args.repeat, not args.no_score, args.format, tunes)
                for _, path in photos]
        results = [job.result() for job in jobs]
    for (_, path), (size, _) in zip(photos, results):
        print(f"  {path.name}: {size[0]}x{size[1]}")
    rows = [row for _, photo_rows in results for row in photo_rows]
    for count, tune in itertools.product(args.threads, tunes):
        summarise(rows, reference, default_quality, count, "speed" if args.format == "avif" else "effort",
                  tune, base_tune)
    return 0


if __name__ == "__main__":
    sys.exit(main())
