"""``imgfan local up``: the embedded cloud and the deployed pipeline, in the foreground."""

from __future__ import annotations

import argparse
import time

from imgfan.commands import CommandError
from imgfan.live import list_executions
from imgfan.local.cloud import DEFAULT_PORT, CloudError, EmbeddedCloud
from imgfan.progress import Progress
from imgfan_core.stack_names import Output


def register(subparsers: argparse._SubParsersAction) -> None:
    local = subparsers.add_parser("local", help="run the embedded cloud (no AWS account needed)")
    actions = local.add_subparsers(dest="local_command", metavar="ACTION", required=True)
    up = actions.add_parser(
        "up", help="start moto + local Lambda runtime, deploy the stack, run until Ctrl-C"
    )
    up.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})"
    )
    up.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    up.set_defaults(handler=run_up)


def run_up(args: argparse.Namespace) -> int:
    progress = Progress()
    cloud = EmbeddedCloud(port=args.port, host=args.host)
    try:
        progress.say(f"starting the embedded cloud on {cloud.endpoint_url}")
        cloud.start()
        outputs = cloud.deploy(progress=progress.say)
        cloud.start_poller()
    except CloudError as exc:
        cloud.stop()
        raise CommandError(str(exc)) from None
    except BaseException:
        cloud.stop()
        raise
    _print_how_to_use(cloud, outputs)
    try:
        _report_executions(cloud, outputs[Output.STATE_MACHINE_ARN], progress)
    except KeyboardInterrupt:
        progress.say("stopping")
    finally:
        cloud.stop()
    return 0


def _print_how_to_use(cloud: EmbeddedCloud, outputs: dict[str, str]) -> None:
    print()
    print("imgfan is running. In another shell:")
    for name, value in cloud.environment().items():
        print(f"  export {name}={value}")
    print(f"  aws s3 cp photo.jpg s3://{outputs[Output.SOURCE_BUCKET]}/")
    print(f"  aws s3 ls --recursive s3://{outputs[Output.OUTPUT_BUCKET]}/")
    print("  imgfan executions list")
    print(f"Function logs: {cloud.state_dir / 'logs'}/")
    print("Press Ctrl-C to stop (all state is in memory and goes with it).", flush=True)


def _report_executions(cloud: EmbeddedCloud, state_machine_arn: str, progress: Progress) -> None:
    """One line per execution as it finishes, so the foreground shows what the pipeline does."""
    stepfunctions = cloud.client("stepfunctions")
    reported: set[str] = set()
    while True:
        time.sleep(1)
        for execution in reversed(list_executions(stepfunctions, state_machine_arn)):
            if execution.status == "RUNNING" or execution.arn in reported:
                continue
            reported.add(execution.arn)
            progress.say(f"execution {execution.name}: {execution.status} in {execution.seconds:.1f}s")
