"""S3 event notification models: Powertools' own, relaxed where imgfan reads nothing.

The dispatcher reads the event name, the bucket name and the object fields. Real S3 also sends
identity, request and response details; S3 emulators (moto among them) leave those out, and a
missing field we never read must not send a good upload to the DLQ.
"""

from __future__ import annotations

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


def is_test_event(body: object) -> bool:
    """S3 sends one s3:TestEvent when notifications are configured; it names no object."""
    return isinstance(body, dict) and body.get("Event") == TEST_EVENT
