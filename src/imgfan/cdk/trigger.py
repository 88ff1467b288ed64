"""How the source bucket's events reach the queue: S3 event notifications, or EventBridge.

S3 keeps one notification configuration per bucket, and refuses two destinations for the same
event type whose prefix/suffix filters overlap
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html). An
app that already has its own ObjectCreated notification on the bucket therefore picks
``trigger="eventbridge"``: S3 sends every event to EventBridge (a bucket-wide switch that takes
nothing from other notifications), and a rule forwards this source's Object Created and Object
Deleted events into the same queue. The dispatcher reads both shapes (imgfan_core.events).
"""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from imgfan_core.presets import SourceFilter

TRIGGERS = ("notifications", "eventbridge")


def suffix_spellings(source: SourceFilter) -> list[str]:
    """S3 suffix filters are case-sensitive, so each suffix is matched in lower and upper case
    (``photo.JPG`` from cameras); mixed case is not matched."""
    return sorted({spelling for s in source.suffixes for spelling in (s.lower(), s.upper())})


def notification_filters(source: SourceFilter) -> list[s3.NotificationKeyFilter]:
    prefix = source.prefix or None
    suffixes = suffix_spellings(source)
    if not suffixes:
        return [s3.NotificationKeyFilter(prefix=prefix)] if prefix else [s3.NotificationKeyFilter()]
    return [s3.NotificationKeyFilter(prefix=prefix, suffix=suffix) for suffix in suffixes]


def event_pattern(bucket: s3.IBucket, source: SourceFilter) -> events.EventPattern:
    """Object Created / Object Deleted of this bucket whose key matches the source filter
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html)."""
    suffixes = suffix_spellings(source)
    if suffixes:
        # A wildcard matcher per spelling; '*' and '\' in a prefix are escaped as EventBridge asks.
        prefix = source.prefix.replace("\\", "\\\\").replace("*", "\\*")
        keys = [{"wildcard": f"{prefix}*{suffix}"} for suffix in suffixes]
    else:
        keys = [{"prefix": source.prefix}]
    return events.EventPattern(
        source=["aws.s3"],
        detail_type=["Object Created", "Object Deleted"],
        detail={"bucket": {"name": [bucket.bucket_name]}, "object": {"key": keys}},
    )


def forward_bucket_events(scope: Construct, trigger: str, bucket: s3.IBucket, source: SourceFilter,
                          queue: sqs.IQueue) -> events.Rule | None:
    if trigger == "notifications":
        destination = s3n.SqsDestination(queue)
        for key_filter in notification_filters(source):
            bucket.add_event_notification(s3.EventType.OBJECT_CREATED, destination, key_filter)
            bucket.add_event_notification(s3.EventType.OBJECT_REMOVED, destination, key_filter)
        return None
    bucket.enable_event_bridge_notification()
    rule = events.Rule(scope, "SourceEventsRule", description="imgfan: the source bucket's uploads and deletes",
                       event_pattern=event_pattern(bucket, source))
    # SqsQueue adds the queue policy for events.amazonaws.com, limited to this rule (aws:SourceArn).
    rule.add_target(targets.SqsQueue(queue))
    return rule
