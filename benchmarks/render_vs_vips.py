"""Whole-process benchmark: ``imgfan render`` against libvips ``thumbnail``, in CPU time.

For each camera photo (JPEG, 8-24 MP by default), each run is a fresh process:

* ``engine``  ``python -m imgfan.cli render PHOTO --out DIR``: analysis, every preset, manifest;
* ``vips``    a Python process that imports pyvips and, per preset, calls ``thumbnail_buffer`` on
              the photo and writes the variant in the preset's format and quality, at the size
              the engine wrote (libvips decodes once per thumbnail, as ``thumbnail`` does);
* ``simd``    with ``--simd-lanczos`` only: the engine again, with its Lanczos passes done by a
              vectorised resampler (``simd_lanczos.py``), to measure how much of the gap is
              Pillow's scalar pass. The engine itself never does this.

Time is user + system CPU of the child (``RUSAGE_CHILDREN``), not wall time: the machine may be
shared, and CPU time is what a busy neighbour disturbs least. libvips runs on one thread
(``VIPS_CONCURRENCY=1``), as Pillow does. Runs alternate engine/vips; the median of ``--repeat``
runs is kept per photo, and the ratio engine / vips is reported per photo and as the median.

Usage: .venv/bin/python benchmarks/render_vs_vips.py [PHOTO_OR_DIR ...] [--repeat 3] [--presets P]
       [--simd-lanczos]
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
# The bundled demo photos are smaller than 8 MP: pass folders of camera photos.
DEFAULT_CORPUS = REPO / "src" / "imgfan" / "samples"
VIPS_CROP = {"attention": "attention", "entropy": "entropy"}
# Camera photos only: 3264x2448, an "8 MP" sensor, is 7.99 MP.
MIN_MP, MAX_MP = 7.9, 24.0
SUFFIX = {"jpeg": ".jpg", "webp": ".webp", "png": ".png", "avif": ".avif"}
SIMD_LANCZOS = Path(__file__).with_name("simd_lanczos.py")

VIPS_CHILD = r"""
import json, sys
import pyvips
for source in json.loads(sys.argv[1]):
    data = open(source["photo"], "rb").read()
    for job in source["plan"]:
        image = pyvips.Image.thumbnail_buffer(data, job["width"], **job["options"])
        image.write_to_file(f"{source['out']}/{job['name']}{job['suffix']}", **job["saver"])
