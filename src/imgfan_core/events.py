"""The dispatcher's input: SQS records whose body is an S3 event notification, or the same event
as EventBridge delivers it (a construct with ``trigger="eventbridge"``).

Powertools' own models, relaxed where imgfan reads nothing: real S3 also sends identity,
request and response details; S3 emulators (moto among them) leave those out, and a missing
field we never read must not send a good upload to the DLQ.

``imgfan backfill`` puts notifications of the same shape on the same queue, one per listed
object, named ``ObjectCreated:Backfill``: the dispatcher plans them as the CLI planned them
(``ObjectEvent.listed``), so both arrive at the same execution name.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.parser.models.s3 import (
    S3Bucket,
    S3EventNotificationEventBridgeModel,
    S3Identity,
    S3Message,
    S3Model,
    S3OwnerIdentify,
    S3RecordModel,
    S3RequestParameters,
    S3ResponseElements,
)
from pydantic import BaseModel, ConfigDict, Json

from imgfan_core.dispatch import ObjectEvent
from imgfan_core.keys import decode_event_key, encode_event_key

TEST_EVENT = "s3:TestEvent"
BACKFILL_EVENT = "ObjectCreated:Backfill"
# In place of the id of the bucket's notification configuration that real S3 events carry.
BACKFILL_CONFIGURATION_ID = "imgfan-backfill"


class S3NotificationBucket(S3Bucket):
    ownerIdentity: S3OwnerIdentify | None = None  # type: ignore[assignment]


class S3NotificationMessage(S3Message):
    bucket: S3NotificationBucket


class S3NotificationRecord(S3RecordModel):
    userIdentity: S3Identity | None = None  # type: ignore[assignment]
    requestParameters: S3RequestParameters | None = None  # type: ignore[assignment]
    responseElements: S3ResponseElements | None = None  # type: ignore[assignment]
    s3: S3NotificationMessage


class S3Notification(S3Model):
    Records: list[S3NotificationRecord]  # type: ignore[assignment]

    def object_events(self) -> list[ObjectEvent]:
        return [_object_event(record) for record in self.Records]


class S3TestEvent(BaseModel):
    """What S3 sends once when notifications are configured; it names no object."""

    model_config = ConfigDict(extra="allow")
    Event: Literal["s3:TestEvent"]


class S3EventBridgeNotification(S3EventNotificationEventBridgeModel):
    """One S3 event as an EventBridge rule puts it on the queue
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html). Its key is the key
    itself, not URL-encoded as in notifications; its event names are S3's notification names
    ("ObjectCreated:" + the API that wrote it), so both shapes plan the same execution."""

    def object_events(self) -> list[ObjectEvent]:
        detail = self.detail
        if self.detail_type == "Object Created":
            name = f"ObjectCreated:{detail.reason or 'Put'}"
        elif self.detail_type == "Object Deleted":
            deleted = "DeleteMarkerCreated" if detail.deletion_type == "Delete Marker Created" else "Delete"
            name = f"ObjectRemoved:{deleted}"
        else:
            return []
        s3_object = detail.object
        return [ObjectEvent(
            name=name,
            bucket=detail.bucket.name,
            key=s3_object.key,
            size=int(s3_object.size) if s3_object.size is not None else None,
            etag=s3_object.etag or None,
            version_id=_version_of(s3_object.version_id),
            marker=s3_object.sequencer or self.time.isoformat(),
        )]


class S3EventQueueRecord(SqsRecordModel):
    body: Json[S3Notification | S3EventBridgeNotification | S3TestEvent]


def _object_event(record: S3NotificationRecord) -> ObjectEvent:
    s3_object = record.s3.object
    if s3_object is None:
        raise ValueError(f"the {record.eventName} record names no object")
    return ObjectEvent(
        name=record.eventName,
        bucket=record.s3.bucket.name,
        key=decode_event_key(s3_object.key),
        size=int(s3_object.size) if s3_object.size is not None else None,
        etag=s3_object.eTag,
        version_id=_version_of(s3_object.versionId),
        marker=s3_object.sequencer or _marker_without_sequencer(record),
    )


def _version_of(version_id: str | None) -> str | None:
    # An object written while versioning was off or suspended has the version id "null"
    # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/AddingObjectstoVersionSuspendedBuckets.html):
    # every upload of the key shares it, so it cannot tell uploads apart. Such an object is
    # planned as unversioned: its ETag and the event's sequencer make the revision.
    return None if version_id in (None, "", "null") else version_id


def _marker_without_sequencer(record: S3NotificationRecord) -> str:
    # A backfill record stands for a listed object, which has no event: no marker, as
    # ObjectEvent.listed plans it, so a repeated backfill meets its own executions. An emitter
    # that leaves S3's sequencer out still makes each upload unique by its event time.
    return "" if record.eventName == BACKFILL_EVENT else record.eventTime.isoformat()


def backfill_notification(bucket: str, key: str, size: int, etag: str, region: str, sent_at: datetime,
                          marker: str = "") -> str:
    """The body of one backfill message: an S3 notification naming one listed object.

    ``marker`` travels as the sequencer: empty for a plain backfill; ``backfill --prune`` sets one
    per run so that its executions get names of their own (see ``ObjectEvent.revision``).
    """
    s3_object: dict[str, object] = {"key": encode_event_key(key), "size": size, "eTag": etag}
    if marker:
        s3_object["sequencer"] = marker
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": sent_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "eventName": BACKFILL_EVENT,
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": BACKFILL_CONFIGURATION_ID,
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": s3_object,
        },
    }
    return json.dumps({"Records": [record]}, separators=(",", ":"))


def is_test_event(body: object) -> bool:
    """S3 sends one s3:TestEvent when notifications are configured; it names no object."""
    return isinstance(body, dict) and body.get("Event") == TEST_EVENT
