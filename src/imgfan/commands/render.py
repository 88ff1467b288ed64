"""``imgfan render FILES... [--presets PATH] --out DIR [--json]``: the engine alone, no AWS.

Writes ``DIR/<file name>/<preset>.<ext>`` and ``DIR/<file name>/manifest.json`` for each file.
A bad file costs one stderr line naming it and the reason; the other files still run and the
exit code is 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from imgfan.commands import CommandError

_LOCAL_BUCKET = "local"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render the presets' variants of local files (engine only, no AWS)",
        description="Render every preset's variant of local files with the engine alone (no AWS). "
                    "Writes DIR/<file name>/<preset>.<ext> and DIR/<file name>/manifest.json.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="source images")
    parser.add_argument("--presets", metavar="PATH", type=Path, default=None,
                        help="presets file (default: ./presets.json, else the repository's presets.json)")
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


def load_config(given: Path | None):
    from imgfan_core.errors import InvalidPresets
    from imgfan_core.presets import parse_presets

    path = _presets_path(given)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read presets {path}: {exc.strerror or exc}") from None
    try:
        return parse_presets(text)
    except InvalidPresets as exc:
        first, *rest = str(exc).splitlines() or ["invalid"]
        more = f" (+{len(rest)} more)" if rest else ""
        raise CommandError(f"invalid presets {path}: {first}{more}") from None


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


def _error_record(exc: BaseException) -> dict[str, str]:
    message = " ".join(str(exc).split()) or type(exc).__name__
    return {"type": type(exc).__name__, "cause": message}


def _manifest(name: str, config, digest: str, image: dict | None, analysis_error: dict | None,
              variants: list[dict], started: datetime) -> dict[str, Any]:
    state: dict[str, Any] = {
        "action": "render",
        "source": {"bucket": _LOCAL_BUCKET, "key": name, "version_id": None, "etag": None,
                   "bytes": (image or {}).get("bytes")},
        "settings": {"output": {"bucket": _LOCAL_BUCKET, "prefix": "",
                                "cache_control": config.output.cache_control}},
        "presets": [p.model_dump(mode="json") for p in config.presets],
        "presets_hash": digest,
        "variants": variants,
    }
    if analysis_error is not None:
        state["analysis_error"] = analysis_error
    else:
        state["analysis"] = {"image": image}
    execution = {"name": f"render-{name}", "arn": None, "start": started.isoformat()}
    try:
        from imgfan_core.manifest import build_manifest, validate_manifest

        return validate_manifest(build_manifest(state, execution, datetime.now(UTC)))
    except Exception as exc:  # the shared builder is optional here; never lose the outputs over it
        print(f"imgfan render: {name}: manifest builder unavailable ({type(exc).__name__}); "
              f"writing a plain manifest", file=sys.stderr)
        return {"schema": "imgfan.render/1", "source": {"file": name, **(image or {})},
                "presets_hash": digest, "variants": variants, "error": analysis_error}


def _render_one(path: str, name: str, out_dir: Path, config, digest: str) -> tuple[dict, list[str]]:
    from imgfan_core.engine import analyze, render_variant
    from imgfan_core.errors import ImgfanError
    from imgfan_core.keys import EXTENSIONS, variant_key

    started = datetime.now(UTC)
    problems: list[str] = []
    folder = out_dir / name
    summary: dict[str, Any] = {"file": path, "folder": str(folder), "variants": []}
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        problems.append(f"{path}: cannot read: {exc.strerror or exc}")
        summary.update(status="failed", error={"type": "OSError", "cause": exc.strerror or str(exc)})
        return summary, problems

    image = None
    analysis_error = None
    records: list[dict] = []
    try:
        image = analyze(data, config.limits).to_dict()
    except ImgfanError as exc:
        analysis_error = {"Error": type(exc).__name__, "Cause": " ".join(str(exc).split())}
        problems.append(f"{path}: {type(exc).__name__}: {analysis_error['Cause']}")
    else:
        folder.mkdir(parents=True, exist_ok=True)
        for preset in config.presets:
            try:
                variant = render_variant(data, preset, config.limits, config.metadata)
            except ImgfanError as exc:
                error = _error_record(exc)
                records.append({"preset": preset.name, "status": "failed", "error": error})
                problems.append(f"{path}: preset {preset.name}: {error['type']}: {error['cause']}")
                continue
            target = folder / f"{preset.name}.{EXTENSIONS[variant.format]}"
            target.write_bytes(variant.data)
            records.append({"preset": preset.name, "status": "ok",
                            "key": variant_key("", name, preset.name, variant.format),
                            **variant.to_dict()})
            summary["variants"].append({"preset": preset.name, "path": str(target), **variant.to_dict()})

    folder.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(name, config, digest, image, analysis_error, records, started)
    manifest_path = folder / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
    summary["manifest"] = str(manifest_path)
    summary["status"] = manifest.get("status") or ("failed" if problems else "complete")
    if analysis_error is not None:
        summary["error"] = {"type": analysis_error["Error"], "cause": analysis_error["Cause"]}
    summary["source"] = image
    return summary, problems


def run(args: argparse.Namespace) -> int:
    from imgfan_core.presets import presets_hash

    config = load_config(args.presets)
    digest = presets_hash(config)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create {args.out}: {exc.strerror or exc}") from None

    summaries = []
    failed = False
    for path, name in zip(args.files, _folder_names(args.files)):
        began = time.perf_counter()
        try:
            summary, problems = _render_one(path, name, args.out, config, digest)
        except Exception as exc:  # an engine bug must not hide the other files' results
            summary = {"file": path, "status": "failed",
                       "error": {"type": "InternalError", "cause": f"{type(exc).__name__}: {exc}"}}
            problems = [f"{path}: internal error: {type(exc).__name__}: {' '.join(str(exc).split())}"]
        summary["seconds"] = round(time.perf_counter() - began, 3)
        summaries.append(summary)
        for line in problems:
            print(f"imgfan render: {line}", file=sys.stderr)
        failed = failed or bool(problems)
        if not args.json and not problems:
            sizes = ", ".join(f"{v['preset']} {v['width']}x{v['height']} {v['format']}"
                              for v in summary["variants"])
            print(f"{path}: {sizes} -> {summary['folder']}")
    if args.json:
        json.dump({"out": str(args.out), "presets_hash": digest, "files": summaries}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 1 if failed else 0
