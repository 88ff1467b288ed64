"""The IAM audit in the running embedded cloud: a call signed with a function's own credentials
that its deployed role does not allow is recorded (and, when enforcing, refused as AWS would)."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from imgfan.local.lambda_runtime import short_name

pytestmark = pytest.mark.cloud


def signed_as(cloud, function: str, service: str):
    """A client that signs with the sandbox credentials of the stack's ``function`` (e.g. "Dispatcher")."""
    functions = cloud.client("lambda").list_functions()["Functions"]
    arn = next(f["FunctionArn"] for f in functions if short_name(f["FunctionName"]) == function)
    return boto3.client(service, endpoint_url=cloud.endpoint_url, region_name=cloud.region,
                        aws_access_key_id=cloud.runtime.access_key_for(arn), aws_secret_access_key="local",
                        aws_session_token="local", config=Config(retries={"total_max_attempts": 1})), arn


def test_a_call_the_role_does_not_allow_is_recorded_naming_function_action_and_resource(pipeline, iam_denials):
    pipeline.upload("iam-audit/probe.txt", b"not for the dispatcher")
    dispatcher, arn = signed_as(pipeline.cloud, "Dispatcher", "s3")
    resizer, _ = signed_as(pipeline.cloud, "Resizer", "s3")
    iam_denials.take()

    resizer.get_object(Bucket=pipeline.source_bucket, Key="iam-audit/probe.txt")
    assert iam_denials.take() == [], "the resizer may read sources"
    # Not changed by default: the audit is an oracle, moto still answers.
    assert dispatcher.get_object(Bucket=pipeline.source_bucket, Key="iam-audit/probe.txt")["Body"].read()
    denials = iam_denials.take()
    assert [(d.function, d.action, d.resource) for d in denials] == [
        (arn.rsplit(":", 1)[-1], "s3:GetObject", f"arn:aws:s3:::{pipeline.source_bucket}/iam-audit/probe.txt")]
    with urllib.request.urlopen(f"{pipeline.cloud.endpoint_url}/_imgfan/faults", timeout=30) as response:
        reported = json.loads(response.read())["denied"]
    assert {"function": denials[0].function, "action": "s3:GetObject", "resource": denials[0].resource} in [
        {k: d[k] for k in ("function", "action", "resource")} for d in reported]


def test_when_enforcing_a_denied_call_is_answered_access_denied(pipeline, iam_denials):
    cleaner, _ = signed_as(pipeline.cloud, "Cleaner", "s3")
    pipeline.cloud.iam_audit.enforce = True
    try:
        with pytest.raises(ClientError) as raised:
            cleaner.put_object(Bucket=pipeline.output_bucket, Key="iam-audit/forged.json", Body=b"{}")
    finally:
        pipeline.cloud.iam_audit.enforce = False
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert [d.action for d in iam_denials.take()] == ["s3:PutObject"]
    with pytest.raises(ClientError) as missing:
        pipeline.s3.head_object(Bucket=pipeline.output_bucket, Key="iam-audit/forged.json")
    assert missing.value.response["Error"]["Code"] == "404", "a refused write must not reach moto"
