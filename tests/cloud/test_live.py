"""imgfan.live against a bare moto server: what is missing arrives as a type, never as text.

The CLI turns these into one line each; here the types themselves and their fields are checked,
and AWS's own failures must come through as botocore's exceptions, with a note of what was done.
"""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from imgfan.aws import Cloud
from imgfan.cli import main
from imgfan.live import (
    InvalidLivePresets,
    MissingOutput,
    NoExecution,
    NoManifest,
    NoPresetsParameter,
    Stack,
    StackNotFound,
    UnreadableManifest,
    describe_execution,
    read_live_config,
    read_manifest,
    read_presets,
    write_presets,
)
from imgfan_core.presets import parse_presets, presets_hash

pytestmark = pytest.mark.cloud


@pytest.fixture
def suffix() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def clients(moto_endpoint) -> Cloud:
    """The CLI's own clients, pointed at the bare server."""
    return Cloud(endpoint_url=moto_endpoint)


def test_a_stack_that_does_not_exist_is_stack_not_found(clients, moto_endpoint):
    stack = Stack(clients, "NoSuchStack")
    with pytest.raises(StackNotFound) as raised:
        stack.output("QueueUrl")
    assert (raised.value.stack_name, raised.value.where) == ("NoSuchStack", moto_endpoint)
    assert isinstance(raised.value.cause, ClientError)
    assert raised.value.cause.response["Error"]["Code"] == "ValidationError"


def test_an_output_the_stack_lacks_is_missing_output_and_a_present_one_is_read(clients, aws, suffix):
    name = f"Partial{suffix}"
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {"OutputBucketName": {"Value": f"out-{suffix}"}}}
    aws("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))
    stack = Stack(clients, name)
    assert stack.output("OutputBucketName") == f"out-{suffix}"
    with pytest.raises(MissingOutput) as raised:
        stack.output("QueueUrl")
    assert (raised.value.stack_name, raised.value.output) == (name, "QueueUrl")


def test_a_parameter_never_pushed_is_no_presets_parameter(clients, suffix):
    parameter = f"/imgfan/{suffix}/presets"
    with pytest.raises(NoPresetsParameter) as raised:
        read_presets(clients.client("ssm"), parameter)
    assert raised.value.parameter == parameter
    assert read_live_config(clients.client("ssm"), parameter) is None


def test_written_presets_read_back_and_a_broken_value_is_invalid_live_presets(
    clients, aws, suffix, repo_presets
):
    parameter = f"/imgfan/{suffix}/presets"
    ssm = clients.client("ssm")
    assert write_presets(ssm, parameter, repo_presets) == 1
    live = read_presets(ssm, parameter)
    assert (live.parameter, live.version) == (parameter, 1)
    assert presets_hash(live.config) == presets_hash(parse_presets(json.dumps(repo_presets)))

    aws("ssm").put_parameter(Name=parameter, Value='{"presets": "oops"}', Type="String", Overwrite=True)
    with pytest.raises(InvalidLivePresets) as raised:
        _ = read_presets(ssm, parameter).config
    assert raised.value.parameter == parameter and "presets" in raised.value.problems


def test_no_manifest_yet_is_no_manifest_and_a_stored_one_is_read(clients, aws, suffix):
    bucket = f"out-{suffix}"
    aws("s3").create_bucket(Bucket=bucket)
    s3 = clients.client("s3")
    with pytest.raises(NoManifest) as raised:
        read_manifest(s3, bucket, "v/", "photos/a b.jpg")
    assert (raised.value.bucket, raised.value.key) == (bucket, "v/photos/a b.jpg/manifest.json")

    aws("s3").put_object(Bucket=bucket, Key="v/photos/a b.jpg/manifest.json", Body=b'{"status": "complete"}')
    stored = read_manifest(s3, bucket, "v/", "photos/a b.jpg")
    assert stored.document == {"status": "complete"}
    assert stored.url == f"s3://{bucket}/v/photos/a b.jpg/manifest.json"

    aws("s3").put_object(Bucket=bucket, Key="broken.jpg/manifest.json", Body=b"{trunc")
    with pytest.raises(UnreadableManifest):
        read_manifest(s3, bucket, "", "broken.jpg")


def test_aws_failures_stay_botocores_with_a_note_of_what_was_done(clients, suffix):
    bucket = f"missing-{suffix}"
    s3 = clients.client("s3")
    with pytest.raises(s3.exceptions.NoSuchBucket) as raised:
        read_manifest(s3, bucket, "", "a.jpg")
    assert raised.value.response["Error"]["Code"] == "NoSuchBucket"
    assert raised.value.__notes__ == [f"reading s3://{bucket}/a.jpg/manifest.json"]


def test_an_unknown_execution_is_no_execution(clients, aws, suffix):
    machine = aws("stepfunctions").create_state_machine(
        name=f"sm-{suffix}", roleArn="arn:aws:iam::123456789012:role/sm",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
    )["stateMachineArn"]
    arn = machine.replace(":stateMachine:", ":execution:") + ":never-ran"
    with pytest.raises(NoExecution) as raised:
        describe_execution(clients.client("stepfunctions"), arn)
    assert (raised.value.arn, raised.value.name) == (arn, "never-ran")


# ---- how the CLI prints them ------------------------------------------------------------------


def test_the_cli_prints_a_botocore_failure_as_one_line_naming_the_call(moto_endpoint, suffix, capsys):
    bucket = f"missing-{suffix}"
    code = main(["manifest", "get", "a.jpg", "--endpoint-url", moto_endpoint, "--bucket", bucket,
                 "--prefix", ""])
    assert code == 1
    assert capsys.readouterr().err == (
        f"imgfan manifest: reading s3://{bucket}/a.jpg/manifest.json: NoSuchBucket: "
        "The specified bucket does not exist\n"
    )


def test_the_cli_prints_a_live_state_error_as_its_message(moto_endpoint, suffix, capsys):
    parameter = f"/imgfan/{suffix}/presets"
    code = main(["backfill", "--endpoint-url", moto_endpoint, "--parameter-name", parameter])
    assert code == 1
    assert capsys.readouterr().err == (
        f"imgfan backfill: parameter {parameter} does not exist; run 'imgfan presets push' first\n"
    )
