"""``imgfan local up``: the embedded cloud and the deployed pipeline, in the foreground."""

from __future__ import annotations

import argparse
import os
import time

from imgfan.commands import CommandError
from imgfan.local.cloud import DEFAULT_PORT, CloudError, EmbeddedCloud
from imgfan.local.faults import ENVIRONMENT_VARIABLE, fault_plan_argument
from imgfan.progress import Progress


def register(subparsers: argparse._SubParsersAction) -> None:
    local = subparsers.add_parser("local", help="run the embedded cloud (no AWS account needed)")
    actions = local.add_subparsers(dest="local_command", metavar="ACTION", required=True)
    up = actions.add_parser("up", help="start moto + local Lambda runtime, deploy the stack, run until Ctrl-C")
    up.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})")
    up.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    up.add_argument("--faults", type=fault_plan_argument, default=os.environ.get(ENVIRONMENT_VARIABLE, ""),
                    metavar="SPEC", help="inject faults, e.g. kill=0.05,s3-error=0.02 "
                                         f"(default: ${ENVIRONMENT_VARIABLE}; README 'Fault injection')")
    up.set_defaults(handler=run_up)


def run_up(args: argparse.Namespace) -> int:
    progress = Progress()
    cloud = EmbeddedCloud(port=args.port, host=args.host, faults=args.faults)
    try:
        progress.say(f"starting the embedded cloud on {cloud.endpoint_url}")
        cloud.start()
        cloud.deploy(progress=progress.say)
        cloud.start_poller()
    except CloudError as exc:
        cloud.stop()
        raise CommandError(str(exc)) from None
    except BaseException:
        cloud.stop()
        raise
    outputs = cloud.outputs
    env = cloud.environment()
    print()
    print("imgfan is running. In another shell:")
    for name, value in env.items():
        print(f"  export {name}={value}")
    print(f"  aws s3 cp photo.jpg s3://{outputs['SourceBucketName']}/")
    print(f"  aws s3 ls --recursive s3://{outputs['OutputBucketName']}/")
    print("  imgfan executions list")
    print(f"Function logs: {cloud.state_dir / 'logs'}/")
    if args.faults.active:
        print(f"Injecting faults: {args.faults.to_spec()} (GET {cloud.endpoint_url}/_imgfan/faults for counts)")
    print("Press Ctrl-C to stop (all state is in memory and goes with it).", flush=True)
    try:
        _report_executions(cloud, outputs["StateMachineArn"], progress)
    except KeyboardInterrupt:
        progress.say("stopping")
    finally:
        cloud.stop()
    return 0


def _report_executions(cloud: EmbeddedCloud, state_machine_arn: str, progress: Progress) -> None:
    """One line per execution as it finishes, so the foreground shows what the pipeline does."""
    stepfunctions = cloud.client("stepfunctions")
    reported: set[str] = set()
    while True:
        time.sleep(1)
        for page in stepfunctions.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn):
            for execution in page["executions"]:
                if execution["status"] == "RUNNING" or execution["executionArn"] in reported:
                    continue
                reported.add(execution["executionArn"])
                took = (execution["stopDate"] - execution["startDate"]).total_seconds()
                progress.say(f"execution {execution['name']}: {execution['status']} in {took:.1f}s")
