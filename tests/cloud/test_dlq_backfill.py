"""``imgfan dlq`` and ``imgfan backfill`` against the embedded cloud, through the CLI over HTTP.

The buckets, queues and presets parameter are shared with the other cloud tests: each test uses
its own key prefix, leaves the dead-letter queue empty and restores the presets it changes.
"""

from __future__ import annotations

import hashlib
import json
import time
from importlib import resources
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from imgfan_core.keys import manifest_key
from imgfan_core.presets import parse_presets, presets_hash

SAMPLES = Path(str(resources.files("imgfan") / "samples"))
PHOTO = (SAMPLES / "nikon-with-gps.jpg").read_bytes()


def s3_event(bucket: str, key: str, etag: str, size: int, event_name: str = "ObjectCreated:Put",
             sequencer: str = "0A1B2C3D4E5F") -> str:
    return json.dumps({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.000Z", "eventName": event_name,
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "dlq-test",
               "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": quote_plus(key, safe="/"), "size": size, "eTag": etag, "sequencer": sequencer}},
    }]})


def drain(pipeline, url: str) -> list[str]:
    """Delete every message in a queue; returns their bodies."""
    bodies = []
    while True:
        messages = pipeline.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                                VisibilityTimeout=30).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            pipeline.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def live_presets_text(pipeline) -> str:
    return pipeline.ssm.get_parameter(Name=pipeline.outputs["PresetsParameterName"])["Parameter"]["Value"]


def assert_one_state_machine(pipeline) -> None:
    """The dispatcher and the CLI (stack output) must start executions on the same state machine.

    Otherwise idempotency across them cannot hold, and these tests would fail confusingly.
    """
    environment = pipeline.cloud.client("lambda").list_functions()["Functions"]
    used = {f["Environment"]["Variables"]["STATE_MACHINE_ARN"] for f in environment
            if "STATE_MACHINE_ARN" in f.get("Environment", {}).get("Variables", {})}
    assert used == {pipeline.outputs["StateMachineArn"]}, (
        f"embedded cloud bug: the dispatcher starts executions on {used}, the stack output "
        f"StateMachineArn is {pipeline.outputs['StateMachineArn']}"
    )


def execution_source(pipeline, execution: dict) -> dict:
    """The source an execution renders, from its input (not its name)."""
    return json.loads(pipeline.stepfunctions.describe_execution(executionArn=execution["executionArn"])["input"])["source"]


def executions_of(pipeline, key: str, revision: str) -> list[dict]:
    """Executions whose input renders this revision of ``key``."""
    return [execution for execution in pipeline.executions()
            if (source := execution_source(pipeline, execution))["key"] == key and source["revision"] == revision]


# ---- dlq --------------------------------------------------------------------------------------


@pytest.mark.cloud
def test_dlq_list_shows_messages_and_leaves_them_in_the_queue(pipeline, cli):
    dlq = pipeline.outputs["DeadLetterQueueUrl"]
    key = "dlq-test/list me/café+1.jpg"
    event_id = pipeline.sqs.send_message(
        QueueUrl=dlq, MessageBody=s3_event(pipeline.source_bucket, key, "0" * 32, 10))["MessageId"]
    garbage = "not json at all " + "x" * 300
    garbage_id = pipeline.sqs.send_message(QueueUrl=dlq, MessageBody=garbage)["MessageId"]
    try:
        code, out, _ = cli("dlq", "list")
        assert code == 0, out
        assert event_id in out and garbage_id in out
        assert f"ObjectCreated:Put s3://{pipeline.source_bucket}/{key}" in out
        assert "unparseable body: 'not json at all " in out
        assert "x" * 300 not in out  # only the first 200 characters
        assert "received 1x" in out
        assert "2 message(s)" in out

        # Peeking hid nothing: both are visible right away, and a second look sees them again.
        assert pipeline.queue_depth(dlq) == 2
        code, out, _ = cli("dlq", "list", "--max", "1")
        assert code == 0 and "1 message(s)" in out and "--max reached" in out
    finally:
        bodies = drain(pipeline, dlq)
    assert sorted(bodies) == sorted([s3_event(pipeline.source_bucket, key, "0" * 32, 10), garbage])


