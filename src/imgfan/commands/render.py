"""``imgfan render FILES... [--presets PATH] [--focus X,Y] --out DIR [--json]``: the engine alone, no AWS.

Writes ``DIR/<file name>/<preset>.<ext>`` and ``DIR/<file name>/manifest.json`` for each file.
A bad file costs one stderr line naming it and the reason; the other files still run and the
exit code is 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from imgfan.commands import CommandError
from imgfan.render_plan import LOCAL_BUCKET, RenderPlan, load_render_plan
from imgfan_core.contract import ErrorRecord, ExecutionInfo, ManifestInputs, SourceRef, VariantResult
from imgfan_core.engine.overlay import OverlayImage
from imgfan_core.errors import ImgfanError, InvalidPresets
from imgfan_core.manifest import build_manifest, dumps_manifest, validate_manifest
from imgfan_core.vocabulary import DEFAULT_SOURCE_SUFFIXES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render the presets' variants of local files (engine only, no AWS)",
        description="Render every preset's variant of local files with the engine alone (no AWS). "
                    "Writes DIR/<file name>/<preset>.<ext> and DIR/<file name>/manifest.json.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="source images, or folders of them")
    parser.add_argument("--presets", metavar="PATH", type=Path, default=None,
                        help="presets file (default: ./presets.json, else the repository's presets.json)")
    parser.add_argument("--focus", metavar="X,Y", default=None,
                        help="focal point for every cover crop, as fractions of the upright image "
                             "(like the S3 metadata 'focus'), e.g. 0.5,0.3")
    parser.add_argument("--out", metavar="DIR", type=Path, required=True, help="output folder")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(handler=run)


def _presets_path(given: Path | None) -> Path:
    if given is not None:
        return given
    for candidate in (Path.cwd() / "presets.json", Path(__file__).resolve().parents[3] / "presets.json"):
        if candidate.is_file():
            return candidate
    raise CommandError("no presets.json in the current folder; pass --presets PATH")


@dataclass(frozen=True)
class _Run:
    """What every file of one ``imgfan render`` is rendered with."""

    plan: RenderPlan
    focus: str | None = None
    # preset name -> its overlay picture, read relative to the presets file
    overlays: dict[str, OverlayImage] = field(default_factory=dict)


def load_plan(given: Path | None) -> RenderPlan:
    try:
        return load_render_plan(_presets_path(given))
    except InvalidPresets as exc:
        raise CommandError(str(exc)) from None


def read_overlays(plan: RenderPlan) -> dict[str, OverlayImage]:
    """Each preset's overlay picture; ``overlay.image`` is a path relative to the presets file."""
    overlays: dict[str, OverlayImage] = {}
    for index, preset in enumerate(plan.presets):
        if preset.overlay is None:
            continue
        path = plan.path.parent / preset.overlay.image
        try:
            overlays[preset.name] = OverlayImage(path.read_bytes())
        except OSError as exc:
            raise CommandError(f"{plan.path}: presets[{index}].overlay.image (preset '{preset.name}'): "
                               f"cannot read {path}: {exc.strerror or exc}") from None
    return overlays


def expand_folders(paths: list[str]) -> list[str]:
    """Each folder replaced by the images in it (by suffix, sorted; not recursive)."""
    suffixes = DEFAULT_SOURCE_SUFFIXES
    files = []
    for path in paths:
        if not Path(path).is_dir():
            files.append(path)
            continue
        found = sorted(str(p) for p in Path(path).iterdir() if p.is_file() and p.name.lower().endswith(suffixes))
        if not found:
            raise CommandError(f"{path}: no images in this folder (looked for {', '.join(suffixes)})")
        files += found
    return files


def _folder_names(files: list[str]) -> list[str]:
    """``<file name>``, made unique when two paths share a base name."""
    seen: dict[str, int] = {}
    names = []
    for file in files:
        base = Path(file).name or "image"
        count = seen.get(base, 0) + 1
        seen[base] = count
        names.append(base if count == 1 else f"{base}-{count}")
    return names


def _render_variants(
    data: bytes, name: str, folder: Path, run: _Run, focus: tuple[float, float] | None, source: _Analysed
) -> list[VariantResult]:
    """Every preset's variant of one analysed source, written to ``folder``; failures recorded.

    Presets run from the smallest decode to the largest so that those landing on the same DCT
    scale share one decode (``engine.shared``); the results keep the presets' order.
    """
    from imgfan_core.engine import render_variant
    from imgfan_core.engine.shared import decode_order
    from imgfan_core.keys import variant_key

    results: dict[int, VariantResult] = {}
    folder.mkdir(parents=True, exist_ok=True)
    plan = run.plan
    specs = plan.presets
    for index in decode_order(specs, source.upright):
        spec = specs[index]
        try:
            variant = render_variant(data, spec, plan.limits, plan.metadata,
                                     focus=focus, overlay=run.overlays.get(spec.name), shared=source.shared)
        except ImgfanError as exc:
            results[index] = VariantResult.failed(spec.name, ErrorRecord.from_exception(exc))
            continue
        key = variant_key("", name, spec.name, variant.format)
        (folder / key.removeprefix(f"{name}/")).write_bytes(variant.data)
        results[index] = VariantResult.written(spec.name, key, variant)
    return [results[index] for index in range(len(specs))]


