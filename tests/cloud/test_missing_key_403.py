"""The pipeline when S3 answers 403 AccessDenied, not 404, for a missing key (`missing-key-403`).

S3 does so for a caller without s3:ListBucket, and whether the roles' prefix-conditioned grant
counts is not documented (docs/deploy/iam.md, "A missing key, 404 or 403"). Each test turns the
switch on for the functions of the session's deployed stack, over HTTP, and off again in a
``finally``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import pytest

from imgfan.local.faults import FaultPlan
from imgfan_core.keys import manifest_key
from tests.sqs_events import s3_notification
from tests.waits import wait_for

pytestmark = pytest.mark.cloud

SAMPLES = Path(str(resources.files("imgfan") / "samples"))
PHOTO, OTHER_PHOTO = ((SAMPLES / name).read_bytes() for name in ("nikon-with-gps.jpg", "cmyk-swop-profile.jpg"))


@contextmanager
def missing_keys_denied(cloud, spec: str = "missing-key-403=1"):
    """The switch on, and the count of answers it rewrote meanwhile in ``rewritten[0]``."""
    rewritten = [0]
    before = cloud.faults.injected().get("missing-key-403", 0)
    cloud.faults.set_plan(FaultPlan.parse(spec))
    try:
        yield rewritten
    finally:
        cloud.faults.set_plan(FaultPlan())
        rewritten[0] = cloud.faults.injected().get("missing-key-403", 0) - before


def unique(prefix: str) -> str:
    return f"missing-403/{prefix}-{uuid.uuid4().hex[:8]}.jpg"


def manifest_of(pipeline, key: str, body: bytes) -> dict:
    """The manifest that describes exactly ``body`` at ``key``, once its execution has ended."""
    wanted = hashlib.md5(body).hexdigest()
    manifest = pipeline.wait_for_manifest_with(key, lambda m: (m["source"]["etag"] or "").strip('"') == wanted)
    pipeline.wait_for_execution(manifest["execution"]["arn"])
    return manifest


def folder(pipeline, key: str) -> list[str]:
    listed = pipeline.s3.list_objects_v2(Bucket=pipeline.output_bucket, Prefix=f"{key}/").get("Contents", [])
    return [o["Key"] for o in listed]


def executions_of(pipeline, key: str) -> list[dict]:
    described = [pipeline.stepfunctions.describe_execution(executionArn=e["executionArn"]) for e in pipeline.executions()]
    return [d for d in described if json.loads(d["input"])["source"]["key"] == key]


def test_a_first_upload_gets_its_manifest_though_the_first_manifest_read_is_denied(pipeline, cloud):
    key = unique("first")
    with missing_keys_denied(cloud, "missing-key-403=1,functions=Finalizer") as rewritten:
        pipeline.upload(key, PHOTO)
        manifest = manifest_of(pipeline, key, PHOTO)
    assert manifest["status"] == "complete"
    # The finalizer's read of the manifest it would replace found none, answered 403.
    assert rewritten[0] >= 1


def test_a_replaced_image_gets_its_new_manifest(pipeline, cloud):
    key = unique("replaced")
    with missing_keys_denied(cloud):
        pipeline.upload(key, PHOTO)
        first = manifest_of(pipeline, key, PHOTO)
        pipeline.upload(key, OTHER_PHOTO)
        second = manifest_of(pipeline, key, OTHER_PHOTO)
    assert (first["status"], second["status"]) == ("complete", "complete")
    assert second["execution"]["name"] != first["execution"]["name"]
    named = {v["key"] for m in (first, second) for v in m["variants"]}
    assert set(folder(pipeline, key)) == named | {manifest_key("", key)}


def test_a_deleted_source_loses_its_outputs(pipeline, cloud):
    key = unique("deleted")
    with missing_keys_denied(cloud):
        pipeline.upload(key, PHOTO)
        manifest_of(pipeline, key, PHOTO)
        pipeline.s3.delete_object(Bucket=pipeline.source_bucket, Key=key)
        wait_for("the outputs to be removed", lambda: not folder(pipeline, key))


@pytest.mark.parametrize("spec", ["none", "missing-key-403=1"], ids=["404", "403"])
def test_a_source_deleted_before_the_resizer_reads_it_is_source_missing_and_gets_no_manifest(pipeline, cloud, spec):
    """The same outcome whichever S3 answers: the event of an object that is gone by the time the
    execution reads it."""
    key = unique("gone-before-read")
    event = s3_notification(pipeline.source_bucket, key, size=len(PHOTO), eTag=hashlib.md5(PHOTO).hexdigest(),
                            sequencer="0A1B2C")
    with missing_keys_denied(cloud, spec) as rewritten:
        pipeline.sqs.send_message(QueueUrl=pipeline.outputs["QueueUrl"], MessageBody=event)
        [execution] = wait_for("the execution", lambda: executions_of(pipeline, key))
        ended = pipeline.wait_for_execution(execution["executionArn"])
    history = pipeline.stepfunctions.get_execution_history(executionArn=ended["executionArn"], maxResults=1000)
    failures = [e["taskFailedEventDetails"]["error"] for e in history["events"] if e["type"] == "TaskFailed"]
    assert ended["status"] == "SUCCEEDED"
    assert failures == ["SourceMissing"], "permanent: recorded once, not retried"
    assert json.loads(ended["output"])["status"] == "superseded"
    assert folder(pipeline, key) == []
    # The resizer's GET and the finalizer's HEAD of the source, at least, were answered 403.
    assert rewritten[0] >= (2 if spec != "none" else 0)
