"""The deployed stack: its outputs, read once from CloudFormation when first needed."""

from __future__ import annotations

import argparse
from functools import cached_property
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from imgfan.aws import Cloud
from imgfan.live.errors import MissingOutput, StackNotFound
from imgfan_core.presets import PresetsConfig
from imgfan_core.stack_names import STACK_NAME, Output


class Clients(Protocol):
    """``imgfan.aws.Cloud`` or the embedded cloud: anything that hands out boto3 clients."""

    endpoint_url: str | None

    def client(self, service: str) -> Any: ...


class Stack:
    def __init__(self, cloud: Clients, name: str = STACK_NAME):
        self.cloud = cloud
        self.name = name

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Stack:
        """The stack the options of ``imgfan.aws.add_cloud_arguments`` point at."""
        return cls(Cloud.from_args(args), args.stack_name)

    def client(self, service: str) -> Any:
        return self.cloud.client(service)

    @cached_property
    def outputs(self) -> dict[str, str]:
        try:
            stacks = self.client("cloudformation").describe_stacks(StackName=self.name)["Stacks"]
        except (ClientError, BotoCoreError) as exc:
            raise StackNotFound(self.name, self.cloud.endpoint_url or "AWS", exc) from exc
        return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}

    def output(self, name: str) -> str:
        try:
            return self.outputs[name]
        except KeyError:
            raise MissingOutput(self.name, name) from None

    def presets_parameter(self, override: str | None = None) -> str:
        return override or self.output(Output.PRESETS_PARAMETER)

    def output_bucket_for(self, config: PresetsConfig | None) -> str:
        """Where the pipeline writes under ``config``: its output.bucket, else the stack's bucket.

        The dispatcher resolves it the same way when it builds an execution's settings.
        """
        return (config.output.bucket if config else None) or self.output(Output.OUTPUT_BUCKET)
