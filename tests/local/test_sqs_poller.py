"""The SQS event-source poller against a real moto server over HTTP.

There is no local Lambda runtime here, so moto's LambdaFunction._invoke_lambda is replaced by
a fake that decides by message body: "ok*" succeeds, "fail*" is reported in
batchItemFailures, "raise*" makes the whole invocation a function error.

moto keeps its state per process, and the suite's embedded cloud (tests/conftest.py) lives in
us-east-1 of the same process. These tests therefore work in a region of their own and clean
that region up after each test instead of resetting moto.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import time
import uuid
import zipfile

import boto3
import pytest
from moto.awslambda.models import LambdaFunction
from moto.core.exceptions import JsonRESTError

from imgfan.local.cloud import free_port
from imgfan.local.faults import FaultInjector, FaultPlan
from imgfan.local.moto import assert_hooks_present as assert_moto_hooks_present
from imgfan.local.moto.sqs_lambda_trigger import disable_moto_sqs_lambda_trigger
from imgfan.local.sqs_poller import SqsEventSourcePoller, failed_message_ids

pytestmark = pytest.mark.cloud

REGION = "eu-west-3"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
GENEROUS = 60.0


def wait_for(predicate, timeout: float = GENEROUS, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def endpoint(moto_endpoint):
    disable_moto_sqs_lambda_trigger()
    return moto_endpoint


class Throttled(JsonRESTError):
    """What Lambda answers when the function has no concurrency left (HTTP 429)."""

    code = 429

    def __init__(self):
        super().__init__("TooManyRequestsException", "Rate Exceeded.")


class FakeLambda:
    """Stands in for the local runtime: records every event and answers by message body.

    A batch with a "throttle*" body is refused with 429 the first ``throttles`` times (the
    function does not run), like Lambda when the function is out of concurrency.
    """

    def __init__(self):
        self.events: list[dict] = []
        self.throttles = 0
        self._lock = threading.Lock()

    def __call__(self, function, event):
        event = json.loads(event) if isinstance(event, str) else event
        records = event["Records"]
        with self._lock:
            if self.throttles and any(r["body"].startswith("throttle") for r in records):
                self.throttles -= 1
                raise Throttled()
            self.events.append(event)
        if any(r["body"].startswith("raise") for r in records):
            return json.dumps({"errorMessage": "boom", "errorType": "RuntimeError"}), True, "boom"
        failures = [{"itemIdentifier": r["messageId"]} for r in records if r["body"].startswith("fail")]
        return json.dumps({"batchItemFailures": failures}), False, ""

    @property
    def batches(self) -> list[list[str]]:
        with self._lock:
            return [[r["body"] for r in e["Records"]] for e in self.events]


@pytest.fixture
def fake_lambda(monkeypatch):
    fake = FakeLambda()
    real = LambdaFunction._invoke_lambda

    def invoke(self, event=None):
        # Functions of the suite's embedded cloud keep their real runtime.
        return fake(self, event) if self.region == REGION else real(self, event)

    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke)
    return fake


class Cloud:
    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)
        self.lam = boto3.client("lambda", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)
        self.iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)

    def clean_region(self) -> None:
        for esm in self.lam.list_event_source_mappings()["EventSourceMappings"]:
            self.lam.delete_event_source_mapping(UUID=esm["UUID"])
        for url in self.sqs.list_queues().get("QueueUrls", []):
            self.sqs.delete_queue(QueueUrl=url)

    def queue(
        self, visibility: int = 30, dlq_url: str | None = None, max_receive: int = 2
    ) -> tuple[str, str]:
        attributes = {"VisibilityTimeout": str(visibility)}
        if dlq_url:
            policy = {"deadLetterTargetArn": self.arn(dlq_url), "maxReceiveCount": max_receive}
            attributes["RedrivePolicy"] = json.dumps(policy)
        url = self.sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}", Attributes=attributes)["QueueUrl"]
        return url, self.arn(url)

    def arn(self, url: str) -> str:
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        return attributes["QueueArn"]

    def function(self) -> str:
        role = self.iam.create_role(
            RoleName=f"r-{uuid.uuid4().hex[:8]}",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("handler.py", "def handler(event, context):\n    return None\n")
        return self.lam.create_function(
            FunctionName=f"f-{uuid.uuid4().hex[:8]}",
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": buffer.getvalue()},
        )["FunctionArn"]

    def mapping(
        self, queue_arn: str, batch_size: int = 10, window: int = 0, item_failures: bool = True
    ) -> None:
        kwargs = {"FunctionResponseTypes": ["ReportBatchItemFailures"]} if item_failures else {}
        self.lam.create_event_source_mapping(
            EventSourceArn=queue_arn,
            FunctionName=self.function(),
            BatchSize=batch_size,
            MaximumBatchingWindowInSeconds=window,
            **kwargs,
        )

    def send(self, url: str, *bodies: str) -> None:
        for body in bodies:
            self.sqs.send_message(QueueUrl=url, MessageBody=body)

    def counts(self, url: str) -> tuple[int, int]:
        a = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])

    def drain(self, url: str) -> list[str]:
        bodies = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return sorted(bodies)
            bodies += [m["Body"] for m in messages]


@pytest.fixture
def moto_cloud(endpoint):
    cloud = Cloud(endpoint)
    cloud.clean_region()
    yield cloud
    cloud.clean_region()


@pytest.fixture
def poller(endpoint, moto_cloud):
    p = SqsEventSourcePoller(endpoint, region=REGION)
    yield p
    p.stop()


def test_moto_hooks_present_and_patch_idempotent():
    assert_moto_hooks_present()
    disable_moto_sqs_lambda_trigger()
    disable_moto_sqs_lambda_trigger()
    assert_moto_hooks_present()


def test_moto_does_not_invoke_inside_send_message(moto_cloud, fake_lambda):
    url, arn = moto_cloud.queue()
    moto_cloud.mapping(arn)
    moto_cloud.send(url, "ok")
    assert fake_lambda.events == []
    assert moto_cloud.counts(url) == (1, 0)


def test_batch_size_is_honoured_and_event_matches_lambda(moto_cloud, fake_lambda, poller):
    url, arn = moto_cloud.queue()
    moto_cloud.mapping(arn, batch_size=3, window=1)
    bodies = [f"ok-{i}" for i in range(7)]
    moto_cloud.send(url, *bodies)
    moto_cloud.sqs.send_message(
        QueueUrl=url,
        MessageBody="ok-attrs",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "thumb"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    poller.start()
    assert poller.wait_until_idle(GENEROUS)

    assert sorted(len(b) for b in fake_lambda.batches) == [2, 3, 3]
    assert sorted(b for batch in fake_lambda.batches for b in batch) == sorted(bodies + ["ok-attrs"])
    assert moto_cloud.counts(url) == (0, 0)

    record = next(r for e in fake_lambda.events for r in e["Records"] if r["body"] == "ok-attrs")
    assert set(record) >= {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn
    assert record["awsRegion"] == REGION
    assert record["md5OfBody"] == hashlib.md5(b"ok-attrs").hexdigest()
    assert set(record["attributes"]) >= {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "thumb",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="


def test_batching_window_groups_messages(moto_cloud, fake_lambda, poller):
    url, arn = moto_cloud.queue()
    # A window far longer than four SendMessage calls take, so they land in one batch.
    moto_cloud.mapping(arn, batch_size=10, window=5)
    poller.start()
    moto_cloud.send(url, "ok-a", "ok-b", "ok-c", "ok-d")
    assert poller.wait_until_idle(GENEROUS)
    assert [sorted(b) for b in fake_lambda.batches] == [["ok-a", "ok-b", "ok-c", "ok-d"]]


def test_success_deletes_and_item_failures_stay(moto_cloud, fake_lambda, poller):
    url, arn = moto_cloud.queue(visibility=60)
    moto_cloud.mapping(arn)
    moto_cloud.send(url, "ok-1", "fail-2", "ok-3", "fail-4")
    poller.start()
    wait_for(lambda: moto_cloud.counts(url) == (0, 2), what="only the failed messages to remain in flight")
    poller.stop()
    assert len(fake_lambda.events) == 1

    for record in fake_lambda.events[0]["Records"]:
        if record["body"].startswith("fail"):
            moto_cloud.sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
            )
    assert moto_cloud.drain(url) == ["fail-2", "fail-4"]


def test_item_failures_ignored_without_report_batch_item_failures(moto_cloud, fake_lambda, poller):
    url, arn = moto_cloud.queue()
    moto_cloud.mapping(arn, item_failures=False)
    moto_cloud.send(url, "ok-1", "fail-2")
    poller.start()
    assert poller.wait_until_idle(GENEROUS)
    assert moto_cloud.counts(url) == (0, 0)


def test_function_error_keeps_whole_batch(moto_cloud, fake_lambda, poller):
    url, arn = moto_cloud.queue(visibility=60)
    moto_cloud.mapping(arn)
    moto_cloud.send(url, "ok-1", "raise-2", "ok-3")
    poller.start()
    wait_for(lambda: fake_lambda.events, what="an invocation")
    poller.stop()
    assert len(fake_lambda.events) == 1
    assert moto_cloud.counts(url) == (0, 3)


def test_failed_messages_reach_dlq_after_max_receive_count(moto_cloud, fake_lambda, poller):
    dlq_url, _ = moto_cloud.queue()
    url, arn = moto_cloud.queue(visibility=1, dlq_url=dlq_url, max_receive=2)
    # One message per batch, so a function error on "raise-3" does not drag "ok-1" along.
    moto_cloud.mapping(arn, batch_size=1)
    moto_cloud.send(url, "ok-1", "fail-2", "raise-3")
    poller.start()
    assert poller.wait_until_idle(GENEROUS)

    assert moto_cloud.counts(url) == (0, 0)
    assert moto_cloud.drain(dlq_url) == ["fail-2", "raise-3"]
    seen = [b for batch in fake_lambda.batches for b in batch]
    assert seen.count("ok-1") == 1
    assert seen.count("fail-2") == 2
    assert seen.count("raise-3") == 2


def test_a_throttled_invoke_is_retried_while_the_batch_is_hidden(moto_cloud, fake_lambda, poller):
    url, arn = moto_cloud.queue(visibility=60)
    moto_cloud.mapping(arn)
    fake_lambda.throttles = 2
    moto_cloud.send(url, "throttle-1", "ok-2")
    poller.start()
    assert poller.wait_until_idle(GENEROUS)
    assert [sorted(batch) for batch in fake_lambda.batches] == [["ok-2", "throttle-1"]]
    assert moto_cloud.counts(url) == (0, 0)
    assert poller.tally.snapshot()["invoke_retries"] == 2


def test_a_batch_whose_invoke_stays_throttled_returns_after_the_visibility_timeout(moto_cloud, fake_lambda,
                                                                                    poller):
    url, arn = moto_cloud.queue(visibility=2)
    moto_cloud.mapping(arn)
    fake_lambda.throttles = 1000
    moto_cloud.send(url, "throttle-1")
    poller.start()
    wait_for(lambda: poller.tally.snapshot().get("batches", 0) >= 2, what="the batch to come back")
    assert fake_lambda.events == []
    fake_lambda.throttles = 0
    assert poller.wait_until_idle(GENEROUS)
    assert fake_lambda.batches == [["throttle-1"]]


def test_the_duplicate_fault_delivers_each_processed_message_once_more(endpoint, moto_cloud, fake_lambda):
    url, arn = moto_cloud.queue()
    moto_cloud.mapping(arn, batch_size=1)
    bodies = [f"ok-{i}" for i in range(5)]
    moto_cloud.send(url, *bodies)
    poller = SqsEventSourcePoller(endpoint, region=REGION, faults=FaultInjector(FaultPlan(duplicate=1)))
    try:
        poller.start()
        assert poller.wait_until_idle(GENEROUS)
    finally:
        poller.stop()
    seen = [body for batch in fake_lambda.batches for body in batch]
    assert sorted(seen) == sorted(bodies * 2)
    assert moto_cloud.counts(url) == (0, 0)
    assert poller.tally.snapshot()["delivered_twice"] == 5


def test_loop_errors_are_logged_and_survived(caplog):
    dead = f"http://127.0.0.1:{free_port()}"
    p = SqsEventSourcePoller(dead, region=REGION)
    with caplog.at_level(logging.WARNING, logger="imgfan.local.sqs"):
        p.start()
        try:
            wait_for(
                lambda: sum(r.name == "imgfan.local.sqs" for r in caplog.records) >= 2,
                what="repeated error logs",
            )
            assert p._supervisor is not None and p._supervisor.is_alive()
        finally:
            p.stop()


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"", set()),
        (b"null", set()),
        (b"{}", set()),
        (b'{"batchItemFailures": null}', set()),
        (b'{"batchItemFailures": []}', set()),
        (b'{"batchItemFailures": [{"itemIdentifier": "b"}]}', {"b"}),
        (b"not json", {"a", "b"}),
        (b'"ok"', {"a", "b"}),
        (b'{"batchItemFailures": {"itemIdentifier": "b"}}', {"a", "b"}),
        (b'{"batchItemFailures": [{"itemIdentifier": "zzz"}]}', {"a", "b"}),
        (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', {"a", "b"}),
        (b'{"batchItemFailures": [{"itemIdentifier": null}]}', {"a", "b"}),
        (b'{"batchItemFailures": [{"id": "b"}]}', {"a", "b"}),
    ],
)
def test_batch_item_failure_rules(payload, expected):
    assert failed_message_ids(payload, ["a", "b"]) == expected
