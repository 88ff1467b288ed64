"""Quality per byte (on demand, not part of ``make test``): bytes and SSIMULACRA2 of the variants.

For every photo and every preset of presets.json, three encodings of the same variant:

* ``imgfan``  render_variant at the preset's fixed quality;
* ``vips``    libvips ``thumbnail_buffer`` at the same size and crop, same format and quality,
              metadata stripped (``vips_path`` of benchmarks/engine.py);
* ``auto``    render_variant with ``quality: "auto"`` (``--target N``: ``{"target": N}``).

Each is scored with SSIMULACRA2 (the ``ssimulacra2`` package, from the ``bench`` extra) against
its own pipeline's pixels before encoding (the same variant written losslessly), so a score says
what the encoding cost. The engine's Pillow-only estimate (engine/fidelity.py) is computed on
the same pairs: its rank correlation with SSIMULACRA2 says how well it tracks. CPU is process
time of render_variant, fixed quality vs auto, best of ``--repeat``.

SSIMULACRA2 (the reference implementation and this package alike) shifts its weights when an
image under 256 pixels a side lacks scales, so thumbnail scores (marked ``*``) run low and are
left out of the tracking figures.

``--fit`` sweeps qualities instead and fits fidelity.WEIGHTS, with a leave-one-photo-out check.

``--formats`` adds a table per variant size and format (e.g. ``benchmarks/presets-formats.json``:
the same sizes in WebP, AVIF and JPEG XL at each format's default quality and effort): bytes,
SSIMULACRA2 and the encoder's CPU time alone (``encode.encode`` on the variant's pixels, best of
``--repeat``, one thread). JPEG XL is decoded with imagecodecs, as the engine's own search does.

Folders: the bundled samples are taken whole; other folders give their photos only (still,
opaque, at least 1 MP); a photo that looks like one already taken is skipped (rotated copies).

Usage: .venv/bin/python benchmarks/quality.py [FOLDER ...] [--limit N] [--jobs 2] [--target N] [--fit]
       [--presets FILE] [--formats]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from engine import vips_path
from PIL import Image, ImageChops, ImageOps, ImageStat

from imgfan_core.engine import encode, fidelity, quality, render_variant
from imgfan_core.presets import parse_presets

SAMPLES = REPO / "src" / "imgfan" / "samples"
MIN_PHOTO_PIXELS = 1_000_000
FULL_SCALES_SIDE = 256  # SSIMULACRA2 has all six scales from here on
FIT_QUALITIES = (30, 45, 60, 70, 80, 90)
# SSIMULACRA2 in Python takes tens of seconds per large variant: the fit leaves those out.
FIT_MAX_PIXELS = 1_500_000
DUPLICATE_DIFFERENCE = 12.0  # mean grey-level difference of 16x16 thumbnails
# Each encoder's default effort as a preset's ``effort`` would say it (avif: 10 - libaom speed).
DEFAULT_EFFORT = {"webp": encode.DEFAULT_WEBP_METHOD, "avif": 10 - encode.DEFAULT_AVIF_SPEED,
                  "jxl": encode.DEFAULT_JXL_EFFORT}


# ---- photos -----------------------------------------------------------------------------------


def _look(path: Path, photos_only: bool) -> Image.Image | None:
    """A 16x16 grey thumbnail of the upright image, or None when it is not taken."""
    try:
        with Image.open(path) as image:
            if getattr(image, "n_frames", 1) > 1 and image.format != "MPO":
                return None
            if photos_only and (image.width * image.height < MIN_PHOTO_PIXELS or "A" in image.getbands()
                                or "transparency" in image.info):
                return None
            image.load()
            return ImageOps.exif_transpose(image).convert("L").resize((16, 16), Image.Resampling.BOX)
    except Exception:  # noqa: BLE001 - a file Pillow cannot open is skipped
        return None


def find_photos(folders: list[Path], limit: int | None) -> list[tuple[str, Path]]:
    """(group, path) per photo; a photo like one already chosen (a rotated copy) is skipped."""
    chosen: list[tuple[str, Path]] = []
    looks: list[Image.Image] = []
    for folder in folders:
        photos_only = folder.resolve() != SAMPLES.resolve()
        taken = 0
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() != ".md"):
            look = _look(path, photos_only)
            if look is None or any(_mean_difference(look, seen) < DUPLICATE_DIFFERENCE for seen in looks):
                continue
            if limit is not None and taken >= limit:
                break
            looks.append(look)
            chosen.append((folder.name, path))
            taken += 1
    return chosen


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


# ---- one photo --------------------------------------------------------------------------------


@dataclass
class Row:
    group: str
    photo: str
    preset: str
    size: tuple[int, int]
    fmt: str
    quality: int | None
    effort: int | None
    imgfan_bytes: int
    imgfan_score: float
    imgfan_estimate: float
    vips_bytes: int | None
    vips_score: float | None
    auto_quality: int | None
    auto_bytes: int
    auto_score: float
    auto_estimate: float
    fixed_cpu: float
    auto_cpu: float
    encode_cpu: float = float("nan")

    @property
    def full_scales(self) -> bool:
        return min(self.size) >= FULL_SCALES_SIDE


def ssimulacra2(reference: Image.Image, candidate: Image.Image) -> float:
    from ssimulacra2 import compute_ssimulacra2

    def png(image: Image.Image) -> io.BytesIO:
        buffer = io.BytesIO()
        image.save(buffer, "PNG", compress_level=1)
        buffer.seek(0)
        return buffer

    return compute_ssimulacra2(png(reference), png(candidate))


def _cpu(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def _before_encoding(data: bytes, spec, config, fmt: str) -> Image.Image:
    """The engine's pixels for this variant before encoding: the preset written as PNG."""
    lossless = render_variant(data, replace(spec, format="png", quality=None), config.limits, config.metadata)
    image = Image.open(io.BytesIO(lossless.data))
    image.load()
    return encode.for_format(image, fmt, spec.background)


