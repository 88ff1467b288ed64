"""The event queue and its dead-letter queue: looking at messages, and moving them back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from imgfan.aws import attempting

# Long enough to finish a listing or one send+delete; short so an interrupted run hides
# messages only briefly.
HOLD_SECONDS = 30
# Long polling asks every SQS server, so an empty answer means an empty queue.
_WAIT_SECONDS = 1
_BATCH = 10  # SQS's limit per receive and per batch call


def receive(sqs: Any, queue_url: str, limit: int) -> Iterator[dict[str, Any]]:
    """Receive up to ``limit`` distinct messages; each stays hidden for HOLD_SECONDS."""
    seen = 0
    while seen < limit:
        with attempting(f"receiving from {queue_url}"):
            messages = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(_BATCH, limit - seen),
                VisibilityTimeout=HOLD_SECONDS,
                WaitTimeSeconds=_WAIT_SECONDS,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
        if not messages:
            return
        for message in messages:
            seen += 1
            yield message


def release(sqs: Any, queue_url: str, messages: list[dict[str, Any]]) -> None:
    """Make received messages visible again at once, as if nobody had looked."""
    for start in range(0, len(messages), _BATCH):
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(messages[start : start + _BATCH])
        ]
        with attempting(f"releasing messages in {queue_url}"):
            sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)


def peek(sqs: Any, queue_url: str, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` messages, left in the queue (each look counts as a receive)."""
    messages: list[dict[str, Any]] = []
    try:
        for message in receive(sqs, queue_url, limit):
            messages.append(message)  # noqa: PERF402 - one at a time, so a failed receive still releases what came
    finally:
        if messages:
            release(sqs, queue_url, messages)
    return messages


@dataclass
class RedriveResult:
    moved: int = 0
    # Messages that failed again while the redrive ran: left in the dead-letter queue.
    came_back: list[dict[str, Any]] = field(default_factory=list)


def redrive(
    sqs: Any,
    dlq_url: str,
    queue_url: str,
    on_moved: Callable[[int, dict[str, Any]], None] = lambda moved, message: None,
) -> RedriveResult:
    """Move every dead-letter message back to the queue, body and message attributes alike.

    A message that fails again comes back to the dead-letter queue as a new message sent after
    the redrive started; leaving it there keeps a poison message from looping forever.
    """
    started_ms = int(time.time() * 1000)
    result = RedriveResult()
    try:
        for message in receive(sqs, dlq_url, limit=10**9):
            if int(message.get("Attributes", {}).get("SentTimestamp", 0)) >= started_ms:
                result.came_back.append(message)
                continue
            _move(sqs, message, dlq_url, queue_url)
            result.moved += 1
            on_moved(result.moved, message)
    finally:
        if result.came_back:
            release(sqs, dlq_url, result.came_back)
    return result


def _move(sqs: Any, message: dict[str, Any], from_url: str, to_url: str) -> None:
    request: dict[str, Any] = {"QueueUrl": to_url, "MessageBody": message["Body"]}
    if message.get("MessageAttributes"):
        request["MessageAttributes"] = message["MessageAttributes"]
    with attempting(f"sending to {to_url}"):
        sqs.send_message(**request)
    with attempting(f"deleting from {from_url}"):
        sqs.delete_message(QueueUrl=from_url, ReceiptHandle=message["ReceiptHandle"])
