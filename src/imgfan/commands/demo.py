"""``imgfan demo``: the whole pipeline on the embedded cloud, from upload to contact sheet."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from imgfan.commands import CommandError
from imgfan.contact_sheet import local_folder_name, write_contact_sheet
from imgfan.live import NoManifest, Stack, list_executions, read_manifest, read_presets
from imgfan.local.cloud import DEFAULT_PORT, CloudError, EmbeddedCloud, free_port, port_is_free
from imgfan.progress import Progress
from imgfan_core.formats import CONTENT_TYPES
from imgfan_core.keys import MANIFEST_NAME
from imgfan_core.stack_names import Output

SAMPLE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".avif", ".tif", ".tiff")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the pipeline end to end on the embedded cloud")
    parser.add_argument("files", nargs="*", type=Path, help="images to upload (default: the bundled samples)")
    parser.add_argument("--out", type=Path, default=Path("imgfan-demo"), help="where to copy the results")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="embedded cloud port (a free one if busy)"
    )
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for all manifests")
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
    files = args.files or bundled_samples()
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise CommandError(f"not a file: {', '.join(missing)}")
    progress = Progress()
    port = args.port
    if not port_is_free("127.0.0.1", port):
        port = free_port()
        progress.say(f"port {args.port} is busy; using {port} for this demo")
    cloud = EmbeddedCloud(port=port)
    try:
        progress.say(f"starting the embedded cloud on {cloud.endpoint_url}")
        cloud.start()
        cloud.deploy(progress=progress.say)
        cloud.start_poller()
        stack = Stack(cloud)
        keys = _upload(stack, files, progress)
        destination = Destination.of(stack)
        manifests = _wait_for_manifests(stack, destination, keys, args.timeout, progress)
        _print_table(manifests)
        _copy_results(stack, destination.bucket, manifests, args.out, progress)
    except CloudError as exc:
        raise CommandError(str(exc)) from None
    finally:
        cloud.stop()

    missing = [key for key in keys if key not in manifests]
    for key in missing:
        print(f"no manifest for {key} within {args.timeout:.0f}s")
    print(f"\ncontact sheet: {(args.out / 'index.html').resolve()}")
    return 1 if missing else 0


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


def _print_table(manifests: dict[str, dict]) -> None:
    for key, manifest in manifests.items():
        source = manifest["source"]
        size = f"{source.get('width')}x{source.get('height')}" if source.get("width") else "?"
        print(
            f"\n{key}  ({source.get('format')}, {size}, {source.get('bytes') or 0:,} bytes)  "
            f"status: {manifest['status']}"
        )
        print(f"  {'preset':<12} {'size':>11} {'format':<6} {'bytes':>10}")
        for variant in manifest["variants"]:
            if variant["status"] == "ok":
                dims = f"{variant['width']}x{variant['height']}"
                print(f"  {variant['preset']:<12} {dims:>11} {variant['format']:<6} {variant['bytes']:>10,}")
            else:
                error = variant.get("error", {})
                print(f"  {variant['preset']:<12} FAILED {error.get('type')}: {error.get('message')}")
        print(f"  manifest: {manifest['output']['folder']}{MANIFEST_NAME}")


def _copy_results(
    stack: Stack, bucket: str, manifests: dict[str, dict], out: Path, progress: Progress
) -> None:
    s3 = stack.client("s3")
    out.mkdir(parents=True, exist_ok=True)
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