@dataclass(frozen=True)
class _Analysed:
    """What the presets of one source reuse from its analysis."""

    upright: tuple[int, int]
    shared: Any  # engine.shared.SharedDecode, imported with the engine


def _render_one(path: str, name: str, out_dir: Path, run: _Run) -> dict[str, Any]:
    """Render one file into ``out_dir/name/`` with its manifest; returns the file's summary.

    A bad ``focus`` fails the source like a bad S3 ``focus`` metadata value does on AWS: the
    manifest records InvalidFocus.
    """
    from imgfan_core.engine import analyze, parse_focus
    from imgfan_core.engine.shared import SharedDecode

    started = datetime.now(UTC)
    folder = out_dir / name
    plan = run.plan
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return {"file": path, "folder": str(folder), "variants": [], "status": "failed",
                "error": {"type": "OSError", "message": reason}, "problems": [f"{path}: cannot read: {reason}"]}
    analysis, error, variants = None, None, ()
    try:
        point = parse_focus(run.focus)
        shared = SharedDecode(data)
        analysis = analyze(data, plan.limits, shared=shared)
    except ImgfanError as exc:
        error = ErrorRecord.from_exception(exc)
    else:
        source = _Analysed((analysis.width, analysis.height), shared)
        variants = tuple(_render_variants(data, name, folder, run, point, source))
    inputs = ManifestInputs(
        source=SourceRef(LOCAL_BUCKET, name, bytes=len(data)),
        output=plan.settings.output,
        presets_hash=plan.presets_hash,
        preset_names=tuple(preset.name for preset in plan.presets),
        analysis=analysis, error=error, variants=variants,
        execution=ExecutionInfo(f"render-{name}", None, started.isoformat()),
    )
    manifest = validate_manifest(build_manifest(inputs, datetime.now(UTC)))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_bytes(dumps_manifest(manifest))
    return _summary(path, folder, manifest)


def _summary(path: str, folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    variants = [{"path": str(folder / v["key"].rsplit("/", 1)[-1]), **v} for v in manifest["variants"]
                if v["status"] == "ok"]
    summary = {"file": path, "folder": str(folder), "manifest": str(folder / "manifest.json"),
               "status": manifest["status"], "source": manifest["source"], "variants": variants,
               "problems": _problems(path, manifest)}
    if manifest["error"] is not None:
        summary["error"] = manifest["error"]
    return summary


def _problems(path: str, manifest: dict[str, Any]) -> list[str]:
    """One line per thing that went wrong: the source's error, else each failed preset's."""
    if manifest["error"] is not None:
        return [f"{path}: {manifest['error']['type']}: {manifest['error']['message']}"]
    return [f"{path}: preset {v['preset']}: {v['error']['type']}: {v['error']['message']}"
            for v in manifest["variants"] if v["status"] != "ok"]


def _render_safely(path: str, name: str, out_dir: Path, run: _Run) -> dict[str, Any]:
    began = time.perf_counter()
    try:
        summary = _render_one(path, name, out_dir, run)
    except Exception as exc:  # noqa: BLE001 - an engine bug must not hide the other files' results
        error = ErrorRecord.from_exception(exc)
        summary = {"file": path, "status": "failed", "variants": [],
                   "error": {"type": "InternalError", "message": f"{error.type}: {error.message}"},
                   "problems": [f"{path}: internal error: {error.type}: {error.message}"]}
    summary["seconds"] = round(time.perf_counter() - began, 3)
    return summary


def run(args: argparse.Namespace) -> int:
    plan = load_plan(args.presets)
    settings = _Run(plan, args.focus, read_overlays(plan))
    files = expand_folders(args.files)
    if not args.json:  # --json carries it as "presets"
        print(f"presets: {plan.path} ({len(plan.presets)} presets, presets_hash {plan.presets_hash})")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create {args.out}: {exc.strerror or exc}") from None

    summaries = [_render_safely(path, name, args.out, settings)
                 for path, name in zip(files, _folder_names(files), strict=True)]
    for summary in summaries:
        for line in summary["problems"]:
            print(f"imgfan render: {line}", file=sys.stderr)
        if not args.json and not summary["problems"]:
            sizes = ", ".join(f"{v['preset']} {v['width']}x{v['height']} {v['format']}"
                              for v in summary["variants"])
            print(f"{summary['file']}: {sizes} -> {summary['folder']}")
    if args.json:
        json.dump({"out": str(args.out), "presets": str(plan.path), "presets_hash": plan.presets_hash,
                   "files": summaries}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 1 if any(summary["problems"] for summary in summaries) else 0
