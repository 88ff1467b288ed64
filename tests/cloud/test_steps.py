"""Each deployed function at its edges, invoked through the embedded cloud's Lambda API, and the
retry rules seen in a real execution history."""

from __future__ import annotations

import json
import time
import uuid
from importlib import resources
from pathlib import Path

import pytest

from imgfan.live.timeline import readable_cause
from imgfan_core.contract import ExecutionInput, OutputSettings, SourceRef, StepSettings
from imgfan_core.engine.models import RenderSpec
from tests.sqs_events import s3_notification, sqs_record
from tests.waits import wait_for

pytestmark = pytest.mark.cloud

PHOTO = (Path(str(resources.files("imgfan") / "samples")) / "nikon-with-gps.jpg").read_bytes()


def function_name(pipeline, logical_name: str) -> str:
    [name] = [f["FunctionName"] for f in pipeline.cloud.client("lambda").list_functions()["Functions"]
              if f["FunctionName"].startswith(f"Imgfan-{logical_name}")]
    return name


def invoke(pipeline, logical_name: str, event: dict) -> tuple[dict, str | None]:
    response = pipeline.cloud.client("lambda").invoke(
        FunctionName=function_name(pipeline, logical_name), Payload=json.dumps(event).encode())
    return json.loads(response["Payload"].read() or b"null"), response.get("FunctionError")


def notification(bucket: str, key: str) -> str:
    return s3_notification(bucket, key, size=len(PHOTO), eTag=uuid.uuid4().hex, sequencer="01")


def test_a_malformed_message_fails_alone_and_the_good_one_is_handed_over(pipeline):
    key = f"steps/batch-{uuid.uuid4().hex[:8]}.jpg"
    pipeline.s3.put_object(Bucket=pipeline.source_bucket, Key=f"{key}.staged", Body=PHOTO)
    good, malformed = sqs_record(notification(pipeline.source_bucket, key)), sqs_record("this is not json")
    response, error = invoke(pipeline, "Dispatcher", {"Records": [good, malformed]})
    assert error is None, response
    assert response == {"batchItemFailures": [{"itemIdentifier": malformed["messageId"]}]}
    started = [e for e in pipeline.executions() if e["name"].startswith(f"render-{key.rsplit('/', 1)[1]}-")]
    assert len(started) == 1


def test_invalid_presets_in_the_parameter_fail_the_batch_so_nothing_is_lost(pipeline):
    name = pipeline.outputs["PresetsParameterName"]
    good = pipeline.ssm.get_parameter(Name=name)["Parameter"]["Value"]
    pipeline.ssm.put_parameter(Name=name, Value='{"presets": [{"name": "Bad Name", "width": 1}]}',
                               Type="String", Overwrite=True)
    try:
        time.sleep(1.5)  # the test stack caches presets for 1 s
        record = sqs_record(notification(pipeline.source_bucket, "steps/never.jpg"))
        response, error = invoke(pipeline, "Dispatcher", {"Records": [record]})
    finally:
        pipeline.ssm.put_parameter(Name=name, Value=good, Type="String", Overwrite=True)
        time.sleep(1.5)
    # Every record failed: the whole batch returns to the queue (and to the DLQ after 5 receives).
    assert error is not None  # moto reports every function error as "Handled"
    assert response["errorType"] == "BatchProcessingError"
    assert not [e for e in pipeline.executions() if e["name"].startswith("render-never.jpg-")]


def test_a_permanent_error_gets_exactly_one_attempt_and_fails_the_execution_after_the_manifest(pipeline):
    key = f"steps/text-{uuid.uuid4().hex[:8]}.jpg"
    pipeline.upload(key, b"plain text, not an image\n" * 10)
    manifest = pipeline.manifest(key)
    assert manifest["error"]["type"] == "NotAnImage"
    arn = manifest["execution"]["arn"]
    described = pipeline.wait_for_execution(arn)
    # The console, `executions list --status FAILED` and the alarms see a bad upload as failed.
    assert described["status"] == "FAILED"
    # Finalize raised ImageFailed after the manifest: its message carries the manifest's error.
    assert described["error"] == "ImageFailed"
    assert readable_cause(described["cause"]) == f"NotAnImage: {manifest['error']['message']}"
    history = pipeline.stepfunctions.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    scheduled = [e for e in history if e["type"] in ("TaskScheduled", "LambdaFunctionScheduled")]
    # Analyze once (no retry), no Map iteration at all, then Finalize once.
    assert len(scheduled) == 2
    assert not [e for e in history if e["type"] == "MapIterationStarted"]
    # Three billed transitions: the Fail state is entered straight from Finalize's Catch.
    assert entered_states(history) == ["Analyze", "Finalize", "ImageFailed"]


