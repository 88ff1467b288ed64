"""Putting backfill messages on the event queue: SendMessageBatch, 10 at a time, nothing dropped.

SendMessageBatch can succeed for some entries and fail for others (``Failed``). Those are sent
again with backoff; a message still refused after the last attempt, or refused for a fault of
the sender's own (too big, malformed), stops the backfill instead of being skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from imgfan.aws import attempting
from imgfan.backfill.planning import Planned
from imgfan.backfill.rate import RateLimiter
from imgfan_core.events import backfill_notification

BATCH = 10  # SQS's limit per SendMessageBatch
ATTEMPTS = 5
FIRST_BACKOFF_S = 0.2


class EnqueueFailed(Exception):
    """Messages the queue kept refusing; nothing of their page counts as handed over."""


def message_body(planned: Planned, region: str, sent_at: datetime, marker: str) -> str:
    source = planned.request.input.source
    return backfill_notification(source.bucket, source.key, source.bytes or 0, source.etag or "", region,
                                 sent_at, marker)


def send_message_batch(sqs: Any, queue_url: str, entries: list[dict[str, str]]) -> dict[str, Any]:
    """One SendMessageBatch call."""
    with attempting(f"sending backfill messages to {queue_url}"):
        return sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)


class QueueSender:
    def __init__(self, sqs: Any, queue_url: str, limiter: RateLimiter,
                 sleep: Callable[[float], None] = time.sleep, attempts: int = ATTEMPTS):
        self.sqs, self.queue_url, self.limiter = sqs, queue_url, limiter
        self._sleep, self.attempts = sleep, attempts

    def send(self, bodies: list[str]) -> None:
        """Every body onto the queue, or EnqueueFailed."""
        for start in range(0, len(bodies), BATCH):
            batch = bodies[start:start + BATCH]
            self.limiter.acquire(len(batch))
            self._send_batch(batch)

    def _send_batch(self, bodies: list[str]) -> None:
        pending = {str(index): body for index, body in enumerate(bodies)}
        for attempt in range(1, self.attempts + 1):
            entries = [{"Id": entry_id, "MessageBody": body} for entry_id, body in pending.items()]
            response = send_message_batch(self.sqs, self.queue_url, entries)
            for sent in response.get("Successful", []):
                pending.pop(sent["Id"], None)
            if not pending:
                return
            failed = response.get("Failed", [])
            if attempt == self.attempts or any(f.get("SenderFault") for f in failed):
                raise EnqueueFailed(_refusal(self.queue_url, len(pending), attempt, failed))
            self._sleep(FIRST_BACKOFF_S * 2 ** (attempt - 1))


def _refusal(queue_url: str, count: int, attempts: int, failed: list[dict[str, Any]]) -> str:
    reason = f"{failed[0].get('Code')}: {failed[0].get('Message')}" if failed else "no answer for them"
    return f"{queue_url} refused {count} message(s) after {attempts} attempt(s) ({reason})"
