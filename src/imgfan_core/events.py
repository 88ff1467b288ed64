"""The dispatcher's input: SQS records whose body is an S3 event notification.

Powertools' own models, relaxed where imgfan reads nothing: real S3 also sends identity,
request and response details; S3 emulators (moto among them) leave those out, and a missing
field we never read must not send a good upload to the DLQ.
"""

from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.parser.models.s3 import (
    S3Bucket,
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
from imgfan_core.keys import decode_event_key

TEST_EVENT = "s3:TestEvent"


class S3NotificationBucket(S3Bucket):
    ownerIdentity: S3OwnerIdentify | None = None  # type: ignore[assignment]


class S3NotificationMessage(S3Message):
    bucket: S3NotificationBucket  # type: ignore[assignment]


class S3NotificationRecord(S3RecordModel):
    userIdentity: S3Identity | None = None  # type: ignore[assignment]
    requestParameters: S3RequestParameters | None = None  # type: ignore[assignment]
    responseElements: S3ResponseElements | None = None  # type: ignore[assignment]
    s3: S3NotificationMessage  # type: ignore[assignment]


class S3Notification(S3Model):
    Records: list[S3NotificationRecord]  # type: ignore[assignment]

    def object_events(self) -> list[ObjectEvent]:
        return [_object_event(record) for record in self.Records]


class S3TestEvent(BaseModel):
    """What S3 sends once when notifications are configured; it names no object."""

    model_config = ConfigDict(extra="allow")
    Event: Literal["s3:TestEvent"]


class S3EventQueueRecord(SqsRecordModel):
    body: Json[S3Notification | S3TestEvent]  # type: ignore[assignment]


def _object_event(record: S3NotificationRecord) -> ObjectEvent:
    s3_object = record.s3.object
    return ObjectEvent(
        name=record.eventName,
        bucket=record.s3.bucket.name,
        key=decode_event_key(s3_object.key),
        size=int(s3_object.size) if s3_object.size is not None else None,
        etag=s3_object.eTag,
        version_id=s3_object.versionId,
        marker=s3_object.sequencer or record.eventTime.isoformat(),
    )


def is_test_event(body: object) -> bool:
    """S3 sends one s3:TestEvent when notifications are configured; it names no object."""
    return isinstance(body, dict) and body.get("Event") == TEST_EVENT
