"""SQS event-source poller that behaves like AWS Lambda's SQS event source mapping.

moto's own mapping (disabled by imgfan.local.moto.sqs_lambda_trigger)
invokes inside SendMessage, one message at a time. This poller instead reads the mappings
from the Lambda API and, per enabled SQS mapping, long-polls the queue, gathers a batch
(BatchSize, MaximumBatchingWindowInSeconds), invokes the function synchronously, and deletes
only what succeeded. Undeleted messages reappear after the queue's visibility timeout, and
moto's SQS moves them to the dead-letter queue on the receive after maxReceiveCount
(moto 5.2.5 implements that redrive in SqsBackend.receive_message, so the poller does not).
An Invoke that is throttled or fails in the service (the function never ran) is retried with
backoff while the batch is still hidden, as Lambda's pollers do. The ``duplicate`` fault
(imgfan.local.faults) puts a processed message back instead of deleting it, once.
"""

from __future__ import annotations

import base64
import json
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from imgfan.local.faults import FaultInjector
from imgfan.local.tally import Tally

logger = logging.getLogger("imgfan.local.sqs")

# SQS caps ReceiveMessage at 10 messages.
_MAX_RECEIVE = 10
# Short long-polls keep stop() prompt while still not spinning.
_WAIT_SECONDS = 1
_REFRESH_SECONDS = 2.0
_MAX_BACKOFF_SECONDS = 5.0
_MIN_RETRY_SECONDS = 0.2
# Lambda allows functions up to 900 s; the HTTP read must outlast the function, not cut it off.
_INVOKE_READ_TIMEOUT = 910
# System attributes that Lambda copies into each record (the first four are always present).
_RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "AWSTraceHeader",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
)


@dataclass(frozen=True)
class Mapping:
    uuid: str
    queue_arn: str
    function_arn: str
    batch_size: int
    window_seconds: float
    report_item_failures: bool

    @property
    def region(self) -> str:
        return self.queue_arn.split(":")[3]

    @classmethod
    def from_api(cls, esm: dict[str, Any]) -> Mapping:
        return cls(
            uuid=esm["UUID"],
            queue_arn=esm["EventSourceArn"],
            function_arn=esm["FunctionArn"],
            batch_size=int(esm.get("BatchSize") or 10),
            window_seconds=float(esm.get("MaximumBatchingWindowInSeconds") or 0),
            report_item_failures="ReportBatchItemFailures" in (esm.get("FunctionResponseTypes") or []),
        )


def _is_enabled_sqs(esm: dict[str, Any]) -> bool:
    if esm.get("EventSourceArn", "").split(":")[2:3] != ["sqs"]:
        return False
    # AWS reports State; older shapes only had Enabled. "Enabling"/"Updating" still poll.
    state = esm.get("State")
    if state is not None:
        return state in ("Enabled", "Enabling", "Updating", "Creating")
    return bool(esm.get("Enabled", True))


