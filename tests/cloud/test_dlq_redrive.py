"""``imgfan dlq redrive`` against a bare moto server, with queues made here and a stack naming them.

The CLI runs as a user runs it, in its own process: a redrive that loops would then fail the
test when its time runs out instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

pytestmark = pytest.mark.cloud

# The most a redrive of a few messages may take before it counts as looping.
REDRIVE_LIMIT_SECONDS = 120

ATTRIBUTES = {
    "origin": {"DataType": "String", "StringValue": "s3 event, retried"},
    "attempt": {"DataType": "Number", "StringValue": "3"},
    "digest": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe"},
}


def deploy_stack(aws, queue_url: str, dlq_url: str) -> str:
    """A stack whose outputs name the queues, as the imgfan stack's do."""
    name = f"Imgfan{uuid.uuid4().hex[:8]}"
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"QueueUrl": {"Value": queue_url}, "DeadLetterQueueUrl": {"Value": dlq_url}},
    }
    aws("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))
    return name


def imgfan(moto_endpoint: str, stack: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "imgfan.cli", *argv, "--endpoint-url", moto_endpoint, "--stack-name", stack],
        check=False, capture_output=True, text=True, timeout=REDRIVE_LIMIT_SECONDS, env=os.environ.copy(),
    )


def drain(sqs, url: str) -> list[dict]:
    """Every message in the queue, deleted, with its message attributes."""
    drained = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=30,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return drained
        for message in messages:
            drained.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def attributes_of(message: dict) -> dict:
    """Message attributes as sent: the type and the one value field each carries."""
    return {name: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
            for name, value in message.get("MessageAttributes", {}).items()}


@pytest.fixture
def queues(aws):
    sqs = aws("sqs")
    suffix = uuid.uuid4().hex[:8]
    dlq = sqs.create_queue(QueueName=f"imgfan-dlq-{suffix}")["QueueUrl"]
    queue = sqs.create_queue(QueueName=f"imgfan-events-{suffix}")["QueueUrl"]
    return sqs, queue, dlq


def test_redrive_keeps_bodies_and_message_attributes(moto_endpoint, aws, queues):
    sqs, queue, dlq = queues
    stack = deploy_stack(aws, queue, dlq)
    sqs.send_message(QueueUrl=dlq, MessageBody="with attributes", MessageAttributes=ATTRIBUTES)
    sqs.send_message(QueueUrl=dlq, MessageBody="plain")

    done = imgfan(moto_endpoint, stack, "dlq", "redrive", "--yes")

    assert done.returncode == 0, done.stderr
    assert f"moved 2 message(s) from {dlq} to {queue}" in done.stdout
    assert "failed again" not in done.stdout
    moved = {m["Body"]: attributes_of(m) for m in drain(sqs, queue)}
    assert moved == {"with attributes": ATTRIBUTES, "plain": {}}
    assert drain(sqs, dlq) == []


def test_a_message_that_fails_again_during_the_redrive_stays_in_the_dead_letter_queue(
    moto_endpoint, aws, queues
):
    """The stack's event queue here is the dead-letter queue itself: every message the redrive
    sends arrives straight back in the dead-letter queue, as one that fails again at once does
    (sent after the redrive started). It must stay there, not be moved round and round."""
    sqs, _, dlq = queues
    stack = deploy_stack(aws, dlq, dlq)
    originals = {
        sqs.send_message(QueueUrl=dlq, MessageBody="poison", MessageAttributes=ATTRIBUTES)["MessageId"],
        sqs.send_message(QueueUrl=dlq, MessageBody="also poison")["MessageId"],
    }

    done = imgfan(moto_endpoint, stack, "dlq", "redrive", "--yes")

    assert done.returncode == 0, done.stderr
    assert f"moved 2 message(s) from {dlq} to {dlq}" in done.stdout
    assert "2 message(s) failed again during the redrive and stayed in the dead-letter queue" in done.stdout
    left = drain(sqs, dlq)
    assert sorted(m["Body"] for m in left) == ["also poison", "poison"]
    assert originals.isdisjoint(m["MessageId"] for m in left)  # the copies the redrive sent, once each
    assert {m["Body"]: attributes_of(m) for m in left}["poison"] == ATTRIBUTES
