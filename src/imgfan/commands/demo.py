"""``imgfan demo``: the whole pipeline on the embedded cloud, from upload to contact sheet."""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from imgfan.commands import CommandError
from imgfan.commands.contact_sheet import local_folder_name, write_contact_sheet
from imgfan.commands.progress import Progress
from imgfan.commands.stop_signals import how_to_stop, stopped_like_ctrl_c
from imgfan.console import mount_console
from imgfan.live import NoManifest, Stack, list_executions, read_manifest, read_presets
from imgfan.local.cloud import DEFAULT_PORT, CloudError, EmbeddedCloud, free_port, port_is_free
from imgfan_core.formats import CONTENT_TYPES
from imgfan_core.keys import MANIFEST_NAME
from imgfan_core.stack_names import Output

# Marks a folder this command wrote, so that the next run may empty it.
DEMO_MARKER = ".imgfan-demo"
SAMPLE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".avif", ".tif", ".tiff")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the pipeline end to end on the embedded cloud")
    parser.add_argument("files", nargs="*", type=Path, help="images to upload (default: the bundled samples)")
    parser.add_argument("--out", type=Path, default=Path("imgfan-demo"),
                        help="where to copy the results (emptied first if an earlier demo wrote it)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="embedded cloud port (a free one if busy)"
    )
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for all manifests")
    parser.add_argument("--keep-running", action="store_true",
                        help="afterwards, keep the embedded cloud and its web console running until Ctrl-C")
    parser.set_defaults(handler=run_demo)


def bundled_samples() -> list[Path]:
    folder = resources.files("imgfan") / "samples"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.lower().endswith(SAMPLE_SUFFIXES))


@dataclass(frozen=True)
class Destination:
    """Where the deployed pipeline writes: the live presets' output bucket and prefix."""

    bucket: str
    prefix: str

    @classmethod
    def of(cls, stack: Stack) -> Destination:
        config = read_presets(stack.client("ssm"), stack.output(Output.PRESETS_PARAMETER)).config
        return cls(stack.output_bucket_for(config), config.output.prefix)


def run_demo(args: argparse.Namespace) -> int:
    with stopped_like_ctrl_c():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    files = args.files or bundled_samples()
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise CommandError(f"not a file: {', '.join(missing)}")
    prepare_output_folder(args.out)
    progress = Progress()
    cloud = EmbeddedCloud(port=_demo_port(args.port, progress))
    try:
        progress.say(f"starting the embedded cloud on {cloud.endpoint_url}")
        cloud.start()
        cloud.deploy(progress=progress.say)
        cloud.start_poller()
        stack = Stack(cloud)
        keys = _upload(stack, files, progress)
        destination = Destination.of(stack)
        manifests = _wait_for_manifests(stack, destination, keys, args.timeout, progress)
        folders = _copy_results(stack, destination.bucket, manifests, args.out, progress)
        _print_table(manifests, destination.bucket, folders)
        missing = [key for key in keys if key not in manifests]
        _print_summary(manifests, missing, args)
        if args.keep_running:
            _keep_running(cloud)
    except CloudError as exc:
        raise CommandError(str(exc)) from None
    finally:
        cloud.stop()
    return 1 if missing else 0


def _demo_port(wanted: int, progress: Progress) -> int:
    if port_is_free("127.0.0.1", wanted):
        return wanted
    port = free_port()
    progress.say(f"port {wanted} is busy; using {port} for this demo")
    return port


def prepare_output_folder(out: Path) -> None:
    """An empty folder for this run: one an earlier demo wrote (it has our marker) is emptied, so
    the contact sheet and the folders next to it describe the same run; anything else is refused."""
    if out.exists() and any(out.iterdir()):
        if not (out / DEMO_MARKER).is_file():
            raise CommandError(f"{out} is not empty and was not written by 'imgfan demo'; pass another --out")
        for entry in out.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / DEMO_MARKER).write_text("written by 'imgfan demo'; emptied by the next run\n", encoding="utf-8")


def _print_summary(manifests: dict[str, dict], missing: list[str], args: argparse.Namespace) -> None:
    for key in missing:
        print(f"no manifest for {key} within {args.timeout:.0f}s")
    counts = Counter(manifest["status"] for manifest in manifests.values())
    parts = [f"{counts[status]} {status}" for status in ("complete", "partial", "failed") if counts[status]]
    parts += [f"{len(missing)} without a manifest"] if missing else []
    total = len(manifests) + len(missing)
    print(f"\n{total} image{'s' if total != 1 else ''}: {', '.join(parts)}")
    print(f"contact sheet: {(args.out / 'index.html').resolve()}")
    if not args.keep_running:
        print("console: 'imgfan demo --keep-running' keeps the cloud up with its web console; "
              "'imgfan local up' starts one to upload to")


