"""``imgfan backfill``: re-process source objects already in the bucket, e.g. after a presets push.

Executions are named from the object's ETag and the live presets hash (see imgfan.backfill), so
repeating a backfill meets ExecutionAlreadyExists ("already done") instead of rendering twice.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imgfan.aws import add_cloud_arguments, add_presets_parameter_argument, attempting
from imgfan.backfill import BackfillPlan, manifest_location, plan_backfill
from imgfan.commands import CommandError
from imgfan.live import Stack, list_object_pages, manifest_hashes, read_presets
from imgfan.progress import Progress
from imgfan_core.dispatch import start_execution
from imgfan_core.keys import execution_name
from imgfan_core.presets import PresetsConfig, presets_hash
from imgfan_core.stack_names import Output

DEFAULT_MAX_EXECUTIONS = 100


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "backfill", help="start executions for existing source objects (e.g. after 'presets push')"
    )
    parser.add_argument("--prefix", help="source key prefix (default: the live presets' source.prefix)")
    parser.add_argument(
        "--only-stale",
        action="store_true",
        help="skip objects whose manifest already has the live presets_hash (no manifest = stale)",
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="re-render every image, even up-to-date ones, so that the variants of removed presets go "
             "(the finalizer keeps the previous generation, so they are gone after the second run)",
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
    add_presets_parameter_argument(parser)
    add_cloud_arguments(parser)
    parser.set_defaults(handler=cmd_backfill)


@dataclass(frozen=True)
class Scope:
    """What one backfill looks at: the live presets, the stack's buckets and a source prefix."""

    config: PresetsConfig
    source_bucket: str
    output_bucket: str
    prefix: str

    @property
    def source(self) -> str:
        return f"s3://{self.source_bucket}/{self.prefix}"


def cmd_backfill(args: argparse.Namespace) -> int:
    if args.max_executions < 0:
        raise CommandError("--max-executions must be 0 or more")
    if args.prune and args.only_stale:
        raise CommandError("--prune re-renders every image; leave out --only-stale")
    stack = Stack.from_args(args)
    scope = _scope(stack, args)
    progress = Progress()
    plan = _plan(stack.client("s3"), scope, args.only_stale, progress)
    if args.prune:
        plan = _renamed_for_prune(plan, scope, datetime.now(UTC))
    count = len(plan.to_start)
    print(
        f"{scope.source}: {plan.considered} objects, {len(plan.filtered)} filtered out, "
        f"{len(plan.up_to_date)} up to date; {count} executions to start "
        f"(presets_hash {presets_hash(scope.config)})"
    )
    if args.dry_run:
        _print_dry_run(plan)
        return 0
    if count > args.max_executions and not args.yes:
        raise CommandError(
            f"{count} executions would start, more than --max-executions {args.max_executions}; "
            "check with --dry-run, then pass --yes (or a larger --max-executions) to start them"
        )
    started, existed = _start(stack, scope, plan, progress)
    _print_outcome(plan, started, existed)
    if args.prune:
        print(
            "each image now renders again; the variants its previous manifest named stay one more generation "
            "(pages may still show them), so a removed preset's variants go after the next render: run "
            "'imgfan backfill --prune' again once pages have reloaded their manifests"
        )
    return 0


def _renamed_for_prune(plan: BackfillPlan, scope: Scope, now: datetime) -> BackfillPlan:
    """The plan with execution names unique to this run: a backfill's names otherwise depend only
    on the object and the presets, and an up-to-date image would meet ExecutionAlreadyExists."""
    revision = f"prune@{now.isoformat()}"
    digest = presets_hash(scope.config)
    renamed = [
        replace(planned, request=replace(planned.request, name=execution_name(
            "render", scope.source_bucket, planned.key, revision, digest)))
        for planned in plan.to_start
    ]
    return replace(plan, to_start=renamed)


def _scope(stack: Stack, args: argparse.Namespace) -> Scope:
    config = read_presets(stack.client("ssm"), stack.presets_parameter(args.parameter_name)).config
    prefix = config.source.prefix if args.prefix is None else args.prefix
    return Scope(config, stack.output(Output.SOURCE_BUCKET), stack.output(Output.OUTPUT_BUCKET), prefix)


def _plan(s3: Any, scope: Scope, only_stale: bool, progress: Progress) -> BackfillPlan:
    """List the source objects (and, for --only-stale, their manifests' hashes), then plan."""
    objects: list[dict[str, Any]] = []
    for page in list_object_pages(s3, scope.source_bucket, scope.prefix):
        objects += page
        progress.update(f"listed {len(objects)} objects in {scope.source}")
    hashes = None
    if only_stale:
        bucket, manifests_prefix = manifest_location(scope.config, scope.output_bucket, scope.prefix)
        progress.update(f"reading manifests in s3://{bucket}/{manifests_prefix}")
        hashes = manifest_hashes(s3, bucket, manifests_prefix)
    progress.done()
    return plan_backfill(objects, scope.config, scope.source_bucket, scope.output_bucket, hashes)


def _print_dry_run(plan: BackfillPlan) -> None:
    for planned in plan.to_start:
        print(f"would start {planned.request.name}  {planned.key}")
    for key, reason in plan.filtered.items():
        print(f"filtered {key}: {reason}")


def _start(stack: Stack, scope: Scope, plan: BackfillPlan, progress: Progress) -> tuple[int, int]:
    """(started, already existed); on any other failure, say how far it got and re-raise."""
    stepfunctions = stack.client("stepfunctions")
    state_machine_arn = stack.output(Output.STATE_MACHINE_ARN)
    count, started, existed = len(plan.to_start), 0, 0
    for index, planned in enumerate(plan.to_start, 1):
        progress.update(f"starting executions: {index}/{count}  {planned.key}")
        try:
            with attempting(f"starting execution for s3://{scope.source_bucket}/{planned.key}"):
                is_new = start_execution(stepfunctions, state_machine_arn, planned.request)
        except (ClientError, BotoCoreError):
            progress.done()
            print(f"stopped after {started} started, {existed} already existed, of {count}", file=sys.stderr)
            raise
        if is_new:
            started += 1
        else:
            existed += 1
    progress.done()
    return started, existed


def _print_outcome(plan: BackfillPlan, started: int, existed: int) -> None:
    print(
        f"considered {plan.considered}, skipped {len(plan.up_to_date)} up to date and "
        f"{len(plan.filtered)} filtered, started {started}, already existed {existed}"
    )
    if existed:
        print(
            "  (already existed: an execution for the same object revision and presets ran before; "
            "Step Functions keeps its name, so it is not re-run)"
        )
