"""End to end on the embedded cloud: S3 → SQS → dispatcher → Step Functions → resizer → finalizer.

Everything goes through boto3 over HTTP against the stack deployed from the CDK template.
"""

from __future__ import annotations

import io
import json
import time
import urllib.request
from importlib import resources
from pathlib import Path

import pytest
from PIL import Image

from imgfan_core.keys import manifest_key
from imgfan_core.presets import parse_presets, presets_hash

pytestmark = pytest.mark.cloud

SAMPLES = Path(str(resources.files("imgfan") / "samples"))
PHOTO = (SAMPLES / "nikon-with-gps.jpg").read_bytes()


def live_presets(pipeline):
    value = pipeline.ssm.get_parameter(Name=pipeline.outputs["PresetsParameterName"])["Parameter"]["Value"]
    return parse_presets(value)


def assert_variants_match_objects(pipeline, manifest):
    for variant in manifest["variants"]:
        if variant["status"] != "ok":
            continue
        obj = pipeline.s3.get_object(Bucket=pipeline.output_bucket, Key=variant["key"])
        body = obj["Body"].read()
        assert obj["ContentType"] == variant["content_type"]
        assert len(body) == variant["bytes"]
        with Image.open(io.BytesIO(body)) as image:
            assert image.size == (variant["width"], variant["height"])
            assert Image.MIME[image.format] == variant["content_type"]


def test_upload_produces_manifest_with_every_preset(pipeline):
    pipeline.upload("e2e/nikon.jpg", PHOTO)
    manifest = pipeline.manifest("e2e/nikon.jpg")
    config = live_presets(pipeline)

    assert manifest["status"] == "complete"
    assert [v["preset"] for v in manifest["variants"]] == [p.name for p in config.presets]
    assert manifest["presets_hash"] == presets_hash(config)
    assert (manifest["source"]["width"], manifest["source"]["height"]) == Image.open(io.BytesIO(PHOTO)).size
    assert_variants_match_objects(pipeline, manifest)
    for variant in manifest["variants"]:
        head = pipeline.s3.head_object(Bucket=pipeline.output_bucket, Key=variant["key"])
        assert head["CacheControl"] == config.output.effective_cache_control
    head = pipeline.s3.head_object(Bucket=pipeline.output_bucket, Key=manifest_key("", "e2e/nikon.jpg"))
    assert head["ContentType"] == "application/json"
    assert head["CacheControl"] == "no-cache"


def test_local_manifest_urls_open_over_http(pipeline):
    key = "e2e/urls open/ünïcode.jpg"
    pipeline.upload(key, PHOTO)
    manifest = pipeline.manifest(key)
    base = f"{pipeline.cloud.endpoint_url}/{pipeline.output_bucket}/"
    for variant in manifest["variants"]:
        assert variant["url"].startswith(base)
        with urllib.request.urlopen(variant["url"], timeout=10) as response:
            body = response.read()
        stored = pipeline.s3.get_object(Bucket=pipeline.output_bucket, Key=variant["key"])["Body"].read()
        assert body == stored and len(body) == variant["bytes"]
    for srcset in manifest["srcset"].values():
        assert all(candidate.split(" ")[0].startswith(base) for candidate in srcset.split(", "))


@pytest.mark.parametrize("key", [
    "spaced out/my photo.jpg", "plus+sign/a+b.jpg", "unicode/café Ünïcødé 写真.jpg",
    # Hostile ones: S3 keys are not paths, so nothing may be normalised away.
    "../../etc/passwd.jpg", "dots/./..//double-slash.jpg", "%2F%25encoded%20already.jpg",
])
def test_awkward_and_hostile_keys_round_trip(pipeline, key):
    pipeline.upload(key, PHOTO)
    manifest = pipeline.manifest(key)
    assert manifest["source"]["key"] == key
    assert manifest["status"] == "complete"
    for variant in manifest["variants"]:
        assert variant["key"].startswith(f"{key}/")
    assert_variants_match_objects(pipeline, manifest)


def _executions_for(pipeline, key: str, revision: str) -> list[dict]:
    """Executions rendering this revision of ``key``, found by their input (not by a computed name)."""
    found = []
    for execution in pipeline.executions():
        described = pipeline.stepfunctions.describe_execution(executionArn=execution["executionArn"])
        source = json.loads(described["input"])["source"]
        if (source["key"], source.get("revision")) == (key, revision):
            found.append(described)
    return found


