"""``imgfan manifest get KEY``: print the manifest of one source object.

The output bucket and prefix come from the live presets (SSM) and the stack outputs, exactly
as the finalizer resolves them, so the command finds the manifest wherever the pipeline wrote it.
"""

from __future__ import annotations

import argparse
import json
import sys

from imgfan.commands import CommandError
from imgfan.commands.presets import aws_errors, parameter_name, read_live_presets
from imgfan_core.keys import manifest_key


def register(subparsers: argparse._SubParsersAction) -> None:
    from imgfan.aws import add_cloud_arguments

    parser = subparsers.add_parser("manifest", help="read manifests")
    actions = parser.add_subparsers(dest="manifest_action", metavar="ACTION", required=True)
    get = actions.add_parser("get", help="print the manifest JSON for a source key")
    get.add_argument("key", metavar="KEY", help="source object key (or s3://source-bucket/key)")
    add_cloud_arguments(get)
    get.add_argument(
        "--bucket", help="output bucket (default: live presets, else stack output OutputBucketName)"
    )
    get.add_argument("--prefix", help="output prefix (default: live presets' output.prefix)")
    get.add_argument(
        "--parameter-name",
        help="SSM parameter with the live presets (default: stack output PresetsParameterName)",
    )
    get.add_argument("--validate", action="store_true", help="also check it against manifest.schema.json")
    get.set_defaults(handler=cmd_get)


def source_key(raw: str) -> str:
    if raw.startswith("s3://"):
        _, _, key = raw[len("s3://") :].partition("/")
        return key
    return raw


def cmd_get(args: argparse.Namespace) -> int:
    from imgfan.aws import OUTPUT_OUTPUT_BUCKET, Cloud

    key = source_key(args.key)
    if not key:
        raise CommandError("KEY is empty; pass the source object's key, e.g. photos/cat.jpg")
    cloud = Cloud.from_args(args)
    live = None
    if args.prefix is None or args.bucket is None:
        _, live = read_live_presets(cloud, parameter_name(cloud, args.parameter_name))
    prefix = args.prefix if args.prefix is not None else (live.output.prefix if live else "")
    bucket = args.bucket or (live.output.bucket if live else None) or cloud.output(OUTPUT_OUTPUT_BUCKET)
    target = manifest_key(prefix, key)

    s3 = cloud.client("s3")
    try:
        with aws_errors(f"reading s3://{bucket}/{target}"):
            body = s3.get_object(Bucket=bucket, Key=target)["Body"].read()
    except CommandError as exc:
        if "NoSuchKey" in str(exc):
            raise CommandError(
                f"no manifest at s3://{bucket}/{target}: the image is not processed yet, failed before "
                "the finalizer, or the key is misspelt ('imgfan executions list' shows recent runs)"
            ) from None
        raise
    try:
        document = json.loads(body)
    except ValueError:
        raise CommandError(f"s3://{bucket}/{target} is not JSON") from None
    if args.validate:
        from imgfan_core.manifest import InvalidManifest, validate_manifest

        try:
            validate_manifest(document)
        except InvalidManifest as exc:
            raise CommandError(f"s3://{bucket}/{target} does not match manifest.schema.json: {exc}") from None
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return 0
