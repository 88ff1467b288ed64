"""``imgfan executions list|show``: what the Step Functions console shows, in a terminal."""

from __future__ import annotations

import argparse

from imgfan.aws import OUTPUT_STATE_MACHINE_ARN, Cloud, add_cloud_arguments
from imgfan.commands import CommandError
from imgfan.timeline import build_timeline, render_timeline


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
    cloud = Cloud.from_args(args)
    stepfunctions = cloud.client("stepfunctions")
    request = {"stateMachineArn": cloud.output(OUTPUT_STATE_MACHINE_ARN)}
    if args.status:
        request["statusFilter"] = args.status
    executions = []
    for page in stepfunctions.get_paginator("list_executions").paginate(**request):
        executions.extend(page["executions"])
    executions.sort(key=lambda e: e["startDate"], reverse=True)
    print(f"{'started (UTC)':<20} {'status':<10} {'duration':>9}  name")
    for execution in executions[: args.max]:
        stop = execution.get("stopDate")
        duration = f"{(stop - execution['startDate']).total_seconds():.2f}s" if stop else "-"
        started = execution["startDate"].strftime("%Y-%m-%d %H:%M:%S")
        print(f"{started:<20} {execution['status']:<10} {duration:>9}  {execution['name']}")
    if not executions:
        print("(no executions yet)")
    return 0


def _resolve_arn(cloud: Cloud, name_or_arn: str) -> str:
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    state_machine_arn = cloud.output(OUTPUT_STATE_MACHINE_ARN)
    # Execution ARNs are the state machine ARN with ":execution:" and the name appended.
    return state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name_or_arn}"


def run_show(args: argparse.Namespace) -> int:
    cloud = Cloud.from_args(args)
    stepfunctions = cloud.client("stepfunctions")
    arn = _resolve_arn(cloud, args.execution)
    try:
        described = stepfunctions.describe_execution(executionArn=arn)
    except stepfunctions.exceptions.ExecutionDoesNotExist:
        raise CommandError(f"no execution {args.execution!r}; see 'imgfan executions list'") from None
    events = []
    for page in stepfunctions.get_paginator("get_execution_history").paginate(executionArn=arn):
        events.extend(page["events"])
    stop = described.get("stopDate")
    took = f" in {(stop - described['startDate']).total_seconds():.2f}s" if stop else ""
    print(f"{described['name']}: {described['status']}{took}")
    if described.get("error"):
        print(f"error: {described['error']}: {described.get('cause', '')}")
    for line in render_timeline(build_timeline(events), described["startDate"]):
        print(line)
    return 0