def entered_states(history: list[dict]) -> list[str]:
    """The states entered, in order: what Standard bills, one transition each (retries too)."""
    return [e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")]


def test_a_good_upload_enters_only_its_work_and_a_delete_one_state(pipeline, repo_presets):
    key = f"steps/billed-{uuid.uuid4().hex[:8]}.jpg"
    pipeline.upload(key, PHOTO)
    manifest = pipeline.manifest(key)
    assert manifest["status"] == "complete"
    render = pipeline.wait_for_execution(manifest["execution"]["arn"])
    assert render["status"] == "SUCCEEDED"
    history = pipeline.stepfunctions.get_execution_history(executionArn=render["executionArn"], maxResults=1000)
    presets = len(repo_presets["presets"])
    assert entered_states(history["events"]) == ["Analyze", "RenderVariants"] + ["Resize"] * presets + ["Finalize"]
    pipeline.s3.delete_object(Bucket=pipeline.source_bucket, Key=key)
    [delete] = wait_for("the delete's execution", lambda: [
        e for e in pipeline.executions() if e["name"].startswith(f"delete-{key.rsplit('/', 1)[1]}-")])
    assert delete["stateMachineArn"] == pipeline.outputs["DeleteStateMachineArn"]
    assert pipeline.wait_for_execution(delete["executionArn"])["status"] == "SUCCEEDED"
    history = pipeline.stepfunctions.get_execution_history(executionArn=delete["executionArn"], maxResults=1000)
    assert entered_states(history["events"]) == ["DeleteOutputs"]


def test_the_finalizer_refuses_a_manifest_that_breaks_its_schema_and_writes_nothing(pipeline):
    key = f"steps/invalid-{uuid.uuid4().hex[:8]}.jpg"
    state = ExecutionInput(
        "render", SourceRef(pipeline.source_bucket, key), StepSettings(OutputSettings(pipeline.output_bucket)),
        (RenderSpec("thumb", 10),), presets_hash="not-a-hash",
    ).to_dict() | {"analysis_error": {"Error": "NotAnImage", "Cause": "x"}}
    response, error = invoke(pipeline, "Finalizer", {"state": state, "execution": {"name": "n"}})
    assert error is not None and response["errorType"] == "InvalidManifest"
    assert "presets_hash" in response["errorMessage"]
    listed = pipeline.s3.list_objects_v2(Bucket=pipeline.output_bucket, Prefix=f"{key}/")
    assert listed.get("KeyCount", 0) == 0


def test_the_cleaner_removes_more_outputs_than_one_delete_request_takes(pipeline):
    key = f"steps/many-{uuid.uuid4().hex[:8]}.jpg"
    folder = f"{key}/"
    for index in range(1005):
        pipeline.s3.put_object(Bucket=pipeline.output_bucket, Key=f"{folder}v{index:04d}.webp", Body=b"x")
    pipeline.s3.put_object(Bucket=pipeline.output_bucket, Key=f"{folder}nested/keep.webp", Body=b"x")
    request = ExecutionInput("delete", SourceRef(pipeline.source_bucket, key),
                             StepSettings(OutputSettings(pipeline.output_bucket)), (), "0123456789abcdef")
    response, error = invoke(pipeline, "Cleaner", request.to_dict())
    assert error is None, response
    assert response == {"deleted": 1005, "folder": folder}
    left = [o["Key"] for o in pipeline.s3.list_objects_v2(Bucket=pipeline.output_bucket, Prefix=folder)["Contents"]]
    assert left == [f"{folder}nested/keep.webp"]