def measure_photo(group: str, path: Path, presets: Path, target: int | None, repeat: int) -> list[Row]:
    import pyvips

    config = parse_presets(presets.read_text("utf-8"))
    data = path.read_bytes()
    setting = {"target": target} if target else quality.AUTO
    alpha = "A" in Image.open(io.BytesIO(data)).getbands()
    rows = []
    for preset in config.presets:
        spec = preset.to_spec()
        auto_spec = replace(spec, quality=setting)
        fixed = render_variant(data, spec, config.limits, config.metadata)
        auto = render_variant(data, auto_spec, config.limits, config.metadata)
        pixels = _before_encoding(data, spec, config, fixed.format)
        choice = quality.choose(setting, fixed.format, pixels, lambda q: encode.encode(
            pixels, fixed.format, q, spec.effort, progressive=spec.progressive))
        reference, estimate = quality.opaque(pixels), fidelity.Reference(quality.opaque(pixels))
        fixed_pixels, auto_pixels = quality.decoded_pixels(fixed.data), quality.decoded_pixels(auto.data)
        fixed_score = ssimulacra2(reference, fixed_pixels)
        size = (fixed.width, fixed.height)
        try:
            if fixed.format == "jpeg" and alpha:
                raise pyvips.Error("libvips's jpeg drops alpha onto black: not comparable")
            vips_data = vips_path(pyvips, data, preset, size, fixed.format)
            vips_reference = quality.decoded_pixels(vips_path(pyvips, data, preset, size, "png"))
            vips_score = ssimulacra2(vips_reference, quality.decoded_pixels(vips_data))
        except pyvips.Error:
            vips_data, vips_score = None, None
        rows.append(Row(
            group, path.name, preset.name, size, fixed.format, spec.quality, spec.effort,
            len(fixed.data), fixed_score, estimate.score(fixed_pixels),
            len(vips_data) if vips_data else None, vips_score,
            choice.quality, len(auto.data),
            fixed_score if auto.data == fixed.data else ssimulacra2(reference, auto_pixels),
            estimate.score(auto_pixels),
            _cpu(lambda: render_variant(data, spec, config.limits, config.metadata), repeat),
            _cpu(lambda: render_variant(data, auto_spec, config.limits, config.metadata), repeat),
            _cpu(lambda: encode.encode(pixels, fixed.format, spec.quality, spec.effort,
                                       progressive=spec.progressive), repeat),
        ))
    return rows


# ---- tables -----------------------------------------------------------------------------------


