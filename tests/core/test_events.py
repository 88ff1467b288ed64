"""S3's s3:TestEvent is recognised, so the dispatcher skips it instead of failing on it."""

from __future__ import annotations

import pytest

from imgfan_core.events import is_test_event

# The message S3 sends when notifications are configured (AWS's documented example).
TEST_EVENT = {
    "Service": "Amazon S3",
    "Event": "s3:TestEvent",
    "Time": "2014-10-13T15:57:02.089Z",
    "Bucket": "amzn-s3-demo-bucket",
    "RequestId": "5582815E1AEA5ADF",
    "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
}


def test_the_s3_test_event_is_recognised():
    assert is_test_event(TEST_EVENT) is True


@pytest.mark.parametrize(
    "body",
    [
        {"Records": [{"eventName": "ObjectCreated:Put"}]},
        {**TEST_EVENT, "Event": "s3:ObjectCreated:Put"},
        [TEST_EVENT],
        "s3:TestEvent",
        None,
    ],
)
def test_anything_else_is_not_a_test_event(body):
    assert is_test_event(body) is False
