"""What the dispatcher receives, built for tests: SQS records in the shape the embedded cloud's
event source (Lambda's, on AWS) hands over, around S3 event notifications."""

from __future__ import annotations

import json
import uuid

from imgfan.local.sqs_poller import build_event

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:events"


def sqs_record(body: str) -> dict:
    """One record of the dispatcher's event, with a message id of its own."""
    attributes = {"ApproximateReceiveCount": "1", "SentTimestamp": "1", "SenderId": "s",
                  "ApproximateFirstReceiveTimestamp": "1"}
    message = {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "r", "Body": body, "MD5OfBody": "x",
               "Attributes": attributes}
    return build_event([message], QUEUE_ARN)["Records"][0]


def s3_notification(bucket: str, key: str, **object_fields) -> str:
    """An ObjectCreated:Put notification of ``key`` (already encoded as S3 encodes it)."""
    return json.dumps({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "c", "bucket": {"name": bucket, "arn": "a"},
               "object": {"key": key, **object_fields}},
    }]})