def _keep_running(cloud: EmbeddedCloud) -> None:
    """Leave the cloud and its console up for browsing, until Ctrl-C."""
    url = mount_console(cloud)
    print(f"console: {url}")
    for name, value in cloud.environment().items():
        print(f"  export {name}={value}")
    # Inside the try: a Ctrl-C that comes as soon as the prompt is out must stop, not interrupt.
    try:
        print(f"{how_to_stop()}.", flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("stopping")


def _upload(stack: Stack, files: list[Path], progress: Progress) -> list[str]:
    s3 = stack.client("s3")
    bucket = stack.output(Output.SOURCE_BUCKET)
    keys = []
    for index, path in enumerate(files, 1):
        key = path.name
        content_type = CONTENT_TYPES.get(path.suffix.lower().lstrip(".").replace("jpg", "jpeg"))
        extra = {"ContentType": content_type} if content_type else {}
        s3.upload_file(str(path), bucket, key, ExtraArgs=extra)
        keys.append(key)
        progress.update(f"uploaded {index}/{len(files)}: {key}")
    progress.say(f"uploaded {len(files)} images to s3://{bucket}/")
    return keys


def _wait_for_manifests(
    stack: Stack, destination: Destination, keys: list[str], timeout: float, progress: Progress
) -> dict[str, dict]:
    s3, stepfunctions = stack.client("s3"), stack.client("stepfunctions")
    # The demo only uploads: renders, never deletes.
    state_machine_arn = stack.output(Output.STATE_MACHINE_ARN)
    manifests: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    while len(manifests) < len(keys) and time.monotonic() < deadline:
        for key in keys:
            if key in manifests:
                continue
            try:
                manifests[key] = read_manifest(s3, destination.bucket, destination.prefix, key).document
            except NoManifest:
                continue
        executions = list_executions(stepfunctions, state_machine_arn)
        running = sum(1 for e in executions if e.status == "RUNNING")
        progress.update(
            f"manifests {len(manifests)}/{len(keys)}, executions running {running}, "
            f"finished {len(executions) - running}"
        )
        if len(manifests) < len(keys):
            time.sleep(0.5)
    progress.say(f"{len(manifests)}/{len(keys)} manifests written")
    return manifests


def _print_table(manifests: dict[str, dict], bucket: str, folders: dict[str, Path]) -> None:
    for key, manifest in manifests.items():
        source = manifest["source"]
        error = manifest.get("error")
        if error:
            print(f"\n{key}  failed: {error.get('type')}: {error.get('message')}  "
                  f"({source.get('bytes') or 0:,} bytes; no variants)")
        else:
            size = f"{source.get('width')}x{source.get('height')}"
            print(f"\n{key}  ({source.get('format')}, {size}, {source.get('bytes') or 0:,} bytes)  "
                  f"status: {manifest['status']}")
            print(f"  {'preset':<12} {'size':>11} {'format':<6} {'bytes':>10}")
            for variant in manifest["variants"]:
                print(f"  {_variant_line(variant)}")
        print(f"  manifest: s3://{bucket}/{manifest['output']['folder']}{MANIFEST_NAME}")
        print(f"  copied to: {folders[key]}/")


def _variant_line(variant: dict) -> str:
    if variant["status"] == "ok":
        dims = f"{variant['width']}x{variant['height']}"
        return f"{variant['preset']:<12} {dims:>11} {variant['format']:<6} {variant['bytes']:>10,}"
    error = variant.get("error") or {}
    return f"{variant['preset']:<12} FAILED {error.get('type')}: {error.get('message')}"


def _copy_results(
    stack: Stack, bucket: str, manifests: dict[str, dict], out: Path, progress: Progress
) -> dict[str, Path]:
    """Each image's variants and manifest in its own folder under ``out``, and the contact sheet."""
    s3 = stack.client("s3")
    folders = {}
    for key, manifest in manifests.items():
        folder = out / local_folder_name(key)
        folder.mkdir(parents=True, exist_ok=True)
        for variant in manifest["variants"]:
            if variant["status"] == "ok":
                name = variant["key"].rsplit("/", 1)[-1]
                s3.download_file(bucket, variant["key"], str(folder / name))
        (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        folders[key] = folder
    write_contact_sheet(out, manifests, folders)
    progress.say(f"copied variants and manifests to {out}/")
    return folders
