"""Fingerprinted keys and generations on the embedded cloud, and the completion events a
subscribed SQS queue receives (docs/design.md §4 and §6)."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

pytestmark = pytest.mark.cloud

SAMPLES = Path(str(resources.files("imgfan") / "samples"))
PHOTOS = [(SAMPLES / name).read_bytes() for name in
          ("nikon-with-gps.jpg", "landscape-exif-orientation-6.jpg", "cmyk-swop-profile.jpg")]
EVENT_SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "src" / "imgfan_core" / "schemas"
                           / "event.schema.json").read_text())


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def etag(pipeline, key: str) -> str:
    return pipeline.s3.head_object(Bucket=pipeline.source_bucket, Key=key)["ETag"].strip('"')


def manifest_of_upload(pipeline, key: str, body: bytes, timeout: float = 120) -> dict:
    """Upload ``body`` and wait for the manifest that describes exactly these bytes."""
    pipeline.upload(key, body)
    wanted = hashlib.md5(body).hexdigest()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        manifest = pipeline.manifest(key, timeout=timeout)
        if (manifest["source"]["etag"] or "").strip('"') == wanted:
            # The finalizer sweeps old generations after writing the manifest: let it finish.
            pipeline.wait_for_execution(manifest["execution"]["arn"])
            return manifest
        time.sleep(0.3)
    raise AssertionError(f"no manifest for this upload of {key}")


def folder_objects(pipeline, key: str) -> dict[str, bytes]:
    listed = pipeline.s3.list_objects_v2(Bucket=pipeline.output_bucket, Prefix=f"{key}/").get("Contents", [])
    return {o["Key"]: pipeline.s3.get_object(Bucket=pipeline.output_bucket, Key=o["Key"])["Body"].read()
            for o in listed if not o["Key"].endswith("/manifest.json")}


def ok_keys(manifest: dict) -> set[str]:
    return {v["key"] for v in manifest["variants"] if v["status"] == "ok"}


def test_replacing_an_image_three_times_never_changes_a_cached_key_and_keeps_one_old_generation(pipeline):
    key = unique("generations/avatar") + ".jpg"
    seen: dict[str, str] = {}  # variant key -> digest of the bytes first read there
    manifests = []
    for body in PHOTOS:
        manifest = manifest_of_upload(pipeline, key, body)
        manifests.append(manifest)
        for variant_key, data in folder_objects(pipeline, key).items():
            digest = hashlib.sha256(data).hexdigest()
            assert seen.setdefault(variant_key, digest) == digest, f"{variant_key} got new bytes"
            head = pipeline.s3.head_object(Bucket=pipeline.output_bucket, Key=variant_key)
            assert "immutable" in head["CacheControl"]
    first, previous, current = (ok_keys(m) for m in manifests)
    assert first.isdisjoint(current) and previous.isdisjoint(current)
    remaining = set(folder_objects(pipeline, key))
    assert current | previous == remaining, "exactly the current and the previous generation remain"
    assert not first & remaining


def test_an_identical_re_upload_keeps_the_same_fingerprints(pipeline):
    key = unique("generations/same") + ".jpg"
    first = manifest_of_upload(pipeline, key, PHOTOS[0])
    pipeline.upload(key, PHOTOS[0])
    deadline = time.monotonic() + 120
    while pipeline.manifest(key)["execution"]["name"] == first["execution"]["name"]:
        assert time.monotonic() < deadline, "the re-upload was not rendered"
        time.sleep(0.3)
    second = pipeline.manifest(key)
    assert ok_keys(second) == ok_keys(first)
    assert set(folder_objects(pipeline, key)) == ok_keys(first)


def wait_for_quiet(pipeline, name_part: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pipeline.cloud.wait_until_idle(timeout=60)
        running = [e for e in pipeline.executions() if name_part in e["name"] and e["status"] == "RUNNING"]
        if not running:
            return
        time.sleep(0.5)
    raise AssertionError(f"executions for {name_part} still running")


def test_two_racing_uploads_end_with_the_newer_manifest_and_all_its_variants(pipeline):
    key = unique("generations/race") + ".jpg"
    pipeline.upload(key, PHOTOS[1])
    pipeline.upload(key, PHOTOS[2])  # before the first one's execution can finish
    wait_for_quiet(pipeline, key.rsplit("/", 1)[1])
    manifest = pipeline.manifest(key)
    assert manifest["source"]["etag"].strip('"') == etag(pipeline, key) == hashlib.md5(PHOTOS[2]).hexdigest()
    assert manifest["status"] == "complete"
    stored = folder_objects(pipeline, key)
    for variant in manifest["variants"]:
        assert variant["key"] in stored and len(stored[variant["key"]]) == variant["bytes"]


@pytest.fixture(scope="module")
def subscribed_queue(pipeline):
    """An SQS queue that a rule on the default bus fills with every imgfan event."""
    events, name = pipeline.cloud.client("events"), unique("imgfan-events")
    queue_url = pipeline.sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = pipeline.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["imgfan"]}))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url


def events_for(pipeline, queue_url: str, key: str, detail_type: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in pipeline.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                                    WaitTimeSeconds=1).get("Messages", []):
            event = json.loads(message["Body"])
            if event["detail"]["source"]["key"] == key and event["detail-type"] == detail_type:
                return event
            # Not ours (another test's image): leave it for whoever waits for it.
            pipeline.sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"],
                                                   VisibilityTimeout=0)
    raise AssertionError(f"no {detail_type} event for {key}")


def test_manifest_written_and_outputs_deleted_events_reach_a_subscribed_queue(pipeline, subscribed_queue):
    good, bad = unique("events/good") + ".jpg", unique("events/bad") + ".jpg"
    pipeline.upload(good, PHOTOS[0])
    pipeline.upload(bad, b"not an image at all\n" * 20)
    written = events_for(pipeline, subscribed_queue, good, "Manifest Written")
    failed = events_for(pipeline, subscribed_queue, bad, "Manifest Written")
    for event in (written, failed):
        jsonschema.validate(event, EVENT_SCHEMA)
        assert event["source"] == "imgfan"
    manifest = pipeline.manifest(good)  # written before the event was sent
    assert written["detail"]["status"] == "complete" and written["detail"]["error"] is None
    assert [v["key"] for v in written["detail"]["variants"]] == [v["key"] for v in manifest["variants"]]
    assert [v["url"] for v in written["detail"]["variants"]] == [v["url"] for v in manifest["variants"]]
    assert written["detail"]["manifest"]["key"] == f"{good}/manifest.json"
    assert written["detail"]["manifest"]["url"].endswith("/manifest.json")
    assert failed["detail"]["status"] == "failed" and failed["detail"]["error"]["type"] == "NotAnImage"

    pipeline.s3.delete_object(Bucket=pipeline.source_bucket, Key=good)
    deleted = events_for(pipeline, subscribed_queue, good, "Outputs Deleted")
    jsonschema.validate(deleted, EVENT_SCHEMA)
    assert deleted["detail"]["deleted"] == len(manifest["variants"]) + 1
    assert pipeline.s3.list_objects_v2(Bucket=pipeline.output_bucket, Prefix=f"{good}/").get("KeyCount") == 0


def test_pushing_stable_keys_with_an_immutable_cache_control_is_refused(pipeline, cli, write_presets, repo_presets):
    name = pipeline.outputs["PresetsParameterName"]
    before = pipeline.ssm.get_parameter(Name=name)["Parameter"]
    document = dict(repo_presets, output={"key_style": "stable", "cache_control": "public, max-age=31536000, immutable"})
    code, _out, err = cli("presets", "push", str(write_presets(document)))
    assert code == 1
    assert "output.cache_control" in err and "key_style 'stable'" in err
    after = pipeline.ssm.get_parameter(Name=name)["Parameter"]
    assert (after["Version"], after["Value"]) == (before["Version"], before["Value"])
