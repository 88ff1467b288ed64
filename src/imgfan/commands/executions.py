"""``imgfan executions list|show``: what the Step Functions console shows, in a terminal."""

from __future__ import annotations

import argparse

from imgfan.aws import add_cloud_arguments, add_presets_parameter_argument
from imgfan.live import (
    NOT_COMPLETE,
    Execution,
    ExecutionLookup,
    ExecutionSummary,
    MissingOutput,
    Stack,
    describe_executions,
    execution_history,
    find_execution,
    list_executions,
    manifest_of,
    read_live_config,
    summarize,
)
from imgfan.live.console_address import about_console
from imgfan.live.timeline import build_timeline, readable_cause, render_timeline
from imgfan_core.stack_names import Output

STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
# Keys up to this long line up in a column; longer ones push their row's name to the right.
KEY_WIDTH = 48


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("executions", help="list executions or show one as a timeline")
    actions = parser.add_subparsers(dest="executions_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="recent executions, newest first, with their source keys")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--max", type=int, default=50, help="how many to show (default 50)")
    listing.add_argument("--wide", action="store_true", help="add each execution's ARN")
    add_cloud_arguments(listing)
    add_presets_parameter_argument(listing)
    listing.set_defaults(handler=run_list)
    show = actions.add_parser(
        "show", help="one execution's states and Map iterations (one per preset) with durations",
        description="Show one execution as a timeline. TARGET is an execution name or ARN, a source key "
                    "or s3:// URL (its latest execution), or the start of a name.",
    )
    show.add_argument("target", metavar="TARGET",
                      help="execution name, ARN, source key, s3://bucket/key or name prefix")
    add_cloud_arguments(show)
    add_presets_parameter_argument(show)
    show.set_defaults(handler=run_show)


def _summaries(stack: Stack, parameter: str | None, executions: list[Execution]) -> list[ExecutionSummary]:
    config = read_live_config(stack.client("ssm"), stack.presets_parameter(parameter))
    bucket, prefix = stack.output_location(config)
    described = describe_executions(stack.client("stepfunctions"), executions)
    return summarize(stack.client("s3"), bucket, prefix, described)


def manifest_column(summary: ExecutionSummary) -> str:
    status = summary.manifest_status
    if status is None:
        return "-"
    return f"{status} !" if status in NOT_COMPLETE else status


def run_list(args: argparse.Namespace) -> int:
    stack = Stack.from_args(args)
    # Renders and deletes, in one list (they run in two state machines).
    executions = list_executions(stack.client("stepfunctions"), stack.state_machines(), args.status)[: args.max]
    summaries = _summaries(stack, args.parameter_name, executions)
    width = min(KEY_WIDTH, max([len("source key")] + [len(s.execution.source_key or "?") for s in summaries]))
    print(f"{'started (UTC)':<19}  {'status':<9} {'duration':>9}  {'action':<6}  {'manifest':<10}  "
          f"{'source key':<{width}}  {'execution ARN' if args.wide else 'execution'}")
    for summary in summaries:
        execution = summary.execution
        duration = "-" if execution.seconds is None else f"{execution.seconds:.2f}s"
        started = execution.started.strftime("%Y-%m-%d %H:%M:%S")
        print(
            f"{started:<19}  {execution.status:<9} {duration:>9}  {execution.action or '?':<6}  "
            f"{manifest_column(summary):<10}  {execution.source_key or '?':<{width}}  "
            + (execution.arn if args.wide else execution.name)
        )
    if not summaries:
        print("(no executions yet)")
    if any(s.manifest_status in NOT_COMPLETE for s in summaries):
        print("!: a preset or the whole image failed; 'imgfan executions show KEY' says why")
    _print_console_link(stack)
    return 0


def _print_console_link(stack: Stack) -> None:
    about = about_console(stack.cloud.endpoint_url)
    if about is not None:
        print(f"console: {about['url']}")
        return
    try:
        print(f"console: {stack.output(Output.CONSOLE_URL)}")
    except MissingOutput:
        pass


def run_show(args: argparse.Namespace) -> int:
    stack = Stack.from_args(args)
    stepfunctions = stack.client("stepfunctions")
    lookup = ExecutionLookup(stepfunctions, stack.state_machines())

    def manifest_execution(key: str) -> str | None:
        config = read_live_config(stack.client("ssm"), stack.presets_parameter(args.parameter_name))
        manifest = manifest_of(stack.client("s3"), *stack.output_location(config), key)
        named = (manifest.document.get("execution") or {}) if manifest else {}
        return named.get("name") if isinstance(named, dict) else None

    execution = find_execution(lookup, args.target, manifest_execution)
    [summary] = _summaries(stack, args.parameter_name, [execution])
    _print_header(summary)
    for line in render_timeline(build_timeline(execution_history(stepfunctions, execution.arn))):
        print(line)
    return 0


def _print_header(summary: ExecutionSummary) -> None:
    execution = summary.execution
    took = "" if execution.seconds is None else f" in {execution.seconds:.2f}s"
    print(f"{execution.name}: {execution.status}{took}")
    print(f"  {execution.action or '?'} s3://{execution.source_bucket or '?'}/{execution.source_key or '?'}")
    if summary.manifest is not None:
        print(f"  manifest: {summary.manifest_status} ({summary.manifest.url})")
        error = summary.manifest.document.get("error")
        if isinstance(error, dict):
            print(f"  image failed: {error.get('type')}: {error.get('message')}")
    if execution.error:
        print(f"  execution failed: {execution.error}: {readable_cause(execution.cause)}")
    print(f"  arn: {execution.arn}")
