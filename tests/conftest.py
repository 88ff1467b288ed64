"""Shared fixtures. The embedded cloud is started once per session, on a free port."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import boto3
import jsonschema
import pytest
from xdist.scheduler import LoadFileScheduling

from imgfan.local.cloud import free_port
from tests import synth_contexts

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"
MANIFEST_SCHEMA = json.loads((REPO_ROOT / "src" / "imgfan_core" / "schemas" / "manifest.schema.json").read_text())
TEST_STACK_CONTEXT = synth_contexts.TEST_STACK


def pytest_sessionstart(session):
    """The whole suite (`make test`, pytest with no paths): while xdist starts its workers and
    they collect, synthesize every context the tests use in one process (tests/synth_contexts.py),
    23 CPU-seconds where one process per context costs 127 (benchmarks/synth_contexts.py). A worker that needs a context
    still being synthesized waits for it on its lock (imgfan.synth)."""
    config = session.config
    if (hasattr(config, "workerinput") or config.option.collectonly
            or config.args_source != pytest.Config.ArgsSource.TESTPATHS):
        return
    from imgfan.synth import synthesize_many

    threading.Thread(target=synthesize_many, args=(synth_contexts.PREPARED,), name="imgfan-synth-ahead",
                     daemon=True).start()


# Files whose tests xdist hands out one at a time instead of as a whole file: each of them
# mostly sleeps through a fault for minutes, so they wait side by side on workers of their own
# while the other workers keep both cores busy. A file listed here must have no module fixtures
# worth sharing (tests/test_scheduling.py checks that it exists and is marked `long`).
HANDED_OUT_ONE_BY_ONE = ("tests/cloud/test_long_throttle.py",)


class LongTestsApart(LoadFileScheduling):
    """``--dist loadfile``, except that each test of HANDED_OUT_ONE_BY_ONE is a unit of its own."""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return nodeid if path in HANDED_OUT_ONE_BY_ONE else path


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "loadfile":
        return LongTestsApart(config, log)
    return None


def pytest_collection_modifyitems(config, items):
    """In parallel, the `long` files are handed out first so that none of them starts last and
    becomes the tail (xdist hands out work in the workers' collection order)."""
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: item.get_closest_marker("long") is None)


# Packages a test must import where it uses them, not at the top of its module: every xdist worker
# collects every file, and loading aws-cdk-lib starts CDK's Node process too (tests/test_collection.py).
HEAVY_FOR_COLLECTION = ("aws_cdk", "cdk_nag", "jsii")


def pytest_collection_finish(session):
    # On the config, which the tests see as ``pytestconfig`` (a module-level name here might be read
    # through a second copy of this module, imported as tests.conftest).
    session.config.loaded_by_collection = sorted(name for name in HEAVY_FOR_COLLECTION if name in sys.modules)


class IamDenials:
    """The embedded cloud's IAM audit as a test oracle: a call a function's role does not allow
    fails the test during which it was made (docs/deploy/iam.md)."""

    def __init__(self, audit):
        self.audit = audit
        self.seen = 0

    def take(self) -> list:
        """Denials since the last take, now accounted for (a test that makes them on purpose)."""
        self.seen, new = self.audit.since(self.seen)
        return new

    def fail_on_new(self, when: str) -> None:
        new = self.take()
        if new:
            lines = "\n".join(f"  {denial.describe()}" for denial in new[:20])
            pytest.fail(f"{len(new)} call(s) {when} that the function's own role does not allow:\n{lines}",
                        pytrace=False)


@pytest.fixture(scope="session")
def cloud(tmp_path_factory):
    from imgfan.local.cloud import EmbeddedCloud

    embedded = EmbeddedCloud(port=free_port(), state_dir=tmp_path_factory.mktemp("embedded-cloud"))
    embedded.start()
    try:
        embedded.deploy(progress=lambda message: None, context=TEST_STACK_CONTEXT)
        # The custom resources' functions (CDK's bucket-notifications handler) are audited too.
        IamDenials(embedded.iam_audit).fail_on_new("while the stack was deployed")
        embedded.start_poller()
        yield embedded
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
def iam_ledger(cloud) -> IamDenials:
    ledger = IamDenials(cloud.iam_audit)
    yield ledger
    # Calls that came after the last test's check (e.g. a cleaner still running).
    ledger.fail_on_new("after the last test")


@pytest.fixture(autouse=True)
def iam_denials(request):
    """For every test on the embedded cloud: fail it if a function made a call its role does not
    allow while it ran. A call a test leaves running may land in the next test's window."""
    if "cloud" not in request.fixturenames:
        yield None
        return
    # Not reset here: a denial between two tests (a module fixture's calls) fails the next one.
    ledger = request.getfixturevalue("iam_ledger")
    yield ledger
    ledger.fail_on_new("during this test")


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

    def wait_for_manifest_with(self, key: str, condition, timeout: float = 120) -> dict:
        """Wait until the key's manifest satisfies ``condition`` (e.g. a newer render replaced it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            manifest = self.manifest(key, timeout=timeout)
            if condition(manifest):
                return manifest
            time.sleep(0.3)
        raise AssertionError(f"the manifest of {key!r} never met the condition")

    def executions(self) -> list[dict]:
        """Renders and deletes: they run in two state machines."""
        paginator = self.stepfunctions.get_paginator("list_executions")
        return [e for machine in (self.outputs["StateMachineArn"], self.outputs["DeleteStateMachineArn"])
                for page in paginator.paginate(stateMachineArn=machine) for e in page["executions"]]

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


@pytest.fixture
def cli_env(monkeypatch, cloud):
    """The environment `imgfan local up` prints: commands reach the embedded cloud without flags."""
    for name, value in cloud.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def cli(cli_env, capsys):
    """Run ``imgfan ...`` against the embedded cloud; returns (exit code, stdout, stderr)."""
    from imgfan.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright (tests/browser.py), one per module that drives it."""
    from browser import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def pipeline(cloud) -> Pipeline:
    return Pipeline(cloud)


@pytest.fixture(scope="session")
def console(cloud) -> str:
    """The local console served on the session's embedded cloud, as `imgfan local up` does; its URL."""
    from imgfan.console import mount_console

    return mount_console(cloud, REPO_ROOT / "presets.json")


# --- a bare moto server (no stack) for command tests that make their own resources ---

@pytest.fixture(scope="module")
def moto_endpoint():
    """A moto server on a free port with fake credentials; no stubs, real HTTP."""
    from moto.server import ThreadedMotoServer

    from imgfan.local.moto import speedups

    # The embedded cloud's speedups change no answer (tests/local/test_moto_speedups.py); without
    # them a queue of a thousand messages costs seconds per SendMessageBatch.
    speedups.apply()
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


@pytest.fixture
def aws(moto_endpoint):
    def client(service: str):
        return boto3.client(service, endpoint_url=moto_endpoint, region_name="us-east-1")

    return client


@pytest.fixture
def repo_presets() -> dict:
    return json.loads((REPO_ROOT / "presets.json").read_text(encoding="utf-8"))


@pytest.fixture
def write_presets(tmp_path):
    def write(document: dict | str, name: str = "presets.json") -> Path:
        path = tmp_path / name
        path.write_text(
            document if isinstance(document, str) else json.dumps(document, indent=2), encoding="utf-8"
        )
        return path

    return write
