"""S3 events that arrive through EventBridge (trigger="eventbridge") plan the same executions as
the same events sent as S3 notifications. The EventBridge bodies follow AWS's documented shape
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html)."""

from __future__ import annotations

import json

import pytest

from imgfan_core.events import S3EventQueueRecord

BUCKET = "uploads-bucket"


def _sqs_record(body: dict) -> dict:
    return {"messageId": "m-1", "receiptHandle": "r", "body": json.dumps(body), "attributes": {
        "ApproximateReceiveCount": "1", "SentTimestamp": "1", "SenderId": "s",
        "ApproximateFirstReceiveTimestamp": "1"}, "messageAttributes": {}, "md5OfBody": "x",
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}


def _eventbridge(detail_type: str, key: str, **detail) -> dict:
    return {"version": "0", "id": "e-1", "detail-type": detail_type, "source": "aws.s3",
            "account": "123456789012", "time": "2026-12-02T10:00:00Z", "region": "us-east-1",
            "resources": [f"arn:aws:s3:::{BUCKET}"],
            "detail": {"version": "0", "bucket": {"name": BUCKET},
                       "object": {"key": key, "size": 1024, "etag": "abc123", "sequencer": "0055AED6DCD90281E5",
                                  **detail.pop("object", {})},
                       "request-id": "R", "requester": "123456789012", **detail}}


def _notification(event_name: str, encoded_key: str) -> dict:
    return {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                         "eventTime": "2026-12-02T10:00:00.000Z", "eventName": event_name,
                         "s3": {"s3SchemaVersion": "1.0", "configurationId": "c",
                                "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
                                "object": {"key": encoded_key, "size": 1024, "eTag": "abc123",
                                           "sequencer": "0055AED6DCD90281E5"}}}]}


def _events(body: dict):
    return S3EventQueueRecord.model_validate(_sqs_record(body)).body.object_events()


def test_an_upload_through_eventbridge_is_the_same_event_as_its_notification():
    # EventBridge gives the key as it is; a notification URL-encodes it ('+' for a space).
    through_eventbridge = _events(_eventbridge("Object Created", "photos/summer 2026/a+b.jpg", reason="PutObject"))
    as_notification = _events(_notification("ObjectCreated:PutObject", "photos/summer+2026/a%2Bb.jpg"))
    assert through_eventbridge == as_notification
    assert through_eventbridge[0].key == "photos/summer 2026/a+b.jpg"
    assert through_eventbridge[0].action == "render"


@pytest.mark.parametrize("deletion_type, name", [
    ("Permanently Deleted", "ObjectRemoved:Delete"),
    ("Delete Marker Created", "ObjectRemoved:DeleteMarkerCreated"),
])
def test_deletes_through_eventbridge_keep_their_kind(deletion_type, name):
    event, = _events(_eventbridge("Object Deleted", "photos/a.jpg", reason="DeleteObject",
                                  **{"deletion-type": deletion_type}))
    assert event.name == name
    assert event.action == "delete"


def test_a_version_id_and_the_null_version_are_read_as_in_notifications():
    versioned, = _events(_eventbridge("Object Created", "a.jpg", object={"version-id": "v-42"}))
    suspended, = _events(_eventbridge("Object Created", "a.jpg", object={"version-id": "null"}))
    assert versioned.version_id == "v-42"
    assert suspended.version_id is None


def test_other_s3_event_types_on_the_queue_plan_nothing():
    assert _events(_eventbridge("Object Tags Added", "a.jpg")) == []
