"""``imgfan local up|env``: the embedded cloud and the deployed pipeline, in the foreground, and
the shell settings that reach it."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from imgfan.commands import CommandError, context_pair
from imgfan.commands.progress import Progress
from imgfan.commands.stop_signals import how_to_stop, stopped_like_ctrl_c
from imgfan.console import about_console, mount_console
from imgfan.live import StateMachines, list_executions
from imgfan.local.cloud import DEFAULT_PORT, LOCAL_CREDENTIALS, CloudError, EmbeddedCloud
from imgfan.local.faults import ENVIRONMENT_VARIABLE, fault_plan_argument
from imgfan_core.stack_names import STACK_NAME, Output, construct_outputs

# The bucket names CloudFormation gave this deployment, for shell commands to use by name.
BUCKET_VARIABLES = {"IMGFAN_SOURCE_BUCKET": Output.SOURCE_BUCKET, "IMGFAN_OUTPUT_BUCKET": Output.OUTPUT_BUCKET}


def register(subparsers: argparse._SubParsersAction) -> None:
    local = subparsers.add_parser("local", help="run the embedded cloud (no AWS account needed)")
    actions = local.add_subparsers(dest="local_command", metavar="ACTION", required=True)
    up = actions.add_parser(
        "up", help="start moto + local Lambda runtime, deploy the stack, serve the console, run until Ctrl-C"
    )
    up.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})"
    )
    up.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    up.add_argument("--presets", metavar="PATH", type=Path, help="presets file to deploy (default presets.json)")
    up.add_argument("--app", metavar="APP",
                    help="deploy your own CDK app instead of this repository's stack: a cloud assembly folder "
                         "(cdk.out) or the command that synthesizes it, as for 'cdk --app' (e.g. 'python app.py')")
    up.add_argument("--stack-name", default=STACK_NAME, help=f"the stack of --app to deploy (default {STACK_NAME})")
    up.add_argument("--bucket", action="append", default=[], metavar="NAME",
                    help="create this bucket before deploying, standing in for one your app imports "
                         "(s3.Bucket.from_bucket_name); repeatable")
    up.add_argument("--context", "-c", action="append", type=context_pair, default=[], metavar="KEY=VALUE",
                    help="stack setting as for 'imgfan synth', e.g. -c presetsCacheSeconds=5 (repeatable)")
    up.add_argument("--faults", type=fault_plan_argument, default=os.environ.get(ENVIRONMENT_VARIABLE, ""),
                    metavar="SPEC", help="inject faults, e.g. kill=0.05,s3-error=0.02 "
                                         f"(default: ${ENVIRONMENT_VARIABLE}; docs/fault-injection.md)")
    up.add_argument("--enforce-iam", action="store_true",
                    help="answer a function's call that its role does not allow 403 AccessDenied, as AWS would "
                         "(default: record it in GET /_imgfan/faults and let it through)")
    up.set_defaults(handler=run_up)
    env = actions.add_parser(
        "env", help="print the exports and today's bucket names of a running 'imgfan local up'",
        description="Print shell exports for the running embedded cloud: the endpoint, test "
                    "credentials, the region and the bucket names of this deployment. "
                    'Use: eval "$(imgfan local env)"',
    )
    env.add_argument("--stack-name", default=STACK_NAME, help=f"the deployed stack (default {STACK_NAME})")
    default_endpoint = f"http://127.0.0.1:{DEFAULT_PORT}"
    env.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL") or default_endpoint,
                     help=f"the embedded cloud (default $AWS_ENDPOINT_URL, else {default_endpoint})")
    env.set_defaults(handler=run_env)


def stack_context(args: argparse.Namespace) -> dict[str, str]:
    context = dict(args.context)
    if args.presets is not None:
        context["presetsFile"] = str(args.presets.resolve())
    return context


def _local_presets(args: argparse.Namespace) -> Path | None:
    """The file the console's presets page compares the live presets with."""
    default = Path("presets.json")
    return args.presets or (default if default.is_file() else None)


def run_up(args: argparse.Namespace) -> int:
    with stopped_like_ctrl_c():
        return _serve_until_stopped(args)


