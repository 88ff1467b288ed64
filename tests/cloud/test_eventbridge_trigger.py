"""trigger="eventbridge" end to end: S3 sends the existing bucket's events to EventBridge (as
AWS does: imgfan.local.moto.s3_notifications.send_s3_eventbridge_events_as_aws_does), a rule forwards
this source's into the queue, and uploads, re-uploads and deletes behave as with notifications."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import boto3
import pytest
from local_up import denied_calls, local_up

from imgfan.local.cloud import free_port
from imgfan_core.stack_names import construct_outputs

pytestmark = pytest.mark.cloud

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "tests" / "fixtures" / "apps" / "eventbridge_app.py"
PHOTO = (REPO / "src" / "imgfan" / "samples" / "nikon-with-gps.jpg").read_bytes()
BUCKET = "app-uploads"


class LocalCloud:
    def __init__(self, endpoint_url: str):
        self.endpoint_url, self.region = endpoint_url, "us-east-1"

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region,
                            aws_access_key_id="test", aws_secret_access_key="test")


@pytest.fixture(scope="module")
def pipeline():
    port = free_port()
    command = [sys.executable, "-m", "imgfan.cli", "local", "up", "--port", str(port), "--app",
               f"{sys.executable} {APP}", "--stack-name", "EventBridgeApp", "--bucket", BUCKET]
    # Started as a script starts it in the background (Ctrl-C cannot reach it), so stopped by `kill`.
    with local_up(command, cwd=REPO, env=dict(os.environ), background=True) as started:
        assert f"export IMGFAN_SOURCE_BUCKET={BUCKET}\n" in started.text, started.text
        assert started.lines[-1].startswith(f"Stop it with: kill {started.process.pid};"), started.lines[-1]
        cloud = LocalCloud(f"http://127.0.0.1:{port}")
        stack = cloud.client("cloudformation").describe_stacks(StackName="EventBridgeApp")["Stacks"][0]
        yield cloud, construct_outputs({o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]})
        # This cloud is not the suite's: its IAM audit is read here (docs/deploy/iam.md).
        assert denied_calls(cloud.endpoint_url) == []
    # SIGTERM stopped it as Ctrl-C does: the cloud and its workers shut down, exit status 0.
    assert started.process.returncode == 0
    assert started.lines[-1].endswith("] stopping\n"), started.lines[-1]


def _s3(cloud):
    return cloud.client("s3")


def _manifest(cloud, outputs, key: str, unless_execution: str | None = None, timeout: float = 120) -> dict:
    s3, deadline = _s3(cloud), time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            body = s3.get_object(Bucket=outputs["OutputBucketName"], Key=f"{key}/manifest.json")["Body"].read()
            manifest = json.loads(body)
            if manifest["execution"]["name"] != unless_execution:
                return manifest
        except s3.exceptions.NoSuchKey:
            pass
        time.sleep(0.3)
    raise AssertionError(f"no (new) manifest for {key} within {timeout} s")


def test_the_rule_is_deployed_and_the_bucket_gets_no_queue_notification(pipeline):
    cloud, outputs = pipeline
    # moto's GetBucketNotificationConfiguration leaves EventBridgeConfiguration out even when it
    # is on; the uploads below show it is.
    configuration = cloud.client("s3").get_bucket_notification_configuration(Bucket=BUCKET)
    assert "QueueConfigurations" not in configuration  # the app's notifications stay the app's
    rule, = cloud.client("events").list_rules()["Rules"]
    assert json.loads(rule["EventPattern"])["detail"]["bucket"]["name"] == [BUCKET]
    assert set(outputs) >= {"QueueUrl", "OutputBucketName", "StateMachineArn"}


def test_uploads_render_and_an_identical_reupload_renders_again(pipeline):
    cloud, outputs = pipeline
    s3 = _s3(cloud)
    s3.put_object(Bucket=BUCKET, Key="photos/a b.jpg", Body=PHOTO)
    first = _manifest(cloud, outputs, "photos/a b.jpg")
    assert first["status"] == "complete"
    assert [v["preset"] for v in first["variants"]] == ["thumb", "card"]
    # The same bytes again are a new event (a new sequencer), so a new execution, as on AWS.
    s3.put_object(Bucket=BUCKET, Key="photos/a b.jpg", Body=PHOTO)
    second = _manifest(cloud, outputs, "photos/a b.jpg", unless_execution=first["execution"]["name"])
    assert second["status"] == "complete"


def test_keys_outside_the_source_prefix_start_nothing(pipeline):
    cloud, outputs = pipeline
    s3 = _s3(cloud)
    s3.put_object(Bucket=BUCKET, Key="elsewhere/b.jpg", Body=PHOTO)
    s3.put_object(Bucket=BUCKET, Key="photos/marker.jpg", Body=PHOTO)
    _manifest(cloud, outputs, "photos/marker.jpg")  # later than elsewhere/b.jpg's event
    assert "Contents" not in s3.list_objects_v2(Bucket=outputs["OutputBucketName"], Prefix="elsewhere/")


def test_a_delete_through_eventbridge_removes_the_outputs(pipeline):
    cloud, outputs = pipeline
    s3 = _s3(cloud)
    s3.put_object(Bucket=BUCKET, Key="photos/gone.jpg", Body=PHOTO)
    _manifest(cloud, outputs, "photos/gone.jpg")
    s3.delete_object(Bucket=BUCKET, Key="photos/gone.jpg")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if "Contents" not in s3.list_objects_v2(Bucket=outputs["OutputBucketName"], Prefix="photos/gone.jpg/"):
            break
        time.sleep(0.3)
    assert "Contents" not in s3.list_objects_v2(Bucket=outputs["OutputBucketName"], Prefix="photos/gone.jpg/")
