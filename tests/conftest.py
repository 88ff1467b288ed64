"""Shared fixtures. The embedded cloud is started once per session, on a free port."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"
MANIFEST_SCHEMA = json.loads((REPO_ROOT / "src" / "imgfan_core" / "schemas" / "manifest.schema.json").read_text())
# The dispatcher's presets cache age on the test stack: short, so tests that push presets
# do not leak them into the next test.
TEST_STACK_CONTEXT = {"presetsCacheSeconds": "1"}


@pytest.fixture(scope="session")
def cloud(tmp_path_factory):
    from imgfan.local.cloud import EmbeddedCloud, free_port

    embedded = EmbeddedCloud(port=free_port(), state_dir=tmp_path_factory.mktemp("embedded-cloud"))
    embedded.start()
    try:
        embedded.deploy(progress=lambda message: None, context=TEST_STACK_CONTEXT)
        embedded.start_poller()
        yield embedded
    finally:
        embedded.stop()


class Pipeline:
    """Test helpers over the deployed stack, all through boto3 over HTTP."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.outputs = cloud.outputs
        self.s3 = cloud.client("s3")
        self.sqs = cloud.client("sqs")
        self.stepfunctions = cloud.client("stepfunctions")
        self.ssm = cloud.client("ssm")
        self.source_bucket = self.outputs["SourceBucketName"]
        self.output_bucket = self.outputs["OutputBucketName"]

    def upload(self, key: str, body: bytes, **extra) -> None:
        self.s3.put_object(Bucket=self.source_bucket, Key=key, Body=body, **extra)

    def manifest(self, key: str, timeout: float = 120, prefix: str = "") -> dict:
        """Wait for the key's manifest; every manifest a test reads must pass the schema."""
        deadline = time.monotonic() + timeout
        manifest_key = f"{prefix}{key}/manifest.json"
        while time.monotonic() < deadline:
            try:
                body = self.s3.get_object(Bucket=self.output_bucket, Key=manifest_key)["Body"].read()
            except self.s3.exceptions.NoSuchKey:
                time.sleep(0.3)
                continue
            manifest = json.loads(body)
            jsonschema.validate(manifest, MANIFEST_SCHEMA)
            return manifest
        raise AssertionError(f"no manifest for {key!r} within {timeout}s; executions: {self.executions()}")

    def executions(self) -> list[dict]:
        paginator = self.stepfunctions.get_paginator("list_executions")
        return [e for page in paginator.paginate(stateMachineArn=self.outputs["StateMachineArn"])
                for e in page["executions"]]

    def wait_for_execution(self, arn: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = self.stepfunctions.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.3)
        raise AssertionError(f"execution {arn} still running after {timeout}s")

    def wait_for_presets(self, digest: str, timeout: float = 60) -> None:
        """Until the dispatcher's cache serves presets with this hash (probing with uploads)."""
        photo = (REPO_ROOT / "src" / "imgfan" / "samples" / "nikon-with-gps.jpg").read_bytes()
        deadline = time.monotonic() + timeout
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            key = f"presets-probe/{digest}-{attempt}.jpg"
            self.upload(key, photo)
            if self.manifest(key)["presets_hash"] == digest:
                return
            time.sleep(0.5)
        raise AssertionError(f"the dispatcher did not pick up presets {digest} within {timeout}s")

    def queue_depth(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


@pytest.fixture(scope="session")
def pipeline(cloud) -> Pipeline:
    return Pipeline(cloud)
