"""Clients for whichever cloud the user points at: the embedded one or a real AWS account.

Every command that touches AWS honours ``--endpoint-url`` / ``AWS_ENDPOINT_URL`` and the usual
profile and region settings, so the same commands work locally and on AWS.

AWS failures stay botocore's own exceptions all the way up to the CLI, so code in between can
still tell them apart by type and error code. ``attempting`` only adds a note (PEP 678) naming
what was being done; the CLI prints that note in front of the error.

At the top of ``imgfan`` because it is below every package that talks to AWS: ``live``,
``backfill``, the commands and ``cli`` all use it, and it uses none of them.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from imgfan_core.stack_names import STACK_NAME, Output


def add_cloud_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="AWS endpoint, e.g. http://127.0.0.1:4566 for the embedded cloud (default: $AWS_ENDPOINT_URL)",
    )
    parser.add_argument("--profile", default=None, help="AWS profile name")
    parser.add_argument("--region", default=None, help="AWS region")
    parser.add_argument(
        "--stack-name", default=STACK_NAME, help=f"CloudFormation stack (default {STACK_NAME})"
    )


def add_presets_parameter_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--parameter-name",
        help=f"SSM parameter holding the live presets (default: stack output {Output.PRESETS_PARAMETER})",
    )


# What `imgfan local env` exports; the embedded cloud accepts any keys.
LOCAL_EXPORTS = "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test (or: eval \"$(imgfan local env)\")"


class SetupError(Exception):
    """The AWS settings cannot work as given; the message says what to change."""


def check_endpoint(endpoint_url: str | None) -> None:
    if endpoint_url and not endpoint_url.startswith(("http://", "https://")):
        raise SetupError(
            f"endpoint {endpoint_url!r} (--endpoint-url or AWS_ENDPOINT_URL) has no scheme: "
            f"use http://{endpoint_url}"
        )


class Cloud:
    """boto3 clients for one endpoint, profile and region (one client per service, reused)."""

    def __init__(
        self, endpoint_url: str | None = None, profile: str | None = None, region: str | None = None
    ):
        check_endpoint(endpoint_url)
        self.endpoint_url = endpoint_url
        try:
            self.session = boto3.session.Session(
                profile_name=profile, region_name=region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
            )
        except ProfileNotFound as exc:
            raise SetupError(f"{exc}: 'aws configure list-profiles' shows the ones there are") from None
        self._config = Config(retries={"mode": "standard", "max_attempts": 5})
        self._clients: dict[str, object] = {}

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Cloud:
        return cls(args.endpoint_url, args.profile, args.region)

    @property
    def region(self) -> str:
        return self.session.region_name

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service, endpoint_url=self.endpoint_url, config=self._config
            )
        return self._clients[service]


@contextmanager
def attempting(what: str) -> Iterator[None]:
    """Name the call on a botocore failure (``reading parameter /x``), re-raising it unchanged."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        exc.add_note(what)
        raise


def explain_setup_error(exc: Exception, endpoint_url: str | None) -> str | None:
    """One line for an AWS set-up mistake (credentials, endpoint, region); None for anything else."""
    if isinstance(exc, SetupError):
        return str(exc)
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        if endpoint_url:
            return f"no AWS credentials for {endpoint_url}; for the embedded cloud, {LOCAL_EXPORTS}"
        return ("no AWS credentials: configure a profile ('aws configure', AWS_PROFILE) "
                "or export AWS_ACCESS_KEY_ID")
    if isinstance(exc, EndpointConnectionError):
        url = exc.kwargs.get("endpoint_url", endpoint_url)
        return f"cannot connect to {url}: is the embedded cloud running ('imgfan local up'), or is the endpoint right?"
    if isinstance(exc, NoRegionError):
        return "no AWS region: pass --region or export AWS_DEFAULT_REGION"
    return None

