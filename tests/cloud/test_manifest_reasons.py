"""`imgfan manifest get` says why there is no manifest, in the user's terms."""

from __future__ import annotations

import json
import uuid
from importlib import resources
from pathlib import Path

import pytest

from imgfan.aws import Cloud
from imgfan.live import (
    ExecutionLookup,
    FailedBeforeManifest,
    NeverStarted,
    NoManifest,
    StillRendering,
    explain_missing_manifest,
)
from imgfan_core.presets import parse_presets

pytestmark = pytest.mark.cloud

PHOTO = (Path(str(resources.files("imgfan") / "samples")) / "nikon-with-gps.jpg").read_bytes()


def no_manifest_reason(cli, key: str) -> str:
    code, out, err = cli("manifest", "get", key)
    assert (code, out) == (1, ""), err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_a_key_with_no_source_says_so_and_suggests_the_near_one(cli, pipeline):
    pipeline.upload("reasons/cat.jpg", PHOTO)
    err = no_manifest_reason(cli, "reasons/cta.jpg")
    assert f"there is no source s3://{pipeline.source_bucket}/reasons/cta.jpg; did you mean 'reasons/cat.jpg'?" in err


@pytest.mark.parametrize("key, why", [
    ("reasons/photo.bmp", (".bmp is not a watched suffix (.avif, .gif, .heic, .heif, .jpeg, .jpg, .png, "
                           ".tif, .tiff, .webp)")),
    ("reasons/Mixed.Jpg", ("S3 events are set up for .jpg and .JPG only, and S3 suffix filters are "
                           "case-sensitive: .Jpg matches neither")),
])
def test_a_suffix_the_notifications_do_not_watch_says_so_and_how_to_render_it(cli, pipeline, key, why):
    pipeline.upload(key, PHOTO)
    err = no_manifest_reason(cli, key)
    assert f"{why}, so uploading it started nothing; 'imgfan backfill --prefix {key}' renders it anyway" in err


@pytest.fixture
def unrun(aws, repo_presets):
    """A bare moto server with a source and a state machine whose executions wait an hour (whether or
    not moto interprets them: the embedded cloud of other tests turns that on process-wide)."""
    suffix = uuid.uuid4().hex[:8]
    bucket, key = f"src-{suffix}", "photo.jpg"
    aws("s3").create_bucket(Bucket=bucket)
    aws("s3").put_object(Bucket=bucket, Key=key, Body=PHOTO)
    machine = aws("stepfunctions").create_state_machine(
        name=f"sm-{suffix}", roleArn="arn:aws:iam::123456789012:role/sm",
        definition=json.dumps({"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}}),
    )["stateMachineArn"]
    return {"bucket": bucket, "key": key, "machine": machine, "config": parse_presets(json.dumps(repo_presets)),
            "input": json.dumps({"action": "render", "source": {"bucket": bucket, "key": key}})}


def explain(moto_endpoint, unrun) -> NoManifest:
    clients = Cloud(endpoint_url=moto_endpoint)
    lookup = ExecutionLookup(clients.client("stepfunctions"), unrun["machine"])
    missing = NoManifest("out", f"{unrun['key']}/manifest.json")
    return explain_missing_manifest(missing, clients.client("s3"), unrun["bucket"], unrun["config"], lookup,
                                    unrun["key"])


def test_no_execution_yet_points_at_the_dead_letter_queue(moto_endpoint, unrun):
    reason = explain(moto_endpoint, unrun)
    assert isinstance(reason, NeverStarted)
    assert "no execution has started for" in str(reason) and "imgfan dlq list" in str(reason)


def test_a_running_execution_is_named(moto_endpoint, aws, unrun):
    aws("stepfunctions").start_execution(stateMachineArn=unrun["machine"], name="still-going", input=unrun["input"])
    reason = explain(moto_endpoint, unrun)
    assert isinstance(reason, StillRendering) and reason.execution_name == "still-going"
    assert "execution still-going is still running; see 'imgfan executions show still-going'" in str(reason)


def test_an_execution_that_ended_without_a_manifest_is_named_with_its_status(moto_endpoint, aws, unrun):
    arn = aws("stepfunctions").start_execution(stateMachineArn=unrun["machine"], name="stopped",
                                               input=unrun["input"])["executionArn"]
    aws("stepfunctions").stop_execution(executionArn=arn, error="Boom")
    reason = explain(moto_endpoint, unrun)
    assert isinstance(reason, FailedBeforeManifest)
    assert (reason.execution_name, reason.status) == ("stopped", "ABORTED")
    assert "execution stopped ended ABORTED" in str(reason) and "before the finalizer wrote one" in str(reason)
