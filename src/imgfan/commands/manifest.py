"""``imgfan manifest get KEY``: print the manifest of one source object.

The finalizer writes the manifest where the execution input's settings say; the dispatcher
resolved those settings from the live presets (SSM) and the stack outputs. This command resolves
the output bucket and prefix the same way, so it finds the manifest wherever the pipeline wrote it.
"""

from __future__ import annotations

import argparse
import json
import sys

from imgfan.aws import add_cloud_arguments, add_presets_parameter_argument
from imgfan.commands import CommandError
from imgfan.live import (
    ExecutionLookup,
    NoManifest,
    Stack,
    explain_missing_manifest,
    read_live_config,
    read_manifest,
    source_key_of,
)
from imgfan_core.presets import PresetsConfig
from imgfan_core.stack_names import Output


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("manifest", help="read manifests")
    actions = parser.add_subparsers(dest="manifest_action", metavar="ACTION", required=True)
    get = actions.add_parser("get", help="print the manifest JSON for a source key")
    get.add_argument("key", metavar="KEY", help="source object key (or s3://source-bucket/key)")
    add_cloud_arguments(get)
    get.add_argument(
        "--bucket", help="output bucket (default: live presets, else stack output OutputBucketName)"
    )
    get.add_argument("--prefix", help="output prefix (default: live presets' output.prefix)")
    add_presets_parameter_argument(get)
    get.add_argument("--validate", action="store_true", help="also check it against manifest.schema.json")
    get.set_defaults(handler=cmd_get)


def cmd_get(args: argparse.Namespace) -> int:
    key = source_key_of(args.key)
    if not key:
        raise CommandError("KEY is empty; pass the source object's key, e.g. photos/cat.jpg")
    stack = Stack.from_args(args)
    live = None
    if args.prefix is None or args.bucket is None:
        live = read_live_config(stack.client("ssm"), stack.presets_parameter(args.parameter_name))
    prefix = args.prefix if args.prefix is not None else (live.output.prefix if live else "")
    bucket = args.bucket or stack.output_bucket_for(live)
    try:
        manifest = read_manifest(stack.client("s3"), bucket, prefix, key)
    except NoManifest as missing:
        raise _explained(stack, live, key, missing) from None
    if args.validate:
        from imgfan_core.manifest import InvalidManifest, validate_manifest

        try:
            validate_manifest(manifest.document)
        except InvalidManifest as exc:
            raise CommandError(f"{manifest.url} does not match manifest.schema.json: {exc}") from None
    sys.stdout.write(json.dumps(manifest.document, indent=2, ensure_ascii=False) + "\n")
    return 0


def _explained(stack: Stack, config: PresetsConfig | None, key: str, missing: NoManifest) -> NoManifest:
    """Why there is none, when the stack can say (source, notifications, executions)."""
    from imgfan.live import MissingOutput, StackNotFound

    if config is None:
        return missing
    try:
        source_bucket = config.source.bucket or stack.output(Output.SOURCE_BUCKET)
        lookup = ExecutionLookup(stack.client("stepfunctions"), stack.state_machines())
    except (StackNotFound, MissingOutput):
        return missing
    return explain_missing_manifest(missing, stack.client("s3"), source_bucket, config, lookup, key)

