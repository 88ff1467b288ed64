"""The event queue keeps messages 14 days, SQS's longest: a backfill's backlog waits there for a
paused or throttled dispatcher (docs/backfill.md)."""

FOURTEEN_DAYS_S = 14 * 24 * 3600


def test_the_event_queue_keeps_messages_fourteen_days(any_variant):
    queue = any_variant.resources[any_variant.logical_id("EventQueue", "AWS::SQS::Queue")]["Properties"]
    assert queue["MessageRetentionPeriod"] == FOURTEEN_DAYS_S
