"""Clients for whichever cloud the user points at: the embedded one or a real AWS account.

Every command that touches AWS honours ``--endpoint-url`` / ``AWS_ENDPOINT_URL`` and the usual
profile and region settings, so the same commands work locally and on AWS.
"""

from __future__ import annotations

import argparse
import os
from functools import cached_property

import boto3
from botocore.config import Config

from imgfan.commands import CommandError

STACK_NAME = "Imgfan"
# Stack output names: the CDK stack declares them and the CLI reads them (one place each).
OUTPUT_SOURCE_BUCKET = "SourceBucketName"
OUTPUT_OUTPUT_BUCKET = "OutputBucketName"
OUTPUT_QUEUE_URL = "QueueUrl"
OUTPUT_DLQ_URL = "DeadLetterQueueUrl"
OUTPUT_STATE_MACHINE_ARN = "StateMachineArn"
OUTPUT_PRESETS_PARAMETER = "PresetsParameterName"
OUTPUT_CONSOLE_URL = "StateMachineConsoleUrl"


def add_cloud_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="AWS endpoint, e.g. http://127.0.0.1:4566 for the embedded cloud (default: $AWS_ENDPOINT_URL)",
    )
    parser.add_argument("--profile", default=None, help="AWS profile name")
    parser.add_argument("--region", default=None, help="AWS region")
    parser.add_argument("--stack-name", default=STACK_NAME, help=f"CloudFormation stack (default {STACK_NAME})")


class Cloud:
    """boto3 clients plus the deployed stack's outputs."""

    def __init__(
        self,
        endpoint_url: str | None = None,
        profile: str | None = None,
        region: str | None = None,
        stack_name: str = STACK_NAME,
    ):
        self.endpoint_url = endpoint_url
        self.stack_name = stack_name
        self.session = boto3.session.Session(
            profile_name=profile, region_name=region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        )
        self._config = Config(retries={"mode": "standard", "max_attempts": 5})

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Cloud:
        return cls(args.endpoint_url, args.profile, args.region, args.stack_name)

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.endpoint_url, config=self._config)

    @cached_property
    def outputs(self) -> dict[str, str]:
        cloudformation = self.client("cloudformation")
        try:
            stacks = cloudformation.describe_stacks(StackName=self.stack_name)["Stacks"]
        except Exception as exc:  # botocore raises ClientError or EndpointConnectionError
            where = self.endpoint_url or "AWS"
            raise CommandError(
                f"cannot read stack '{self.stack_name}' at {where}: {exc}. "
                "Is the embedded cloud running ('imgfan local up'), or is the stack deployed?"
            ) from None
        return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}

    def output(self, name: str) -> str:
        try:
            return self.outputs[name]
        except KeyError:
            raise CommandError(f"stack '{self.stack_name}' has no output '{name}'") from None
