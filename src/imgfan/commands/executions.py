"""``imgfan executions list|show``: what the Step Functions console shows, in a terminal."""

from __future__ import annotations

import argparse

from imgfan.aws import add_cloud_arguments
from imgfan.live import Stack, describe_execution, execution_arn, execution_history, list_executions
from imgfan.timeline import build_timeline, render_timeline
from imgfan_core.stack_names import Output


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("executions", help="list executions or show one as a timeline")
    actions = parser.add_subparsers(dest="executions_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="recent executions, newest first")
    listing.add_argument("--status", choices=["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"])
    listing.add_argument("--max", type=int, default=50, help="how many to show (default 50)")
    add_cloud_arguments(listing)
    listing.set_defaults(handler=run_list)
    show = actions.add_parser("show", help="one execution's states and Map iterations with durations")
    show.add_argument("execution", help="execution name or ARN")
    add_cloud_arguments(show)
    show.set_defaults(handler=run_show)


def run_list(args: argparse.Namespace) -> int:
    stack = Stack.from_args(args)
    executions = list_executions(
        stack.client("stepfunctions"), stack.output(Output.STATE_MACHINE_ARN), args.status
    )
    print(f"{'started (UTC)':<20} {'status':<10} {'duration':>9}  name")
    for execution in executions[: args.max]:
        duration = "-" if execution.seconds is None else f"{execution.seconds:.2f}s"
        started = execution.started.strftime("%Y-%m-%d %H:%M:%S")
        print(f"{started:<20} {execution.status:<10} {duration:>9}  {execution.name}")
    if not executions:
        print("(no executions yet)")
    return 0


def run_show(args: argparse.Namespace) -> int:
    stack = Stack.from_args(args)
    stepfunctions = stack.client("stepfunctions")
    arn = args.execution
    if not arn.startswith("arn:"):
        arn = execution_arn(stack.output(Output.STATE_MACHINE_ARN), args.execution)
    execution = describe_execution(stepfunctions, arn)
    events = execution_history(stepfunctions, arn)
    took = "" if execution.seconds is None else f" in {execution.seconds:.2f}s"
    print(f"{execution.name}: {execution.status}{took}")
    if execution.error:
        print(f"error: {execution.error}: {execution.cause or ''}")
    for line in render_timeline(build_timeline(events), execution.started):
        print(line)
    return 0
