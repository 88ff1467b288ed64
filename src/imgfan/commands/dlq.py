"""``imgfan dlq list|redrive``: inspect the dead-letter queue and send its messages back.

Redrive is safe to repeat: the dispatcher names executions deterministically, so a message
whose image was handed over after all meets ExecutionAlreadyExists and counts as success.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from imgfan.commands import CommandError
from imgfan.commands.presets import aws_errors
from imgfan_core.events import is_test_event
from imgfan_core.keys import decode_event_key

BODY_PREVIEW_CHARS = 200
# Long enough to finish a listing or one send+delete; short so an interrupted run hides
# messages only briefly.
_HOLD_SECONDS = 30
# Long polling asks every SQS server, so an empty answer means an empty queue.
_WAIT_SECONDS = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    from imgfan.aws import add_cloud_arguments

    parser = subparsers.add_parser("dlq", help="list or redrive the dead-letter queue")
    actions = parser.add_subparsers(dest="dlq_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="show dead-letter messages without consuming them")
    listing.add_argument("--max", type=int, default=100, metavar="N", help="show at most N (default 100)")
    add_cloud_arguments(listing)
    listing.set_defaults(handler=cmd_list)
    redrive = actions.add_parser("redrive", help="move every dead-letter message back to the source queue")
    redrive.add_argument("--yes", action="store_true", help="move them (without it: show what would move)")
    add_cloud_arguments(redrive)
    redrive.set_defaults(handler=cmd_redrive)


# ---- message bodies ---------------------------------------------------------------------------


def describe_body(body: str) -> list[str]:
    """What an S3 notification names: ``["ObjectCreated:Put s3://bucket/key", ...]``.

    Anything else (not JSON, not S3-shaped) is "unparseable body" plus the start of the text,
    so a person can still tell what landed there.
    """
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if is_test_event(document):
        return [f"s3:TestEvent for bucket {document.get('Bucket')}"]
    records = document.get("Records") if isinstance(document, dict) else None
    described = []
    for record in records if isinstance(records, list) else []:
        try:
            s3 = record["s3"]
            bucket, key = s3["bucket"]["name"], decode_event_key(s3["object"]["key"])
        except (KeyError, TypeError):
            continue
        described.append(f"{record.get('eventName', '?')} s3://{bucket}/{key}")
    if not described:
        return [f"unparseable body: {body[:BODY_PREVIEW_CHARS]!r}"]
    return described


def sent_time(message: dict[str, Any]) -> str:
    millis = message.get("Attributes", {}).get("SentTimestamp")
    if not millis:
        return "?"
    return datetime.fromtimestamp(int(millis) / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


# ---- queue access -----------------------------------------------------------------------------


def receive(sqs: Any, queue_url: str, limit: int) -> Iterator[dict[str, Any]]:
    """Receive up to ``limit`` distinct messages; each stays hidden for _HOLD_SECONDS."""
    seen = 0
    while seen < limit:
        with aws_errors(f"receiving from {queue_url}"):
            messages = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(10, limit - seen),
                VisibilityTimeout=_HOLD_SECONDS,
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
    for start in range(0, len(messages), 10):
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(messages[start : start + 10])
        ]
        with aws_errors(f"releasing messages in {queue_url}"):
            sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)


def peek(sqs: Any, queue_url: str, limit: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    try:
        for message in receive(sqs, queue_url, limit):
            messages.append(message)
    finally:
        if messages:
            release(sqs, queue_url, messages)
    return messages


def print_messages(messages: list[dict[str, Any]]) -> None:
    for message in messages:
        attributes = message.get("Attributes", {})
        print(
            f"{message['MessageId']}  received {attributes.get('ApproximateReceiveCount', '?')}x  "
            f"sent {sent_time(message)}"
        )
        for line in describe_body(message.get("Body", "")):
            print(f"    {line}")


def _queues(args: argparse.Namespace) -> tuple[Any, str, str]:
    from imgfan.aws import OUTPUT_DLQ_URL, OUTPUT_QUEUE_URL, Cloud

    cloud = Cloud.from_args(args)
    return cloud.client("sqs"), cloud.output(OUTPUT_DLQ_URL), cloud.output(OUTPUT_QUEUE_URL)


# ---- commands ---------------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    if args.max < 1:
        raise CommandError("--max must be at least 1")
    sqs, dlq_url, _ = _queues(args)
    messages = peek(sqs, dlq_url, args.max)
    if not messages:
        print(f"dead-letter queue {dlq_url} is empty")
        return 0
    print_messages(messages)
    more = " (--max reached; there may be more)" if len(messages) == args.max else ""
    # Peeking counts as a receive: the counts above include this look.
    print(f"{len(messages)} message(s) in {dlq_url}{more}")
    return 0


def cmd_redrive(args: argparse.Namespace) -> int:
    from imgfan.progress import Progress

    sqs, dlq_url, queue_url = _queues(args)
    if not args.yes:
        messages = peek(sqs, dlq_url, 100)
        if not messages:
            print(f"dead-letter queue {dlq_url} is empty; nothing to redrive")
            return 0
        print_messages(messages)
        more = " or more" if len(messages) == 100 else ""
        raise CommandError(
            f"{len(messages)}{more} message(s) would move from {dlq_url} to {queue_url}; "
            "pass --yes to move them"
        )

    progress = Progress()
    # A message that fails again comes back to the dead-letter queue as a new message sent
    # after this moment; leaving it there keeps a poison message from looping forever.
    started_ms = int(time.time() * 1000)
    moved, came_back = 0, []
    try:
        for message in receive(sqs, dlq_url, limit=10**9):
            if int(message.get("Attributes", {}).get("SentTimestamp", 0)) >= started_ms:
                came_back.append(message)
                continue
            request: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                request["MessageAttributes"] = message["MessageAttributes"]
            with aws_errors(f"sending to {queue_url}"):
                sqs.send_message(**request)
            with aws_errors(f"deleting from {dlq_url}"):
                sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
            progress.update(f"moved {moved}: {message['MessageId']}")
    finally:
        progress.done()
        if came_back:
            release(sqs, dlq_url, came_back)
    print(f"moved {moved} message(s) from {dlq_url} to {queue_url}")
    if came_back:
        print(
            f"{len(came_back)} message(s) failed again during the redrive and stayed in the dead-letter queue"
        )
    return 0
