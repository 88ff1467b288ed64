"""Everything imgfan changes in or reads from moto's internals: the whole surface of a moto upgrade.

One module per thing adapted, named after it: ``cloudformation`` (moto's CloudFormation where
the stack needs AWS's behaviour), ``iam`` (roles and statement matching, for the IAM audit),
``lambda_invoke`` (Lambda Invoke answered by the local runtime), ``s3_notifications`` (the S3
events AWS sends), ``server`` (moto's HTTP server behind imgfan's middleware),
``speedups`` (work moto repeated for nothing), ``sqs_lambda_trigger`` (moto's own SQS -> Lambda
trigger, off) and ``stepfunctions_lambda`` (Lambda tasks invoked in-process). Each has an
``assert_hooks_present()``; :func:`assert_hooks_present` runs them all, and
tests/local/test_moto_hooks.py has one section per module.

Importing this package does not import moto: the embedded cloud sets ``MOTO_PORT`` first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imgfan.local.faults import FaultInjector
    from imgfan.local.lambda_runtime import LocalLambdaRuntime

__all__ = [
    "apply_all",
    "assert_hooks_present",
    "cloudformation",
    "iam",
    "lambda_invoke",
    "s3_notifications",
    "server",
    "speedups",
    "sqs_lambda_trigger",
    "stepfunctions_lambda",
]


def assert_hooks_present() -> None:
    """Fail loudly if a moto upgrade removed a point that the embedded cloud patches or reads."""
    from imgfan.local.moto import (
        cloudformation,
        iam,
        lambda_invoke,
        s3_notifications,
        server,
        speedups,
        sqs_lambda_trigger,
        stepfunctions_lambda,
    )

    for module in (sqs_lambda_trigger, s3_notifications, cloudformation, lambda_invoke, stepfunctions_lambda,
                   speedups, iam, server):
        module.assert_hooks_present()


def apply_all(server_host: str, faults: FaultInjector, runtime: LocalLambdaRuntime) -> None:
    """Every moto patch the embedded cloud needs; Lambda invocations go to ``runtime``."""
    from imgfan.local.moto import (
        cloudformation,
        lambda_invoke,
        s3_notifications,
        speedups,
        sqs_lambda_trigger,
        stepfunctions_lambda,
    )

    assert_hooks_present()
    sqs_lambda_trigger.apply()
    s3_notifications.apply()
    cloudformation.apply(server_host)
    speedups.apply()
    stepfunctions_lambda.install(faults)
    lambda_invoke.install(runtime)