def build_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda passes to a function for a batch of SQS messages."""
    return {"Records": [_record(m, queue_arn) for m in messages]}


def _record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    attributes = message.get("Attributes", {})
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {k: attributes[k] for k in _RECORD_ATTRIBUTES if k in attributes},
        "messageAttributes": {
            name: _record_message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _record_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    # Lambda spells message attributes in camelCase with base64 binaries; boto3 gives bytes.
    converted: dict[str, Any] = {
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": [_b64(b) for b in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        converted["binaryValue"] = _b64(value["BinaryValue"])
    return converted


def _b64(data: bytes | str) -> str:
    return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()


def failed_message_ids(payload: bytes, message_ids: list[str]) -> set[str]:
    """Message ids to keep after a successful invoke with ReportBatchItemFailures.

    Mirrors Lambda's documented rules: a null/empty response or a null/empty
    batchItemFailures list is complete success; anything malformed (not JSON, wrong shape,
    missing or empty itemIdentifier, an id not in the batch) fails the whole batch.
    """
    everything = set(message_ids)
    if not payload.strip():
        return set()
    try:
        response = json.loads(payload)
    except ValueError:
        return everything
    if response is None:
        return set()
    if not isinstance(response, dict):
        return everything
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return everything
    keep: set[str] = set()
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in everything:
            return everything
        keep.add(identifier)
    return keep


class SqsEventSourcePoller:
    """Polls every enabled SQS event source mapping and invokes its function like Lambda does."""

    def __init__(self, endpoint_url: str, region: str = "us-east-1", faults: FaultInjector | None = None):
        self.endpoint_url = endpoint_url
        self.region = region
        self.faults = faults or FaultInjector()
        self.tally = Tally()
        # Fixed dummy credentials: the embedded cloud ignores them, and the user's real ones
        # must never be picked up (or needed) for a local poller.
        self._session = boto3.session.Session(
            aws_access_key_id="imgfan-local",
            aws_secret_access_key="imgfan-local",
            region_name=region,
        )
        # Made once: building a boto3 client costs tens of milliseconds of CPU. Clients are
        # thread-safe; the session that makes them is not.
        self._sqs = self._client("sqs")
        self._lambda = self._client("lambda")
        # One attempt per call: a retried Invoke would run the function twice, and throttles are
        # retried by _invoke, within the batch's visibility timeout.
        self._invoker = self._client("lambda", read_timeout=_INVOKE_READ_TIMEOUT, attempts=1)
        # Messages already delivered twice by the duplicate fault, so none is duplicated forever.
        self._duplicated: deque[str] = deque(maxlen=10_000)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: dict[str, tuple[Mapping, threading.Thread, threading.Event]] = {}
        self._in_flight = 0
        self._supervisor: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        if self._supervisor is not None:
            return
        self._stop.clear()
        self._supervisor = threading.Thread(target=self._supervise, name="imgfan-sqs-poller", daemon=True)
        self._supervisor.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        threads = [t for _, t, _ in list(self._workers.values())]
        if self._supervisor is not None:
            threads.append(self._supervisor)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._supervisor = None
        self._workers.clear()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_until_idle(self, timeout: float = 30.0) -> bool:
        """True once every polled queue is empty and no batch is being processed.

        Messages left after a failure count as work: they come back after the visibility
        timeout, so this also waits for retries and the move to the dead-letter queue.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self._is_idle(self._sqs):
                    return True
            except Exception:
                logger.debug("idle check failed; retrying", exc_info=True)
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def _is_idle(self, sqs: Any) -> bool:
        with self._lock:
            if self._in_flight:
                return False
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        # Every mapped queue, not just those with a worker yet: a mapping the supervisor has
        # not picked up still has work waiting. Received messages are invisible, so a batch
        # between receive and delete shows up here as well.
        for mapping in self._list_mappings():
            queue_url = self._queue_url(sqs, mapping)
            attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)
            if any(int(attributes["Attributes"].get(n, 0)) for n in names):
                return False
        with self._lock:
            return self._in_flight == 0

    # -- discovery -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Start workers for new enabled mappings and stop those deleted or disabled."""
        wanted = {m.uuid: m for m in self._list_mappings()}
        with self._lock:
            for uuid, (mapping, thread, stop) in list(self._workers.items()):
                if wanted.get(uuid) != mapping or not thread.is_alive():
                    stop.set()
                    del self._workers[uuid]
            for uuid, mapping in wanted.items():
                if uuid not in self._workers and not self._stop.is_set():
                    stop = threading.Event()
                    thread = threading.Thread(
                        target=self._run_mapping,
                        args=(mapping, stop),
                        name=f"imgfan-sqs-{mapping.queue_arn.rsplit(':', 1)[-1]}",
                        daemon=True,
                    )
                    self._workers[uuid] = (mapping, thread, stop)
                    thread.start()
                    logger.info(
                        "polling %s for %s (batch %d, window %ss, item failures %s)",
                        mapping.queue_arn,
                        mapping.function_arn,
                        mapping.batch_size,
                        mapping.window_seconds,
                        mapping.report_item_failures,
                    )

    def _list_mappings(self) -> list[Mapping]:
        paginator = self._lambda.get_paginator("list_event_source_mappings")
        found = []
        for page in paginator.paginate():
            found.extend(Mapping.from_api(e) for e in page["EventSourceMappings"] if _is_enabled_sqs(e))
        return found

    def _supervise(self) -> None:
        backoff = _Backoff()
        while not self._stop.is_set():
            try:
                self.refresh()
                backoff.reset()
                self._stop.wait(_REFRESH_SECONDS)
            except Exception:  # noqa: BLE001 - like Lambda's poller: any error is waited out, never fatal
                if self._stop.is_set():
                    break
                backoff.wait_after_error(self._stop, "listing event source mappings")
        with self._lock:
            for _, _, stop in self._workers.values():
                stop.set()

    # -- one mapping ---------------------------------------------------------------------

    def _run_mapping(self, mapping: Mapping, stop: threading.Event) -> None:
        sqs = self._sqs
        backoff = _Backoff()
        stopping = lambda: stop.is_set() or self._stop.is_set()
        queue_url: str | None = None
        while not stopping():
            try:
                if queue_url is None:
                    queue_url = self._queue_url(sqs, mapping)
                batch = self._gather(sqs, queue_url, mapping, stopping)
                if batch:
                    try:
                        self._process(sqs, queue_url, mapping, batch, stopping)
                    finally:
                        with self._lock:
                            self._in_flight -= 1
                backoff.reset()
            except Exception:  # noqa: BLE001 - like Lambda's poller: any error is waited out, never fatal
                if stopping():
                    break
                backoff.wait_after_error(stop, f"polling {mapping.queue_arn}")

    def _gather(self, sqs: Any, queue_url: str, mapping: Mapping, stopping: Any) -> list[dict[str, Any]]:
        """Receive until the batch is full or the batching window, counted from the first message, ends."""
        batch: dict[str, dict[str, Any]] = {}
        deadline: float | None = None
        try:
            while not stopping() and len(batch) < mapping.batch_size:
                if deadline is not None and time.monotonic() >= deadline:
                    break
                response = sqs.receive_message(
                    QueueUrl=queue_url,
                    MaxNumberOfMessages=min(_MAX_RECEIVE, mapping.batch_size - len(batch)),
                    WaitTimeSeconds=_WAIT_SECONDS,
                    AttributeNames=["All"],
                    MessageSystemAttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
                messages = response.get("Messages", [])
                if messages and not batch:
                    with self._lock:
                        self._in_flight += 1
                    deadline = time.monotonic() + mapping.window_seconds
                for message in messages:
                    # Seen twice (its visibility expired while gathering): keep the newest handle.
                    batch[message["MessageId"]] = message
                if batch and mapping.window_seconds == 0:
                    break
            if stopping():
                # Leave them for the visibility timeout, as Lambda does when a poller goes away.
                raise _Abandoned
        except BaseException as exc:
            if batch:
                with self._lock:
                    self._in_flight -= 1
            if isinstance(exc, _Abandoned):
                return []
            raise
        return list(batch.values())

    def _process(self, sqs: Any, queue_url: str, mapping: Mapping, batch: list[dict[str, Any]],
                 stopping: Callable[[], bool]) -> None:
        ids = [m["MessageId"] for m in batch]
        self.tally.add("batches")
        # The batch has been hidden since its first message arrived, at most a window ago.
        received = time.monotonic() - mapping.window_seconds
        response = self._invoke(sqs, queue_url, mapping, build_event(batch, mapping.queue_arn), received, stopping)
        if response is None:
            return
        payload = response["Payload"].read()
        logger.debug("invoked %s with %d messages", mapping.function_arn, len(batch))
        if response.get("FunctionError"):
            self.tally.add("function_errors")
            logger.warning(
                "%s failed on a batch of %d from %s; messages return after the visibility timeout: %s",
                mapping.function_arn,
                len(batch),
                mapping.queue_arn,
                payload[:500].decode(errors="replace"),
            )
            return
        keep = failed_message_ids(payload, ids) if mapping.report_item_failures else set()
        if keep:
            self.tally.add("item_failures", len(keep))
            logger.info(
                "%s reported %d of %d messages as failed", mapping.function_arn, len(keep), len(batch)
            )
        done = [m for m in batch if m["MessageId"] not in keep]
        again = [m for m in done if self._deliver_again(m["MessageId"])]
        self._delete(sqs, queue_url, [m for m in done if m not in again])
        for message in again:
            # SQS is at-least-once: this message comes back as if its delete had been lost.
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"],
                                          VisibilityTimeout=0)

    def _invoke(self, sqs: Any, queue_url: str, mapping: Mapping, event: dict[str, Any], received: float,
                stopping: Callable[[], bool]) -> dict[str, Any] | None:
        """Invoke like Lambda's event source: a throttled or failed Invoke (the function never ran)
        is retried with backoff until the batch's visibility timeout runs out. None if it did."""
        delay = _MIN_RETRY_SECONDS
        deadline: float | None = None
        while True:
            try:
                return self._invoker.invoke(
                    FunctionName=mapping.function_arn, InvocationType="RequestResponse",
                    Payload=json.dumps(event).encode(),
                )
            except ClientError as exc:
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if status != 429 and status < 500:
                    raise
                if deadline is None:  # read now: someone may have changed it since the mapping started
                    deadline = received + self._visibility_timeout(sqs, queue_url) - 1
                if stopping() or time.monotonic() + delay >= deadline:
                    logger.warning("%s: Invoke kept failing (%s); the batch returns after the visibility "
                                   "timeout", mapping.function_arn, exc)
                    return None
                self.tally.add("invoke_retries")
                logger.info("%s: Invoke failed (%s); retrying in %.1fs", mapping.function_arn, exc, delay)
                time.sleep(delay)
                delay = min(_MAX_BACKOFF_SECONDS, delay * 2)

    def _deliver_again(self, message_id: str) -> bool:
        if message_id in self._duplicated or not self.faults.roll("duplicate"):
            return False
        self._duplicated.append(message_id)
        self.tally.add("delivered_twice")
        return True

    @staticmethod
    def _delete(sqs: Any, queue_url: str, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), _MAX_RECEIVE):
            chunk = messages[start : start + _MAX_RECEIVE]
            result = sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
            for failure in result.get("Failed", []):
                # Usually a stale receipt handle: the message will simply be delivered again.
                logger.warning("could not delete message from %s: %s", queue_url, failure)

    # -- helpers -------------------------------------------------------------------------

    def _client(self, service: str, read_timeout: int = 30, attempts: int = 3) -> Any:
        config = Config(read_timeout=read_timeout, retries={"mode": "standard", "total_max_attempts": attempts})
        return self._session.client(service, endpoint_url=self.endpoint_url, config=config)

    @staticmethod
    def _queue_url(sqs: Any, mapping: Mapping) -> str:
        _, _, _, _, account, name = mapping.queue_arn.split(":", 5)
        return sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]

    @staticmethod
    def _visibility_timeout(sqs: Any, queue_url: str) -> int:
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])
        return int(attributes["Attributes"]["VisibilityTimeout"])


class _Abandoned(Exception):
    """The poller stopped while a batch was being gathered."""


class _Backoff:
    """Exponential back-off that logs the first failure in full and later ones briefly."""

    def __init__(self) -> None:
        self._delay = 0.0

    def reset(self) -> None:
        self._delay = 0.0

    def wait_after_error(self, stop: threading.Event, doing: str) -> None:
        if self._delay == 0.0:
            logger.exception("error while %s; retrying", doing)
        else:
            # The traceback was logged once already; repeating it every few seconds only buries it.
            logger.warning("still failing while %s: %s", doing, sys.exc_info()[1])
        self._delay = min(_MAX_BACKOFF_SECONDS, max(0.2, self._delay * 2))
        stop.wait(self._delay)
