"""A throttle that outlasts quick retries loses no image (docs/how-it-works.md, "Long throttles and outages").

On AWS a burst meets the account's Lambda concurrency and Invoke answers 429 for as long as the
backlog lasts. The state machine waits such errors out with capped, jittered backoff; the test
stack caps one wait at 3 s (``TEST_STACK_CONTEXT``) so that an image recovers within seconds of
the throttle ending, where the default cap is 300 s.
"""

from __future__ import annotations

import json
import time

import pytest

from imgfan.local.faults import FaultPlan
from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.cloud, pytest.mark.long]

SAMPLES = sorted((REPO_ROOT / "src" / "imgfan" / "samples").glob("*.jp*g"))
GOOD_PHOTOS = 8


def throttle_failures(pipeline, execution_arn: str) -> int:
    events = pipeline.stepfunctions.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return sum(1 for event in events if event["type"] == "TaskFailed"
               and event["taskFailedEventDetails"].get("error") == "Lambda.TooManyRequestsException")


def executions_by_key(pipeline, keys: list[str]) -> dict[str, str]:
    found = {}
    for execution in pipeline.executions():
        described = pipeline.stepfunctions.describe_execution(executionArn=execution["executionArn"])
        key = json.loads(described["input"])["source"]["key"]
        if key in keys:
            found[key] = execution["executionArn"]
    return found


def manifest_or_none(pipeline, key: str) -> dict | None:
    try:
        return json.loads(pipeline.s3.get_object(Bucket=pipeline.output_bucket, Key=f"{key}/manifest.json")["Body"].read())
    except pipeline.s3.exceptions.NoSuchKey:
        return None


@pytest.mark.parametrize("seconds", [45, 180])
def test_good_photos_throttled_longer_than_quick_retries_all_end_complete(cloud, pipeline, seconds):
    keys = [f"long-throttle-{seconds}/{i}-{SAMPLES[i % len(SAMPLES)].name}" for i in range(GOOD_PHOTOS)]
    cloud.faults.set_plan(FaultPlan.parse("throttle-lambda=1,functions=Resizer"))
    try:
        for i, key in enumerate(keys):
            pipeline.upload(key, SAMPLES[i % len(SAMPLES)].read_bytes())
        time.sleep(seconds)
        # While the throttle lasts, every image is still being retried: no manifest says failed.
        assert [manifest_or_none(pipeline, key) for key in keys] == [None] * GOOD_PHOTOS
        running = executions_by_key(pipeline, keys)
        assert sorted(running) == sorted(keys)
        statuses = {pipeline.stepfunctions.describe_execution(executionArn=arn)["status"] for arn in running.values()}
        assert statuses == {"RUNNING"}
    finally:
        cloud.faults.set_plan(FaultPlan())
    manifests = [pipeline.manifest(key, timeout=120) for key in keys]
    assert [m["status"] for m in manifests] == ["complete"] * GOOD_PHOTOS
    for key, arn in running.items():
        assert pipeline.wait_for_execution(arn)["status"] == "SUCCEEDED"
        # Far more throttled attempts than the three quick retries that used to end in `failed`.
        assert throttle_failures(pipeline, arn) > 3, key