def test_duplicate_sqs_delivery_starts_one_execution(pipeline):
    key = "dup/duplicate-delivery.jpg"
    pipeline.upload(key, PHOTO)
    pipeline.manifest(key)
    etag = pipeline.s3.head_object(Bucket=pipeline.source_bucket, Key=key)["ETag"].strip('"')
    sequencer = "0A1B2C3D4E5F6071"
    event = {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "test"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "dup", "x-amz-id-2": "dup"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "dup",
               "bucket": {"name": pipeline.source_bucket, "ownerIdentity": {"principalId": "test"},
                          "arn": f"arn:aws:s3:::{pipeline.source_bucket}"},
               "object": {"key": "dup/duplicate-delivery.jpg", "size": len(PHOTO), "eTag": etag,
                          "sequencer": sequencer}},
    }]}

    # The same notification delivered three times, as SQS's at-least-once delivery may.
    for _ in range(3):
        pipeline.sqs.send_message(QueueUrl=pipeline.outputs["QueueUrl"], MessageBody=json.dumps(event))
        pipeline.cloud.wait_until_idle(timeout=60)

    [execution] = _executions_for(pipeline, key, f"{etag}@{sequencer}")
    assert pipeline.wait_for_execution(execution["executionArn"])["status"] == "SUCCEEDED"
    assert pipeline.queue_depth(pipeline.outputs["QueueUrl"]) == 0
    assert pipeline.queue_depth(pipeline.outputs["DeadLetterQueueUrl"]) == 0


def test_s3_test_event_is_ignored(pipeline):
    before = len(pipeline.executions())
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-01-01T00:00:00.000Z",
                  "Bucket": pipeline.source_bucket, "RequestId": "r", "HostId": "h"}
    pipeline.sqs.send_message(QueueUrl=pipeline.outputs["QueueUrl"], MessageBody=json.dumps(test_event))
    pipeline.cloud.wait_until_idle(timeout=60)

    assert len(pipeline.executions()) == before
    assert pipeline.queue_depth(pipeline.outputs["QueueUrl"]) == 0
    assert pipeline.queue_depth(pipeline.outputs["DeadLetterQueueUrl"]) == 0


