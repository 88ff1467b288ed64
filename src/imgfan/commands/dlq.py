"""``imgfan dlq list|redrive``: inspect the dead-letter queue and send its messages back.

Redrive is safe to repeat: the dispatcher names executions deterministically, so a message
whose image was handed over after all meets ExecutionAlreadyExists and counts as success.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from imgfan.aws import add_cloud_arguments
from imgfan.commands import CommandError
from imgfan.commands.progress import Progress
from imgfan.live import Stack, peek, redrive
from imgfan_core.events import is_test_event
from imgfan_core.keys import decode_event_key
from imgfan_core.stack_names import Output

BODY_PREVIEW_CHARS = 200
_PREVIEW_MESSAGES = 100


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("dlq", help="list or redrive the dead-letter queue")
    actions = parser.add_subparsers(dest="dlq_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="show dead-letter messages without consuming them")
    listing.add_argument("--max", type=int, default=100, metavar="N", help="show at most N (default 100)")
    add_cloud_arguments(listing)
    listing.set_defaults(handler=cmd_list)
    redrive_parser = actions.add_parser(
        "redrive", help="move every dead-letter message back to the source queue"
    )
    redrive_parser.add_argument(
        "--yes", action="store_true", help="move them (without it: show what would move)"
    )
    add_cloud_arguments(redrive_parser)
    redrive_parser.set_defaults(handler=cmd_redrive)


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
    return datetime.fromtimestamp(int(millis) / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def print_messages(messages: list[dict[str, Any]]) -> None:
    for message in messages:
        attributes = message.get("Attributes", {})
        print(
            f"{message['MessageId']}  received {attributes.get('ApproximateReceiveCount', '?')}x  "
            f"sent {sent_time(message)}"
        )
        for line in describe_body(message.get("Body", "")):
            print(f"    {line}")


# ---- commands ---------------------------------------------------------------------------------


def _queues(args: argparse.Namespace) -> tuple[Any, str, str]:
    """(SQS client, dead-letter queue URL, event queue URL)."""
    stack = Stack.from_args(args)
    return stack.client("sqs"), stack.output(Output.DEAD_LETTER_QUEUE_URL), stack.output(Output.QUEUE_URL)


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
    sqs, dlq_url, queue_url = _queues(args)
    if not args.yes:
        return _preview_redrive(sqs, dlq_url, queue_url)
    progress = Progress()

    def report(moved: int, message: dict[str, Any]) -> None:
        progress.update(f"moved {moved}: {message['MessageId']}")

    try:
        result = redrive(sqs, dlq_url, queue_url, on_moved=report)
    finally:
        progress.done()
    print(f"moved {result.moved} message(s) from {dlq_url} to {queue_url}")
    if result.came_back:
        print(
            f"{len(result.came_back)} message(s) failed again during the redrive and stayed in the "
            "dead-letter queue"
        )
    return 0


def _preview_redrive(sqs: Any, dlq_url: str, queue_url: str) -> int:
    messages = peek(sqs, dlq_url, _PREVIEW_MESSAGES)
    if not messages:
        print(f"dead-letter queue {dlq_url} is empty; nothing to redrive")
        return 0
    print_messages(messages)
    more = " or more" if len(messages) == _PREVIEW_MESSAGES else ""
    raise CommandError(
        f"{len(messages)}{more} message(s) would move from {dlq_url} to {queue_url}; pass --yes to move them"
    )