@pytest.mark.cloud
def test_dlq_redrive_moves_messages_back_and_the_pipeline_handles_them(pipeline, cli):
    assert_one_state_machine(pipeline)
    dlq, queue = pipeline.outputs["DeadLetterQueueUrl"], pipeline.outputs["QueueUrl"]
    key = "dlq-test/redrive.jpg"
    pipeline.upload(key, PHOTO)
    rendered = pipeline.manifest(key)
    pipeline.cloud.wait_until_idle(timeout=60)
    # The upload's own event, read from its execution (the embedded cloud numbers sequencers per
    # process: a made-up one could be, or not be, this upload's): a duplicate the pipeline
    # already handed over, which must not run again. And one of an earlier upload of the key
    # whose dispatch failed: it runs now, finds the newer object at the key, and stops as
    # superseded, leaving the newer upload's manifest alone.
    [handled] = [source["revision"] for execution in pipeline.executions()
                 if (source := execution_source(pipeline, execution))["key"] == key]
    handled_etag, handled_sequencer = handled.split("@")
    earlier_etag = hashlib.md5(b"an earlier revision").hexdigest()
    earlier_sequencer = f"{int(handled_sequencer, 16) - 1:0{len(handled_sequencer)}X}"
    earlier = f"{earlier_etag}@{earlier_sequencer}"
    pipeline.sqs.send_message(QueueUrl=queue, MessageBody=s3_event(
        pipeline.source_bucket, key, handled_etag, len(PHOTO), sequencer=handled_sequencer))
    pipeline.cloud.wait_until_idle(timeout=60)
    assert len(executions_of(pipeline, key, handled)) == 1
    assert executions_of(pipeline, key, earlier) == []

    try:
        for etag, sequencer in ((handled_etag, handled_sequencer), (earlier_etag, earlier_sequencer)):
            body = s3_event(pipeline.source_bucket, key, etag, len(PHOTO), sequencer=sequencer)
            pipeline.sqs.send_message(QueueUrl=dlq, MessageBody=body)
        code, out, err = cli("dlq", "redrive")
        assert code == 1
        assert f"s3://{pipeline.source_bucket}/{key}" in out
        assert "2 message(s) would move" in err and "--yes" in err
        assert pipeline.queue_depth(dlq) == 2

        code, out, err = cli("dlq", "redrive", "--yes")
        assert code == 0, err
        assert f"moved 2 message(s) from {dlq} to {queue}" in out
        pipeline.cloud.wait_until_idle(timeout=60)
    finally:
        leftovers = drain(pipeline, dlq)
    assert leftovers == []
    assert pipeline.queue_depth(queue) == 0

    assert len(executions_of(pipeline, key, handled)) == 1
    [rerun] = executions_of(pipeline, key, earlier)
    finished = pipeline.wait_for_execution(rerun["executionArn"])
    assert finished["status"] == "SUCCEEDED"
    assert json.loads(finished["output"])["status"] == "superseded"
    assert pipeline.manifest(key) == rendered


@pytest.mark.cloud
def test_dlq_redrive_of_an_empty_queue_moves_nothing(pipeline, cli):
    code, out, _ = cli("dlq", "redrive", "--yes")
    assert code == 0 and "moved 0 message(s)" in out


# ---- backfill ---------------------------------------------------------------------------------


def wait_for_manifest_hash(pipeline, key: str, digest: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        manifest = pipeline.manifest(key, timeout=timeout)
        if manifest["presets_hash"] == digest:
            return manifest
        if time.monotonic() >= deadline:
            raise AssertionError(f"manifest of {key!r} still has presets_hash {manifest['presets_hash']}")
        time.sleep(0.3)


@pytest.mark.cloud
def test_backfill_re_renders_stale_objects_after_a_presets_change(pipeline, cli):
    assert_one_state_machine(pipeline)
    prefix = "backfill-test/"
    keys = [f"{prefix}one.jpg", f"{prefix}two words.jpg"]
    for key in keys:
        pipeline.upload(key, PHOTO)
    pipeline.upload(f"{prefix}notes.txt", b"not an image; outside the suffix filter")
    for key in keys:
        pipeline.manifest(key)
    pipeline.cloud.wait_until_idle(timeout=60)
    started_before = len(pipeline.executions())

    # Under unchanged presets everything is up to date. A full backfill re-renders anyway, once:
    # running it again, the dispatcher meets its executions (same names) instead of starting more.
    code, out, err = cli("backfill", "--prefix", prefix, "--only-stale")
    assert code == 0, err
    assert "considered 3, skipped 2 up to date and 1 filtered, enqueued 0" in out
    code, out, err = cli("backfill", "--prefix", prefix)
    assert code == 0, err
    assert "enqueued 2" in out
    pipeline.cloud.wait_until_idle(timeout=120)
    for execution in pipeline.executions():
        pipeline.wait_for_execution(execution["executionArn"])
    started_before += 2
    assert len(pipeline.executions()) == started_before
    code, out, err = cli("backfill", "--prefix", prefix)
    assert code == 0, err
    assert "enqueued 2" in out
    pipeline.cloud.wait_until_idle(timeout=120)
    assert len(pipeline.executions()) == started_before

    parameter = pipeline.outputs["PresetsParameterName"]
    original = live_presets_text(pipeline)
    changed = json.loads(original)
    changed["presets"].append({"name": "backfill-extra", "width": 64, "fit": "inside", "format": "jpeg"})
    new_hash = presets_hash(parse_presets(json.dumps(changed)))
    # Delete one manifest too: no manifest counts as stale as well.
    pipeline.s3.delete_object(Bucket=pipeline.output_bucket, Key=manifest_key("", keys[1]))
    pipeline.ssm.put_parameter(Name=parameter, Value=json.dumps(changed), Type="String", Overwrite=True)
    try:
        code, out, err = cli("backfill", "--prefix", prefix, "--only-stale", "--dry-run")
        assert code == 0, err
        assert "2 executions to start" in out
        assert all(f"  {key}" in out for key in keys)
        assert f"filtered {prefix}notes.txt" in out
        assert len(pipeline.executions()) == started_before

        code, out, err = cli("backfill", "--prefix", prefix, "--only-stale", "--max-executions", "1")
        assert code == 1
        assert "2 executions would start" in err and "--yes" in err
        assert len(pipeline.executions()) == started_before

        code, out, err = cli("backfill", "--prefix", prefix, "--only-stale", "--max-executions", "1", "--yes")
        assert code == 0, err
        assert "considered 3, skipped 0 up to date and 1 filtered, enqueued 2" in out
        for key in keys:
            manifest = wait_for_manifest_hash(pipeline, key, new_hash)
            assert manifest["status"] == "complete"
            assert "backfill-extra" in [v["preset"] for v in manifest["variants"]]

        code, out, err = cli("backfill", "--prefix", prefix, "--only-stale")
        assert code == 0, err
        assert "skipped 2 up to date and 1 filtered, enqueued 0" in out
    finally:
        pipeline.ssm.put_parameter(Name=parameter, Value=original, Type="String", Overwrite=True)
    assert live_presets_text(pipeline) == original
