"""``imgfan backfill``: re-process source objects already in the bucket, e.g. after a presets push.

Executions are named from the object's ETag and the live presets hash (see imgfan.backfill), so
repeating a backfill meets ExecutionAlreadyExists ("already done") instead of rendering twice.
"""

from __future__ import annotations

import argparse
import sys

from imgfan.commands import CommandError
from imgfan.commands.presets import aws_errors, manifest_hashes, parameter_name, read_live_presets
from imgfan_core.dispatch import start_execution

DEFAULT_MAX_EXECUTIONS = 100


def register(subparsers: argparse._SubParsersAction) -> None:
    from imgfan.aws import add_cloud_arguments

    parser = subparsers.add_parser(
        "backfill", help="start executions for existing source objects (e.g. after 'presets push')"
    )
    parser.add_argument("--prefix", help="source key prefix (default: the live presets' source.prefix)")
    parser.add_argument(
        "--only-stale",
        action="store_true",
        help="skip objects whose manifest already has the live presets_hash (no manifest = stale)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would start; start nothing")
    parser.add_argument(
        "--max-executions",
        type=int,
        default=DEFAULT_MAX_EXECUTIONS,
        metavar="N",
        help=f"refuse to start more than N executions without --yes (default {DEFAULT_MAX_EXECUTIONS})",
    )
    parser.add_argument("--yes", action="store_true", help="start even more than --max-executions")
    parser.add_argument(
        "--parameter-name",
        help="SSM parameter with the live presets (default: stack output PresetsParameterName)",
    )
    add_cloud_arguments(parser)
    parser.set_defaults(handler=cmd_backfill)


def cmd_backfill(args: argparse.Namespace) -> int:
    from imgfan.aws import OUTPUT_OUTPUT_BUCKET, OUTPUT_SOURCE_BUCKET, OUTPUT_STATE_MACHINE_ARN, Cloud
    from imgfan.backfill import manifest_location, plan_backfill
    from imgfan.progress import Progress
    from imgfan_core.presets import presets_hash

    if args.max_executions < 0:
        raise CommandError("--max-executions must be 0 or more")
    cloud = Cloud.from_args(args)
    name = parameter_name(cloud, args.parameter_name)
    _, config = read_live_presets(cloud, name)
    if config is None:
        raise CommandError(f"parameter {name} does not exist; run 'imgfan presets push' first")
    source_bucket = cloud.output(OUTPUT_SOURCE_BUCKET)
    output_bucket = cloud.output(OUTPUT_OUTPUT_BUCKET)
    prefix = config.source.prefix if args.prefix is None else args.prefix
    s3 = cloud.client("s3")
    progress = Progress()

    objects = []
    with aws_errors(f"listing s3://{source_bucket}/{prefix}"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=source_bucket, Prefix=prefix):
            objects += page.get("Contents", [])
            progress.update(f"listed {len(objects)} objects in s3://{source_bucket}/{prefix}")
    hashes = None
    if args.only_stale:
        bucket, manifests_prefix = manifest_location(config, output_bucket, prefix)
        progress.update(f"reading manifests in s3://{bucket}/{manifests_prefix}")
        hashes = manifest_hashes(s3, bucket, manifests_prefix)
    progress.done()

    plan = plan_backfill(objects, config, source_bucket, output_bucket, hashes)
    digest = presets_hash(config)
    count = len(plan.to_start)
    print(
        f"s3://{source_bucket}/{prefix}: {plan.considered} objects, {len(plan.filtered)} filtered out, "
        f"{len(plan.up_to_date)} up to date; {count} executions to start (presets_hash {digest})"
    )
    if args.dry_run:
        for planned in plan.to_start:
            print(f"would start {planned.request.name}  {planned.key}")
        for key, reason in plan.filtered.items():
            print(f"filtered {key}: {reason}")
        return 0
    if count > args.max_executions and not args.yes:
        raise CommandError(
            f"{count} executions would start, more than --max-executions {args.max_executions}; "
            "check with --dry-run, then pass --yes (or a larger --max-executions) to start them"
        )

    stepfunctions = cloud.client("stepfunctions")
    state_machine_arn = cloud.output(OUTPUT_STATE_MACHINE_ARN)
    started = existed = 0
    for index, planned in enumerate(plan.to_start, 1):
        progress.update(f"starting executions: {index}/{count}  {planned.key}")
        try:
            with aws_errors(f"starting execution for s3://{source_bucket}/{planned.key}"):
                if start_execution(stepfunctions, state_machine_arn, planned.request):
                    started += 1
                else:
                    existed += 1
        except CommandError:
            progress.done()
            print(f"stopped after {started} started, {existed} already existed, of {count}", file=sys.stderr)
            raise
    progress.done()
    print(
        f"considered {plan.considered}, skipped {len(plan.up_to_date)} up to date and "
        f"{len(plan.filtered)} filtered, started {started}, already existed {existed}"
    )
    if existed:
        print(
            "  (already existed: an execution for the same object revision and presets ran before; "
            "Step Functions keeps its name, so it is not re-run)"
        )
    return 0