def _median(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def _low(values) -> float:
    """The 10th percentile: how the worst images fare."""
    values = sorted(v for v in values if v is not None)
    return values[max(0, round(0.1 * (len(values) - 1)))] if values else float("nan")


def print_versus_vips(rows: list[Row]) -> None:
    print("\nimgfan vs libvips, fixed preset quality (bytes: total; SSIMULACRA2: median, 10th percentile)")
    print(f"{'preset':<8} {'fmt':<5} {'q':>3} {'n':>3} {'imgfan KB':>10} {'vips KB':>9} {'bytes':>7} "
          f"{'imgfan s2':>11} {'vips s2':>11} {'s2 diff med [min, max]':>24}")
    for name, group in _by_preset(rows):
        paired = [r for r in group if r.vips_bytes]
        if not paired:
            continue
        ours, theirs = sum(r.imgfan_bytes for r in paired), sum(r.vips_bytes for r in paired)
        diffs = [r.imgfan_score - r.vips_score for r in paired]
        mark = "" if all(r.full_scales for r in group) else "*"
        print(f"{name + mark:<8} {group[0].fmt:<5} {group[0].quality or '-':>3} {len(paired):>3} "
              f"{ours / 1024:>10.1f} {theirs / 1024:>9.1f} {ours / theirs - 1:>+7.1%} "
              f"{_median(r.imgfan_score for r in paired):>5.1f} {_low(r.imgfan_score for r in paired):>5.1f} "
              f"{_median(r.vips_score for r in paired):>5.1f} {_low(r.vips_score for r in paired):>5.1f} "
              f"{_median(diffs):>+8.1f} [{min(diffs):+.1f}, {max(diffs):+.1f}]")


def print_auto(rows: list[Row], label: str) -> None:
    print(f"\nquality {label} vs the fixed preset quality "
          "(bytes: total; SSIMULACRA2: median, 10th percentile, min)")
    print(f"{'preset':<8} {'n':>3} {'fixed KB':>9} {'auto KB':>9} {'bytes':>7} {'auto q':>9} "
          f"{'fixed s2':>17} {'auto s2':>17} {'cpu fixed':>10} {'cpu auto':>9}")
    for name, group in _by_preset(rows) + [("all", rows)]:
        print(_auto_line(name, group))
    fixed_cpu, auto_cpu = sum(r.fixed_cpu for r in rows), sum(r.auto_cpu for r in rows)
    print(f"CPU, all variants: fixed {fixed_cpu:.2f}s, auto {auto_cpu:.2f}s ({auto_cpu / fixed_cpu:.2f}x)")
    full = [r for r in rows if r.full_scales]
    if full:
        fixed, auto = sum(r.imgfan_bytes for r in full), sum(r.auto_bytes for r in full)
        means = statistics.mean(r.imgfan_score for r in full), statistics.mean(r.auto_score for r in full)
        print(f"variants of 256 px or more ({len(full)}): auto writes {auto / fixed - 1:+.1%} bytes; "
              "SSIMULACRA2 median, 10th percentile, min, mean: "
              f"fixed {_scores(r.imgfan_score for r in full)} {means[0]:.1f}, "
              f"auto {_scores(r.auto_score for r in full)} {means[1]:.1f}")


def _auto_line(name: str, group: list[Row]) -> str:
    fixed, auto = sum(r.imgfan_bytes for r in group), sum(r.auto_bytes for r in group)
    chosen = [r.auto_quality for r in group if r.auto_quality]
    mark = "" if all(r.full_scales for r in group) else "*"
    qualities = f"{min(chosen)}-{max(chosen)}" if chosen else "-"
    cpu = _median(r.fixed_cpu for r in group) * 1000, _median(r.auto_cpu for r in group) * 1000
    return (f"{name + mark:<8} {len(group):>3} {fixed / 1024:>9.1f} {auto / 1024:>9.1f} "
            f"{auto / fixed - 1:>+7.1%} {qualities:>9} {_scores(r.imgfan_score for r in group)} "
            f"{_scores(r.auto_score for r in group)} {cpu[0]:>8.0f}ms {cpu[1]:>7.0f}ms")


def _scores(values) -> str:
    values = list(values)
    return f"{_median(values):>5.1f} {_low(values):>5.1f} {min(values):>5.1f}"


def _by_preset(rows: list[Row]) -> list[tuple[str, list[Row]]]:
    names = list(dict.fromkeys(r.preset for r in rows))
    return [(name, [r for r in rows if r.preset == name]) for name in names]


def print_formats(rows: list[Row]) -> None:
    print("\nper size and format, each format's default settings unless the preset sets them "
          "(bytes: total; SSIMULACRA2: median, 10th percentile, min; encode CPU: median)")
    print(f"{'size':<10} {'fmt':<5} {'q':>3} {'e':>3} {'n':>3} {'KB':>9} {'bytes vs webp':>14} "
          f"{'s2 med':>7} {'p10':>5} {'min':>5} {'encode ms':>10} {'vs webp':>8}")
    sizes = list(dict.fromkeys((r.photo, r.size) for r in rows))
    for width in sorted({size[0] for _, size in sizes}):
        group = [r for r in rows if r.size[0] == width]
        webp = {r.photo: r for r in group if (r.fmt, r.quality, r.effort) == ("webp", None, None)}
        for fmt, q, effort in dict.fromkeys((r.fmt, r.quality, r.effort) for r in group):
            here = [r for r in group if (r.fmt, r.quality, r.effort) == (fmt, q, effort)]
            paired = [r for r in here if r.photo in webp]
            total = sum(r.imgfan_bytes for r in here)
            ratio = (sum(r.imgfan_bytes for r in paired) / sum(webp[r.photo].imgfan_bytes for r in paired) - 1
                     if paired else float("nan"))
            cpu = _median(r.encode_cpu for r in here)
            cpu_ratio = _median(r.encode_cpu / webp[r.photo].encode_cpu for r in paired) if paired else float("nan")
            q = q or encode.DEFAULT_QUALITY.get(fmt, "-")
            effort = DEFAULT_EFFORT.get(fmt, "-") if effort is None else effort
            print(f"{width:<10} {fmt:<5} {q:>3} {effort:>3} {len(here):>3} "
                  f"{total / 1024:>9.1f} {ratio:>+14.1%} {_scores(r.imgfan_score for r in here)} "
                  f"{cpu * 1000:>10.0f} {cpu_ratio:>7.2f}x")


def print_tracking(rows: list[Row]) -> None:
    from scipy.stats import spearmanr

    print("\nthe engine's estimate (engine/fidelity.py) vs SSIMULACRA2, variants of 256 px or more")
    for group in list(dict.fromkeys(r.group for r in rows)) + ["all"]:
        chosen = [r for r in rows if r.full_scales and group in ("all", r.group)]
        pairs = [(r.imgfan_estimate, r.imgfan_score) for r in chosen]
        pairs += [(r.auto_estimate, r.auto_score) for r in chosen if r.auto_bytes != r.imgfan_bytes]
        if len(pairs) < 3:
            continue
        estimates, scores = zip(*pairs)
        errors = [e - s for e, s in pairs]
        print(f"  {group:<10} n={len(pairs):<4} Spearman {spearmanr(estimates, scores).statistic:.3f}  "
              f"mean |error| {statistics.mean(abs(e) for e in errors):.2f}  "
              f"bias {statistics.mean(errors):+.2f}  max |error| {max(abs(e) for e in errors):.1f}")


def print_rows(rows: list[Row]) -> None:
    print(f"{'photo':<30} {'preset':<7} {'size':>10} {'q':>3} {'imgfan':>8} {'s2':>5} {'vips':>8} {'s2':>5} "
          f"{'auto q':>6} {'auto':>8} {'s2':>5} {'est':>5}")
    for r in rows:
        vips = f"{r.vips_bytes:>8} {r.vips_score:>5.1f}" if r.vips_bytes else f"{'-':>8} {'-':>5}"
        print(f"{r.photo[:30]:<30} {r.preset:<7} {r.size[0]:>5}x{r.size[1]:<4} {r.quality or '-':>3} "
              f"{r.imgfan_bytes:>8} {r.imgfan_score:>5.1f} {vips} {r.auto_quality or '-':>6} "
              f"{r.auto_bytes:>8} {r.auto_score:>5.1f} {r.auto_estimate:>5.1f}")


# ---- fitting the estimate's weights -----------------------------------------------------------


def sweep_photo(group: str, path: Path, presets: Path) -> list[tuple[str, float, list[float]]]:
    """(photo, SSIMULACRA2, features) per preset of 256 px or more and quality of FIT_QUALITIES."""
    config = parse_presets(presets.read_text("utf-8"))
    data = path.read_bytes()
    samples = []
    for preset in config.presets:
        spec = preset.to_spec()
        fmt = render_variant(data, spec, config.limits, config.metadata).format
        pixels = _before_encoding(data, spec, config, fmt)
        if (min(pixels.size) < FULL_SCALES_SIDE or pixels.width * pixels.height > FIT_MAX_PIXELS
                or fmt not in quality.LOSSY_FORMATS):
            continue
        reference = quality.opaque(pixels)
        estimate = fidelity.Reference(reference)
        for q in FIT_QUALITIES:
            candidate = quality.decoded_pixels(encode.encode(pixels, fmt, q, spec.effort))
            features = estimate.features(candidate)
            samples.append((path.name, ssimulacra2(reference, candidate),
                            [v for key in fidelity.WEIGHTS for v in features[key]]))
    return samples


def fit_weights(samples: list[tuple[str, float, list[float]]]) -> None:
    import numpy as np
    from scipy import optimize
    from scipy.stats import spearmanr

    photos = np.array([s[0] for s in samples])
    y = np.array([s[1] for s in samples])
    x = np.array([s[2] for s in samples])

    def predict(weights, rows):
        return np.array([fidelity.ssimulacra2_curve(v) for v in rows @ weights])

    def fit(rows, scores):
        spread = rows.std(0) + 1e-12  # fit in units of each feature's spread, then undo
        solution = optimize.least_squares(lambda w: predict(w / spread, rows) - scores,
                                          np.full(rows.shape[1], 0.1), bounds=(0, np.inf))
        return solution.x / spread

    held_out = np.zeros_like(y)
    for photo in sorted(set(photos)):
        mask = photos == photo
        held_out[mask] = predict(fit(x[~mask], y[~mask]), x[mask])
    weights = fit(x, y)
    print(f"{len(y)} encodings of {len(set(photos))} photos; leave-one-photo-out: Spearman "
          f"{spearmanr(held_out, y).statistic:.3f}, mean |error| {np.mean(np.abs(held_out - y)):.2f}, "
          f"max {np.max(np.abs(held_out - y)):.1f}; fitted on all: mean |error| "
          f"{np.mean(np.abs(predict(weights, x) - y)):.2f}")
    print("WEIGHTS = {")
    for i, key in enumerate(fidelity.WEIGHTS):
        print(f"    {key!r}: ({weights[2 * i]:.3f}, {weights[2 * i + 1]:.3f}),")
    print("}")


# ---- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path, help=f"image folders (default: {SAMPLES})")
    parser.add_argument("--presets", type=Path, default=REPO / "presets.json")
    parser.add_argument("--limit", type=int, help="at most N photos per folder")
    parser.add_argument("--jobs", type=int, default=2, help="photos measured in parallel")
    parser.add_argument("--repeat", type=int, default=2, help="renders per CPU measurement; the best is kept")
    parser.add_argument("--target", type=int, help='score for {"target": N} instead of "auto"')
    parser.add_argument("--fit", action="store_true", help="fit the estimate's weights instead")
    parser.add_argument("--rows", action="store_true", help="also print one line per variant")
    parser.add_argument("--formats", action="store_true", help="also print the table per size and format")
    args = parser.parse_args(argv)
    try:
        import pyvips  # noqa: F401
        import ssimulacra2  # noqa: F401
    except ImportError as exc:
        print(f"{exc.name} is missing: .venv/bin/pip install -e '.[bench]'")
        return 2

    photos = find_photos(args.folders or [SAMPLES], args.limit)
    if not photos:
        print("no images found")
        return 1
    print(f"{len(photos)} photos: " + ", ".join(f"{group}/{path.name}" for group, path in photos))
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        if args.fit:
            jobs = [pool.submit(sweep_photo, group, path, args.presets) for group, path in photos]
            fit_weights([sample for job in jobs for sample in job.result()])
        else:
            jobs = [pool.submit(measure_photo, group, path, args.presets, args.target, args.repeat)
                    for group, path in photos]
            rows = [row for job in jobs for row in job.result()]
            if args.rows:
                print_rows(rows)
            print_versus_vips(rows)
            if args.formats:
                print_formats(rows)
            print_auto(rows, f'{{"target": {args.target}}}' if args.target else
                       f'"auto" (target {quality.AUTO_TARGET})')
            print_tracking(rows)
    print(f"\n* under 256 px: SSIMULACRA2 shifts its weights; done in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
