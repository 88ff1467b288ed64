"""plan_execution: which S3 events become executions, and under which name."""

from __future__ import annotations

from urllib.parse import quote_plus

from imgfan_core.dispatch import ExecutionRequest, Skipped, plan_execution
from imgfan_core.presets import parse_presets

CONFIG = parse_presets({"presets": [{"name": "thumb", "width": 100}]})
SEQUENCER = "0055AED6DCD90281E5"


def plan(key: str, event_name: str = "ObjectCreated:Put", **event) -> ExecutionRequest | Skipped:
    fields = {"size": 1234, "etag": "9b2cf535f27731c974343645a3985328", "version_id": None,
              "sequencer": SEQUENCER, **event}
    return plan_execution(event_name=event_name, bucket="uploads", raw_key=quote_plus(key), config=CONFIG,
                          output_bucket="variants", **fields)


def test_a_key_whose_outputs_would_pass_s3s_key_limit_is_skipped():
    skipped = plan("photos/" + "a" * 1000 + ".jpg")
    assert isinstance(skipped, Skipped) and "1024-byte" in skipped.reason


def test_the_key_limit_counts_utf8_bytes_not_characters():
    # 500 characters, 1000 bytes: short enough as text, too long for S3.
    assert isinstance(plan("é" * 500 + ".jpg"), Skipped)
    assert isinstance(plan("a" * 500 + ".jpg"), ExecutionRequest)


def test_a_long_key_within_the_limit_is_planned():
    key = "photos/" + "a" * 900 + ".jpg"
    planned = plan(key)
    assert isinstance(planned, ExecutionRequest) and planned.input["source"]["key"] == key


def test_a_redelivered_event_gets_the_same_name():
    assert plan("photos/cat.jpg").name == plan("photos/cat.jpg").name


def test_a_new_upload_of_the_same_bytes_gets_a_new_name():
    # Same key and ETag; only S3's sequencer tells the second upload from a redelivery of the first.
    assert plan("photos/cat.jpg").name != plan("photos/cat.jpg", sequencer="0055AED6DCD90281F0").name


def test_a_new_version_gets_a_new_name_and_carries_its_version_id():
    first = plan("photos/cat.jpg", version_id="3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")
    second = plan("photos/cat.jpg", version_id="QUpfdndhfd8438MNFDN93jdnJFkdmqnh893")
    assert first.name != second.name
    assert first.input["source"]["revision"] == "3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"


def test_a_deletion_is_planned_as_a_delete():
    removed = plan("photos/cat.jpg", event_name="ObjectRemoved:Delete", etag=None, size=None)
    assert removed.input["action"] == "delete" and removed.name.startswith("delete-cat.jpg-")
    assert removed.name != plan("photos/cat.jpg").name
