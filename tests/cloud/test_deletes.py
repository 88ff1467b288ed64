"""Deletes remove outputs only when the image is really gone (docs/how-it-works.md, "Deletes,
versions and out-of-order events"), on the embedded cloud.

S3 notifications arrive at least once and in no guaranteed order; on a versioned bucket a
permanent delete may concern an old version. moto sends no notification for a version's
permanent delete nor for a delete marker, so those tests put the event AWS documents for them
on the stack's own queue, as S3 would (a late event is delivered the same way).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from imgfan_core.keys import encode_event_key
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.cloud

SAMPLES = REPO_ROOT / "src" / "imgfan" / "samples"
FIRST = (SAMPLES / "nikon-with-gps.jpg").read_bytes()
SECOND = (SAMPLES / "landscape-exif-orientation-6.jpg").read_bytes()


def deliver(pipeline, name: str, key: str, occurred: datetime, **object_fields) -> None:
    """Put one S3 notification on the event queue, as S3 would have sent it at ``occurred``."""
    body = {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": occurred.isoformat(timespec="milliseconds").replace("+00:00", "Z"), "eventName": name,
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "late",
               "bucket": {"name": pipeline.source_bucket, "arn": f"arn:aws:s3:::{pipeline.source_bucket}"},
               "object": {"key": encode_event_key(key), **object_fields}},
    }]}
    pipeline.sqs.send_message(QueueUrl=pipeline.outputs["QueueUrl"], MessageBody=json.dumps(body))


def finished_deletes(pipeline, key: str, count: int, timeout: float = 90) -> list[dict]:
    """The first ``count`` delete executions of ``key``, once they have ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = []
        for execution in pipeline.executions():
            if not execution["name"].startswith("delete-"):
                continue
            described = pipeline.stepfunctions.describe_execution(executionArn=execution["executionArn"])
            if json.loads(described["input"])["source"]["key"] == key:
                found.append(described)
        if len(found) >= count and all(d["status"] != "RUNNING" for d in found):
            return sorted(found, key=lambda d: d["startDate"])
        time.sleep(0.3)
    raise AssertionError(f"fewer than {count} finished delete executions of {key!r} within {timeout}s")


def outputs(pipeline, key: str) -> set[str]:
    listed = pipeline.s3.list_objects_v2(Bucket=pipeline.output_bucket, Prefix=f"{key}/")
    return {item["Key"] for item in listed.get("Contents", [])}


def current_files(manifest: dict, key: str) -> set[str]:
    return {v["key"] for v in manifest["variants"] if v.get("key")} | {f"{key}/manifest.json"}


def etag_of(pipeline, key: str) -> str:
    return pipeline.s3.head_object(Bucket=pipeline.source_bucket, Key=key)["ETag"].strip('"')


def test_a_delete_delivered_after_the_upload_that_followed_it_removes_nothing(pipeline):
    key = "late-delete/photo.jpg"
    pipeline.upload(key, FIRST)
    pipeline.manifest(key)
    deleted_at = datetime.now(UTC)
    pipeline.upload(key, SECOND)  # the delete's object came back as a new upload
    second_etag = etag_of(pipeline, key)
    current = pipeline.wait_for_manifest_with(key, lambda m: m["source"]["etag"].strip('"') == second_etag)
    assert current["status"] == "complete"
    deliver(pipeline, "ObjectRemoved:Delete", key, deleted_at - timedelta(seconds=1), sequencer="00")
    [late] = finished_deletes(pipeline, key, 1)
    assert late["status"] == "SUCCEEDED"
    assert "uploaded after the delete" in json.loads(late["output"])["kept_because"]
    assert current_files(current, key) <= outputs(pipeline, key)
    assert pipeline.manifest(key) == current


@pytest.fixture
def versioned_source(pipeline):
    """The stack's source bucket with versioning on, suspended again afterwards (S3 cannot turn it off)."""
    pipeline.s3.put_bucket_versioning(Bucket=pipeline.source_bucket, VersioningConfiguration={"Status": "Enabled"})
    try:
        yield pipeline.source_bucket
    finally:
        pipeline.s3.put_bucket_versioning(Bucket=pipeline.source_bucket,
                                          VersioningConfiguration={"Status": "Suspended"})


def test_on_a_versioned_bucket_deleting_an_old_version_keeps_the_image_and_a_delete_marker_removes_it(
        pipeline, versioned_source):
    key = "versioned/photo.jpg"
    old = pipeline.s3.put_object(Bucket=versioned_source, Key=key, Body=FIRST)["VersionId"]
    pipeline.manifest(key)
    pipeline.s3.put_object(Bucket=versioned_source, Key=key, Body=SECOND)
    second_etag = etag_of(pipeline, key)
    current = pipeline.wait_for_manifest_with(key, lambda m: m["source"]["etag"].strip('"') == second_etag)
    assert current["source"]["version_id"] != old

    pipeline.s3.delete_object(Bucket=versioned_source, Key=key, VersionId=old)
    deliver(pipeline, "ObjectRemoved:Delete", key, datetime.now(UTC), versionId=old, sequencer="FF01")
    [for_old_version] = finished_deletes(pipeline, key, 1)
    assert f"only version {old} was deleted" in json.loads(for_old_version["output"])["kept_because"]
    assert current_files(current, key) <= outputs(pipeline, key)

    # Both generations are there: the current one, and the one before it (a client may have just read it).
    before_marker = outputs(pipeline, key)
    marker = pipeline.s3.delete_object(Bucket=versioned_source, Key=key)
    assert marker["DeleteMarker"] is True
    deliver(pipeline, "ObjectRemoved:DeleteMarkerCreated", key, datetime.now(UTC),
            versionId=marker["VersionId"], sequencer="FF02")
    finished = finished_deletes(pipeline, key, 2)
    assert [d["status"] for d in finished] == ["SUCCEEDED", "SUCCEEDED"]
    assert json.loads(finished[1]["output"])["deleted"] == len(before_marker) > len(current_files(current, key))
    assert outputs(pipeline, key) == set()


def test_every_upload_to_a_versioning_suspended_bucket_renders(pipeline, versioned_source):
    """Suspended versioning gives every new upload the version id "null"; each still renders."""
    pipeline.s3.put_bucket_versioning(Bucket=versioned_source, VersioningConfiguration={"Status": "Suspended"})
    key = "suspended/photo.jpg"
    for body in (FIRST, SECOND):
        pipeline.s3.put_object(Bucket=versioned_source, Key=key, Body=body)
        etag = etag_of(pipeline, key)
        manifest = pipeline.wait_for_manifest_with(key, lambda m, etag=etag: m["source"]["etag"].strip('"') == etag)
        assert manifest["status"] == "complete"
        # The event said versionId "null" (tests/local/test_moto_hooks.py): planned as unversioned.
        assert manifest["source"].get("version_id") is None