def _serve_until_stopped(args: argparse.Namespace) -> int:
    from imgfan.synth import SynthError

    progress = Progress()
    cloud = EmbeddedCloud(port=args.port, host=args.host, faults=args.faults, enforce_iam=args.enforce_iam)
    try:
        progress.say(f"starting the embedded cloud on {cloud.endpoint_url}")
        cloud.start()
        outputs = _deploy(cloud, args, progress)
        cloud.start_poller()
        console = mount_console(cloud, _local_presets(args), args.stack_name)
    except (CloudError, SynthError) as exc:
        cloud.stop()
        raise CommandError(str(exc)) from None
    except BaseException:
        cloud.stop()
        raise
    # Inside the try: a Ctrl-C that comes as soon as the prompt is out must stop, not interrupt.
    try:
        _print_how_to_use(cloud, outputs, console, args.stack_name)
        if args.faults.active:
            print(f"Injecting faults: {args.faults.to_spec()} (GET {cloud.endpoint_url}/_imgfan/faults for counts)")
        _report_executions(cloud, StateMachines(outputs[Output.STATE_MACHINE_ARN],
                                               outputs.get(Output.DELETE_STATE_MACHINE_ARN)), progress)
    except KeyboardInterrupt:
        progress.say("stopping")
    finally:
        cloud.stop()
    return 0


def exports(environment: dict[str, str], outputs: dict[str, str]) -> list[str]:
    lines = [f"export {name}={value}" for name, value in environment.items()]
    return lines + [f"export {name}={outputs[output]}" for name, output in BUCKET_VARIABLES.items()]


def _deploy(cloud: EmbeddedCloud, args: argparse.Namespace, progress: Progress) -> dict[str, str]:
    from imgfan.synth import app_assembly

    for bucket in args.bucket:
        progress.say(f"creating bucket {bucket} (stands in for your existing bucket)")
        cloud.client("s3").create_bucket(Bucket=bucket)
    if args.app is None:
        return cloud.deploy(progress=progress.say, context=stack_context(args), stack_name=args.stack_name)
    assembly = app_assembly(args.app, context=dict(args.context), progress=progress.say)
    return cloud.deploy(assembly, stack_name=args.stack_name, progress=progress.say)


def _print_how_to_use(cloud: EmbeddedCloud, outputs: dict[str, str], console: str, stack_name: str) -> None:
    print()
    print(f"console: {console}")
    print("imgfan is running. In another shell (or: eval \"$(imgfan local env)\"):")
    for line in exports(cloud.environment(), outputs):
        print(f"  {line}")
    print("  aws s3 cp photo.jpg s3://$IMGFAN_SOURCE_BUCKET/")
    print("  aws s3 ls --recursive s3://$IMGFAN_OUTPUT_BUCKET/")
    print("  imgfan executions list")
    print("Function logs, one file per deployed function:")
    for name in _pipeline_functions(cloud, stack_name):
        print(f"  {cloud.state_dir / 'logs' / name}.log")
    print("Bucket names change at every start; 'imgfan local env' prints today's.")
    print(f"{how_to_stop()}; all state is in memory and goes with it.", flush=True)


def _pipeline_functions(cloud: EmbeddedCloud, stack_name: str) -> list[str]:
    """This deployment's function names (the log files' names), the CDK custom resources left out."""
    names = [f["FunctionName"] for page in cloud.client("lambda").get_paginator("list_functions").paginate()
             for f in page["Functions"]]
    return sorted(n for n in names if n.startswith(f"{stack_name}-") and "BucketNotificationsHandler" not in n)


def _report_executions(cloud: EmbeddedCloud, machines: StateMachines, progress: Progress) -> None:
    """One line per execution as it finishes, so the foreground shows what the pipeline does."""
    stepfunctions = cloud.client("stepfunctions")
    reported: set[str] = set()
    while True:
        time.sleep(1)
        for execution in reversed(list_executions(stepfunctions, machines)):
            if execution.status == "RUNNING" or execution.arn in reported:
                continue
            reported.add(execution.arn)
            progress.say(f"execution {execution.name}: {execution.status} in {execution.seconds:.1f}s")


def run_env(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    about = about_console(args.endpoint_url)
    if about is None:
        raise CommandError(
            f"no embedded cloud answers at {args.endpoint_url}: start one with 'imgfan local up' "
            "(or pass --endpoint-url)"
        )
    environment = {
        "AWS_ENDPOINT_URL": args.endpoint_url,
        "AWS_ACCESS_KEY_ID": LOCAL_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": LOCAL_CREDENTIALS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": about["region"],
    }
    cloudformation = boto3.client("cloudformation", endpoint_url=args.endpoint_url, region_name=about["region"],
                                  **LOCAL_CREDENTIALS)
    try:
        stack = cloudformation.describe_stacks(StackName=args.stack_name)["Stacks"][0]
    except (ClientError, BotoCoreError) as exc:
        raise CommandError(
            f"the embedded cloud at {args.endpoint_url} has no stack {args.stack_name} yet: {exc}"
        ) from None
    outputs = construct_outputs({o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])})
    for line in exports(environment, outputs):
        print(line)
    print(f"# console: {about['url']}")
    return 0
