"""What a delete event may remove, and how a version id of "null" is read.

Written-out expectations only: the events are shaped as S3 documents them, and the decisions are
the ones the module docstrings of ``imgfan_core.cleanup`` and ``imgfan_core.events`` promise.
"""

from __future__ import annotations

import json

import pytest

from imgfan_core.cleanup import kept_because
from imgfan_core.contract import SourceRef
from imgfan_core.dispatch import plan_execution
from imgfan_core.events import S3Notification
from imgfan_core.presets import parse_presets
from imgfan_core.storage import SourceState

CONFIG = parse_presets({"presets": [{"name": "thumb", "width": 10, "format": "webp"}]})


def notification(name: str, **object_fields) -> S3Notification:
    return S3Notification.model_validate_json(json.dumps({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.000Z", "eventName": name,
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "c", "bucket": {"name": "src", "arn": "a"},
               "object": {"key": "a.jpg", "size": 3, **object_fields}},
    }]}))


def planned_name(name: str, **object_fields) -> str:
    [event] = notification(name, **object_fields).object_events()
    return plan_execution(event, CONFIG, "out").name


def test_a_null_version_id_is_read_as_no_version():
    [event] = notification("ObjectCreated:Put", eTag="e1", versionId="null", sequencer="0A").object_events()
    assert event.version_id is None
    assert event.revision == "e1@0A"


def test_two_uploads_to_a_versioning_suspended_bucket_get_two_executions():
    first = planned_name("ObjectCreated:Put", eTag="e1", versionId="null", sequencer="0A")
    second = planned_name("ObjectCreated:Put", eTag="e2", versionId="null", sequencer="0B")
    identical_bytes_again = planned_name("ObjectCreated:Put", eTag="e1", versionId="null", sequencer="0C")
    assert len({first, second, identical_bytes_again}) == 3


def test_a_real_version_id_still_names_the_revision():
    [event] = notification("ObjectCreated:Put", eTag="e1", versionId="3HL4kqtJlcpXroDTDmJ", sequencer="0A").object_events()
    assert (event.version_id, event.revision) == ("3HL4kqtJlcpXroDTDmJ", "3HL4kqtJlcpXroDTDmJ")


@pytest.mark.parametrize(("deleted", "now", "kept"), [
    # Nothing at the key (a plain delete, or a delete marker on top): the image is gone.
    (SourceRef("src", "a.jpg", etag="e1"), SourceState(False), None),
    (SourceRef("src", "a.jpg", version_id="v1"), SourceState(False), None),
    # An old version was deleted for good; v2 is the image people see.
    (SourceRef("src", "a.jpg", version_id="v1"), SourceState(True, '"e2"', "v2"), "only version v1 was deleted"),
    # The delete arrived after the upload that followed it.
    (SourceRef("src", "a.jpg", etag="e1"), SourceState(True, '"e2"'), "uploaded after the delete"),
    (SourceRef("src", "a.jpg", version_id="v1"), SourceState(True, '"e1"', "v1"), "uploaded after the delete"),
])
def test_outputs_stay_while_the_key_holds_an_object(deleted, now, kept):
    reason = kept_because(deleted, now)
    assert (reason is None) == (kept is None)
    if kept is not None:
        assert kept in reason