def test_resizer_exception_is_retried_then_recorded_as_failed_variant(pipeline):
    """One preset the resizer cannot parse raises inside the Lambda; Retry, then Catch, then partial."""
    # A suffix outside the notification filter: only the execution started below touches it.
    source_key = "retry-staging/photo.unprocessed"
    pipeline.s3.put_object(Bucket=pipeline.source_bucket, Key=source_key, Body=PHOTO)
    config = live_presets(pipeline)
    presets = [p.model_dump(mode="json") for p in config.presets]
    broken_name = presets[1]["name"]
    presets[1]["fit"] = "not-a-fit"  # the engine raises on this inside the resizer
    execution_input = {
        "action": "render",
        "source": {"bucket": pipeline.source_bucket, "key": source_key, "version_id": None, "etag": None,
                   "bytes": len(PHOTO)},
        "settings": {"output": {"bucket": pipeline.output_bucket, "prefix": "", "cache_control": "no-store"},
                     "limits": config.limits.model_dump(mode="json"),
                     "metadata": config.metadata.model_dump(mode="json")},
        "presets": presets,
        "presets_hash": presets_hash(config),
    }
    started = pipeline.stepfunctions.start_execution(
        stateMachineArn=pipeline.outputs["StateMachineArn"], name=f"retry-test-{int(time.time())}",
        input=json.dumps(execution_input),
    )
    described = pipeline.wait_for_execution(started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    manifest = pipeline.manifest(source_key)

    assert manifest["status"] == "partial"
    failed = [v for v in manifest["variants"] if v["status"] == "failed"]
    assert [v["preset"] for v in failed] == [broken_name]
    assert failed[0]["error"]["type"] == "ValueError"
    assert failed[0]["error"]["message"] == "unknown fit 'not-a-fit'"
    assert sum(v["status"] == "ok" for v in manifest["variants"]) == len(presets) - 1

    history = pipeline.stepfunctions.get_execution_history(executionArn=started["executionArn"], maxResults=1000)
    failures = [e for e in history["events"] if e["type"] in ("TaskFailed", "LambdaFunctionFailed")]
    assert len(failures) >= 2, "the failing preset should have been attempted more than once"


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "engine"


@pytest.mark.parametrize(
    ("name", "body", "error_type"),
    [
        ("not-an-image.jpg", b"this is plain text, not a JPEG\n" * 20, "NotAnImage"),
        ("truncated.jpg", PHOTO[: len(PHOTO) // 3], "CorruptImage"),
        ("decompression-bomb.gif", (FIXTURES / "decompression_bomb.gif").read_bytes(), "ImageTooLarge"),
    ],
)
def test_bad_input_is_recorded_in_the_manifest(pipeline, name, body, error_type):
    key = f"bad/{name}"
    pipeline.upload(key, body)
    manifest = pipeline.manifest(key)
    assert manifest["status"] == "failed"
    assert {v["status"] for v in manifest["variants"]} == {"failed"}
    assert {v["error"]["type"] for v in manifest["variants"]} == {error_type}
    assert all(v["error"]["message"] for v in manifest["variants"])
    assert pipeline.queue_depth(pipeline.outputs["DeadLetterQueueUrl"]) == 0


def test_uploading_identical_bytes_again_after_a_delete_renders_again(pipeline):
    key = "reupload/same-bytes.jpg"
    pipeline.upload(key, PHOTO)
    first = pipeline.manifest(key)
    pipeline.s3.delete_object(Bucket=pipeline.source_bucket, Key=key)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = pipeline.s3.list_objects_v2(Bucket=pipeline.output_bucket, Prefix=f"{key}/").get("Contents", [])
        if not listed:
            break
        time.sleep(0.3)
    assert not listed, "the delete should have removed the outputs"

    pipeline.upload(key, PHOTO)
    second = pipeline.manifest(key)
    assert second["execution"]["name"] != first["execution"]["name"]
    assert second["status"] == "complete"


def test_deleting_the_source_removes_its_outputs(pipeline):
    key = "delete-me/photo.jpg"
    sibling = "delete-me/photo.jpg/inner.jpg"  # a key that lives "inside" the first one's output folder
    pipeline.upload(key, PHOTO)
    pipeline.upload(sibling, PHOTO)
    manifest = pipeline.manifest(key)
    pipeline.manifest(sibling)
    pipeline.s3.delete_object(Bucket=pipeline.source_bucket, Key=key)

    deadline = time.monotonic() + 60
    remaining = ["start"]
    while remaining and time.monotonic() < deadline:
        listed = pipeline.s3.list_objects_v2(Bucket=pipeline.output_bucket, Prefix=f"{key}/")
        remaining = [o["Key"] for o in listed.get("Contents", []) if "/" not in o["Key"][len(key) + 1:]]
        time.sleep(0.3)
    assert remaining == []
    assert len(manifest["variants"]) > 0
    # The sibling's outputs survive.
    pipeline.s3.head_object(Bucket=pipeline.output_bucket, Key=manifest_key("", sibling))


def test_the_stack_is_wired_to_its_two_state_machines(pipeline):
    """moto creates stack resources lazily; a race once made a second, orphaned state machine."""
    machines = [m["stateMachineArn"] for m in pipeline.stepfunctions.list_state_machines()["stateMachines"]
                if ":stateMachine:" in m["stateMachineArn"] and "Imgfan" in m["stateMachineArn"]]
    assert sorted(machines) == sorted([pipeline.outputs["StateMachineArn"], pipeline.outputs["DeleteStateMachineArn"]])
    lambda_client = pipeline.cloud.client("lambda")
    dispatcher = [f for f in lambda_client.list_functions()["Functions"] if f["FunctionName"].startswith("Imgfan-Dispatcher")]
    assert len(dispatcher) == 1
    variables = dispatcher[0]["Environment"]["Variables"]
    assert variables["STATE_MACHINE_ARN"] == pipeline.outputs["StateMachineArn"]
    assert variables["DELETE_STATE_MACHINE_ARN"] == pipeline.outputs["DeleteStateMachineArn"]