"""


def find_photos(paths: list[Path], min_mp: float, max_mp: float) -> list[Path]:
    """Baseline or progressive camera JPEGs whose pixel count is within [min_mp, max_mp]."""
    found = []
    for path in paths:
        for candidate in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if candidate.suffix.lower() not in (".jpg", ".jpeg") or not candidate.is_file():
                continue
            try:
                with Image.open(candidate) as image:
                    megapixels = image.width * image.height / 1e6
                    if image.format in ("JPEG", "MPO") and min_mp <= megapixels <= max_mp:
                        found.append(candidate)
            except Exception:  # noqa: BLE001, S112 - a file Pillow cannot open is simply not a candidate photo
                continue
    return found


def cpu_seconds(command: list[str], env: dict[str, str]) -> float:
    """User + system CPU of one child process, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{command[:4]} failed: {result.stderr.strip()[-500:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def engine_command(photos: list[Path], presets: Path, out: Path, as_json: bool = False,
                   simd: bool = False) -> list[str]:
    entry = [str(SIMD_LANCZOS)] if simd else ["-m", "imgfan.cli"]
    return [sys.executable, *entry, "render", *map(str, photos), "--presets", str(presets),
            "--out", str(out)] + (["--json"] if as_json else [])


def vips_plan(presets: list[dict], variants: dict[str, dict]) -> list[dict]:
    """Per preset: libvips thumbnail options giving the engine's size, and the same saver settings."""
    plan = []
    for preset in presets:
        written = variants[preset["name"]]
        options: dict = {"size": "both" if preset.get("enlarge") else "down"}
        fit = preset.get("fit", "inside")
        if fit == "cover":
            width, options["height"] = preset["width"], preset["height"]
            options["crop"] = VIPS_CROP.get(preset.get("position", "center"), "centre")
        elif fit == "fill":
            width, options["height"], options["size"] = preset["width"], preset["height"], "force"
        else:  # inside/contain/outside: ask for the engine's output size (the same work)
            width, options["height"] = written["width"], written["height"]
        fmt = written["format"]
        saver: dict = {"strip": True}
        if fmt in ("jpeg", "webp", "avif"):
            saver["Q"] = preset.get("quality") if isinstance(preset.get("quality"), int) else 80
        if fmt == "jpeg":  # the engine writes progressive, Huffman-optimised JPEGs by default
            saver.update(optimize_coding=True, interlace=preset.get("progressive", True))
        plan.append({"name": preset["name"], "width": width, "options": options,
                     "suffix": SUFFIX[fmt], "saver": saver})
    return plan


def written_variants(photo: Path, presets: Path, out: Path, env: dict[str, str]) -> dict[str, dict]:
    """One untimed engine run (it also warms the page cache): each preset's written size and format."""
    result = subprocess.run(engine_command([photo], presets, out.parent, as_json=True), env=env,
                            capture_output=True, text=True, check=True)
    summary = json.loads(result.stdout)["files"][0]
    return {v["preset"]: v for v in summary["variants"]}


def vips_sizes(out: Path) -> dict[str, tuple[int, int]]:
    sizes = {}
    for path in sorted(out.iterdir()):
        with Image.open(path) as image:
            sizes[path.stem] = image.size
    return sizes


def vips_command(sources: list[dict]) -> list[str]:
    return [sys.executable, "-c", VIPS_CHILD, json.dumps(sources)]


def prepare(photo: Path, presets: Path, folder: Path, env: dict[str, str]) -> tuple[dict, dict]:
    """The engine's variants of ``photo`` (untimed run) and the libvips job giving the same ones."""
    engine_out, vips_out = folder / "engine" / photo.name, folder / "vips" / photo.name
    vips_out.mkdir(parents=True)
    variants = written_variants(photo, presets, engine_out, env)
    plan = vips_plan(json.loads(presets.read_text("utf-8"))["presets"], variants)
    return variants, {"photo": str(photo), "plan": plan, "out": str(vips_out)}


def mismatches(variants: dict, vips_out: Path) -> list[str]:
    sizes = vips_sizes(vips_out)
    return [f"{name}: engine {v['width']}x{v['height']}, vips {sizes.get(name)}"
            for name, v in variants.items() if sizes.get(name) != (v["width"], v["height"])]


def measure(photos: list[Path], presets: Path, repeat: int, env: dict[str, str],
            simd: bool = False) -> tuple[float, float, float | None, list[str]]:
    """Median engine, vips and (with ``simd``) SIMD-Lanczos engine CPU seconds of one process
    rendering ``photos``, and size mismatches."""
    with tempfile.TemporaryDirectory() as folder:
        jobs = [prepare(photo, presets, Path(folder), env) for photo in photos]
        commands = [engine_command(photos, presets, Path(folder, "engine")), vips_command([job for _, job in jobs])]
        if simd:
            commands.append(engine_command(photos, presets, Path(folder, "simd"), simd=True))
        times: list[list[float]] = [[] for _ in commands]
        for _ in range(repeat):  # alternate, so that a change in the machine's load hits every side
            for command, spent in zip(commands, times):
                spent.append(cpu_seconds(command, env))
        wrong = [line for variants, job in jobs for line in mismatches(variants, Path(job["out"]))]
    medians = [statistics.median(spent) for spent in times]
    return medians[0], medians[1], (medians[2] if simd else None), wrong


def startup(presets: Path, repeat: int, env: dict[str, str]) -> tuple[float, float, float]:
    """Median CPU of each side's fixed cost: ``imgfan render`` of a 64 px JPEG with the presets'
    plan kept (as in the timed runs, after the untimed one) and with an empty cache (the first run
    with a new presets file validates it), and ``import pyvips``."""
    with tempfile.TemporaryDirectory() as folder:
        tiny = Path(folder, "tiny.jpg")
        Image.new("RGB", (64, 48), (90, 120, 150)).save(tiny)
        command = engine_command([tiny], presets, Path(folder, "out"))
        engine = [cpu_seconds(command, env) for _ in range(repeat)]
        cold = [cpu_seconds(command, dict(env, IMGFAN_CACHE_DIR=str(Path(folder, f"cache-{run}"))))
                for run in range(repeat)]
        vips = [cpu_seconds([sys.executable, "-c", "import pyvips"], env) for _ in range(repeat)]
    return statistics.median(engine), statistics.median(cold), statistics.median(vips)


def precompile(engine_src: Path) -> None:
    """Write the engine's bytecode, as ``pip install`` does for an installed imgfan and a clone's
    first run does, unless PYTHONDONTWRITEBYTECODE is set: then every timed process would compile
    imgfan's sources again (about 0.1 CPU s) while pyvips loads its installed bytecode."""
    compileall.compile_dir(engine_src, quiet=1)


def child_env(engine_src: Path) -> dict[str, str]:
    return dict(os.environ, VIPS_CONCURRENCY="1", PYTHONPATH=str(engine_src))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", nargs="*", type=Path, help=f"photos or folders (default: {DEFAULT_CORPUS})")
    parser.add_argument("--presets", type=Path, default=REPO / "presets.json")
    parser.add_argument("--repeat", type=int, default=3, help="runs per photo and path; the median is kept")
    parser.add_argument("--min-mp", type=float, default=MIN_MP, help="3264x2448, an \"8 MP\" sensor, is 7.99 MP")
    parser.add_argument("--max-mp", type=float, default=MAX_MP)
    parser.add_argument("--engine-src", type=Path, default=REPO / "src",
                        help="the imgfan sources to run, e.g. an older checkout's src/ for a before/after")
    parser.add_argument("--simd-lanczos", action="store_true",
                        help="also time the engine with a vectorised Lanczos pass (simd_lanczos.py; needs "
                             "the bench extra's cykooz.resizer)")
    args = parser.parse_args(argv)
    if args.simd_lanczos and importlib.util.find_spec("cykooz_resizer") is None:
        raise SystemExit("--simd-lanczos needs cykooz.resizer: .venv/bin/pip install -e '.[bench]' "
                         "(it has no Linux aarch64 wheel)")
    photos = find_photos(args.photos or [DEFAULT_CORPUS], args.min_mp, args.max_mp)
    if not photos:
        raise SystemExit(f"no JPEGs of {args.min_mp}-{args.max_mp} MP under the given paths")
    env = child_env(args.engine_src)
    precompile(args.engine_src)
    show_version = "import pyvips; print(pyvips.version(0), pyvips.version(1), pyvips.version(2))"
    version = subprocess.run([sys.executable, "-c", show_version], env=env, capture_output=True, text=True,
                             check=True)
    print(f"{len(photos)} photos of {args.min_mp:g}-{args.max_mp:g} MP, median of {args.repeat} runs, CPU "
          f"seconds (user+sys), Pillow {Image.__version__}, libvips {'.'.join(version.stdout.split())} on 1 thread, "
          f"engine from {args.engine_src}")
    ratios, simd_ratios = [], []
    for photo in photos:
        engine_s, vips_s, simd_s, wrong = measure([photo], args.presets, args.repeat, env, args.simd_lanczos)
        ratios.append(engine_s / vips_s)
        with Image.open(photo) as image:
            size = f"{image.width}x{image.height}"
        simd_note = ""
        if simd_s is not None:
            simd_ratios.append(simd_s / vips_s)
            simd_note = f"  simd {simd_s:6.3f}s  simd/vips {simd_s / vips_s:5.2f}x"
        print(f"{photo.name[:28]:<28} {size:>10}  engine {engine_s:6.3f}s  vips {vips_s:6.3f}s  "
              f"engine/vips {engine_s / vips_s:5.2f}x" + simd_note + (f"  SIZE MISMATCH {wrong}" if wrong else ""))
    median = statistics.median(ratios)
    print(f"one process per photo: median engine/vips {median:.2f}x (min {min(ratios):.2f}x, max "
          f"{max(ratios):.2f}x; target <= 1.0x) -> {'PASS' if median <= 1.0 else 'FAIL'}")
    if simd_ratios:
        print(f"  with a vectorised Lanczos pass (not the engine): median {statistics.median(simd_ratios):.2f}x "
              f"(min {min(simd_ratios):.2f}x, max {max(simd_ratios):.2f}x)")
    engine_s, vips_s, simd_s, wrong = measure(photos, args.presets, args.repeat, env, args.simd_lanczos)
    print(f"one process for all {len(photos)} photos: engine {engine_s:.3f}s  vips {vips_s:.3f}s  "
          f"engine/vips {engine_s / vips_s:.2f}x"
          + (f"  simd/vips {simd_s / vips_s:.2f}x" if simd_s is not None else "")
          + (f"  SIZE MISMATCH {wrong}" if wrong else ""))
    fixed_engine, fixed_cold, fixed_vips = startup(args.presets, args.repeat, env)
    print(f"fixed cost per process: imgfan render of a 64 px JPEG {fixed_engine:.3f}s (presets plan kept), "
          f"{fixed_cold:.3f}s (empty cache: the presets file validated); import pyvips {fixed_vips:.3f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
