"""The deployed stack: its outputs, read once from CloudFormation when first needed."""

from __future__ import annotations

import argparse
import re
from functools import cached_property
from typing import Any, Protocol

from botocore.exceptions import ClientError

from imgfan.aws import Cloud
from imgfan.live.console_address import about_console
from imgfan.live.errors import MissingOutput, StackNotFound
from imgfan.live.executions import StateMachines
from imgfan_core.presets import PresetsConfig
from imgfan_core.stack_names import STACK_NAME, Output, construct_outputs

# CDK's logical ids are the construct path and a hash (imgfan/cdk/construct.py: "Dispatcher"; an
# app's ImageVariants with id "Images" gives "ImagesDispatcher…").
DISPATCHER_LOGICAL_ID = re.compile(r"[A-Za-z0-9]*Dispatcher[0-9A-F]{8}")


class Clients(Protocol):
    """``imgfan.aws.Cloud`` or the embedded cloud: anything that hands out boto3 clients."""

    endpoint_url: str | None
    region: str

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
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ValidationError":
                raise
            raise StackNotFound(self.name, self.cloud.endpoint_url or "AWS", exc, self._region_hint()) from exc
        return construct_outputs({o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])})

    def _region_hint(self) -> str | None:
        """The embedded cloud runs in one region; name it when the CLI asked another."""
        about = about_console(self.cloud.endpoint_url)
        region = about.get("region") if about else None
        if not region or region == self.cloud.region:
            return None
        return (f"The embedded cloud at {self.cloud.endpoint_url} runs in region {region}: "
                f"export AWS_DEFAULT_REGION={region} (or pass --region {region})")

    def output(self, name: str) -> str:
        try:
            return self.outputs[name]
        except KeyError:
            raise MissingOutput(self.name, name) from None

    def state_machines(self) -> StateMachines:
        """Renders and deletes; a stack deployed before deletes had their own lists only one."""
        return StateMachines(self.output(Output.STATE_MACHINE_ARN), self.outputs.get(Output.DELETE_STATE_MACHINE_ARN))

    def presets_parameter(self, override: str | None = None) -> str:
        return override or self.output(Output.PRESETS_PARAMETER)

    def output_bucket_for(self, config: PresetsConfig | None) -> str:
        """Where the pipeline writes under ``config``: its output.bucket, else the stack's bucket.

        The dispatcher resolves it the same way when it builds an execution's settings.
        """
        return (config.output.bucket if config else None) or self.output(Output.OUTPUT_BUCKET)

    def output_location(self, config: PresetsConfig | None) -> tuple[str, str]:
        """(bucket, prefix) of the variants and manifests the pipeline writes under ``config``."""
        return self.output_bucket_for(config), (config.output.prefix if config else "")

    def dispatcher_environment(self) -> dict[str, str]:
        """The dispatcher function's environment variables ({} when they cannot be read)."""
        try:
            resources = self.client("cloudformation").get_paginator("list_stack_resources")
            for page in resources.paginate(StackName=self.name):
                for resource in page["StackResourceSummaries"]:
                    if (resource["ResourceType"] == "AWS::Lambda::Function"
                            and DISPATCHER_LOGICAL_ID.fullmatch(resource["LogicalResourceId"])):
                        configuration = self.client("lambda").get_function_configuration(
                            FunctionName=resource["PhysicalResourceId"])
                        return configuration.get("Environment", {}).get("Variables", {})
        except ClientError:
            pass
        return {}

    def presets_cache_seconds(self) -> int | None:
        """How long a warm dispatcher keeps the presets it read (the stack's presetsCacheSeconds)."""
        value = self.dispatcher_environment().get("PRESETS_CACHE_SECONDS")
        return int(value) if value and value.isdigit() else None

