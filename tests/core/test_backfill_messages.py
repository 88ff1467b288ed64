"""Backfill messages on the event queue: S3's notification shape, keys encoded as S3 encodes
them, and planned by the dispatcher exactly as the CLI planned the listed object."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from imgfan.backfill import plan_backfill, prune_marker
from imgfan_core.dispatch import ExecutionRequest, plan_execution
from imgfan_core.events import BACKFILL_EVENT, S3EventQueueRecord, backfill_notification
from imgfan_core.keys import encode_event_key
from imgfan_core.presets import parse_presets, presets_hash
from tests.sqs_events import sqs_record

SENT_AT = datetime(2026, 11, 27, 12, 0, 0, 123456, tzinfo=UTC)
AWKWARD_KEYS = [
    "in/plain.jpg",
    "in/two words.jpg",
    "in/one+two.jpg",
    "in/100% real.jpg",
    "in/%2F looks encoded %20.jpg",
    "in/café/ñandú 東京.jpg",
    "in/a&b=c?d#e.jpg",
    "in/ tabs\tand\nnewline .jpg",
]
PRESETS = parse_presets({"source": {"prefix": "in/", "suffixes": [".jpg"]},
                         "presets": [{"name": "thumb", "width": 10, "format": "webp"}]})


def dispatched(body: str):
    [event] = S3EventQueueRecord.model_validate(sqs_record(body)).body.object_events()
    return event


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_keys_survive_the_round_trip_through_the_dispatchers_parsing(key):
    body = backfill_notification("src", key, 5, "e1", "us-east-1", SENT_AT)
    assert dispatched(body).key == key


def test_keys_are_encoded_as_s3_encodes_them_in_notifications():
    # Spaces become '+', a literal '+' and '%' are escaped, '/' stays, UTF-8 is percent-encoded.
    assert encode_event_key("in/my photo+1 100%.jpg") == "in/my+photo%2B1+100%25.jpg"
    assert encode_event_key("in/café.jpg") == "in/caf%C3%A9.jpg"


def test_a_backfill_message_is_an_s3_notification_of_its_own_event_name():
    record = json.loads(backfill_notification("src", "in/a b.jpg", 5, "e1", "eu-west-1", SENT_AT))["Records"][0]
    assert record["eventName"] == BACKFILL_EVENT == "ObjectCreated:Backfill"
    assert (record["eventSource"], record["awsRegion"], record["eventTime"]) == (
        "aws:s3", "eu-west-1", "2026-11-27T12:00:00.123Z")
    assert record["s3"]["bucket"] == {"name": "src", "arn": "arn:aws:s3:::src"}
    assert record["s3"]["object"] == {"key": "in/a+b.jpg", "size": 5, "eTag": "e1"}


@pytest.mark.parametrize("marker", ["", prune_marker(SENT_AT)], ids=["backfill", "prune"])
@pytest.mark.parametrize("key", AWKWARD_KEYS[:4])
def test_the_dispatcher_plans_a_backfill_message_exactly_as_the_cli_planned_the_object(key, marker):
    entry = {"Key": key, "ETag": '"0123abcd"', "Size": 5}
    [cli_planned] = plan_backfill([entry], PRESETS, "src", "out", None, marker).to_start
    dispatcher_planned = plan_execution(
        dispatched(backfill_notification("src", key, 5, "0123abcd", "us-east-1", SENT_AT, marker)), PRESETS, "out")
    assert isinstance(dispatcher_planned, ExecutionRequest)
    assert dispatcher_planned == cli_planned.request
    # The name is execution_name's scheme over the revision "ETag@marker", written out here.
    identity = "\n".join(("render", "src", key, f"0123abcd@{marker}", presets_hash(PRESETS, key)))
    assert dispatcher_planned.name.endswith("-" + hashlib.sha256(identity.encode()).hexdigest()[:24])


def test_a_plain_backfill_is_named_apart_from_a_prune_and_from_the_upload():
    entry = {"Key": "in/a.jpg", "ETag": '"0123abcd"', "Size": 5}
    names = {plan_backfill([entry], PRESETS, "src", "out", None, marker).to_start[0].request.name
             for marker in ("", prune_marker(SENT_AT), prune_marker(datetime(2026, 11, 28, tzinfo=UTC)))}
    upload = json.loads(backfill_notification("src", "in/a.jpg", 5, "0123abcd", "us-east-1", SENT_AT, "00AB"))
    upload["Records"][0]["eventName"] = "ObjectCreated:Put"
    names.add(plan_execution(dispatched(json.dumps(upload)), PRESETS, "out").name)
    assert len(names) == 4


def test_an_upload_without_a_sequencer_still_falls_back_to_its_event_time():
    upload = json.loads(backfill_notification("src", "in/a.jpg", 5, "e1", "us-east-1", SENT_AT))
    upload["Records"][0]["eventName"] = "ObjectCreated:Put"
    assert dispatched(json.dumps(upload)).marker == "2026-11-27T12:00:00.123000+00:00"
    assert dispatched(backfill_notification("src", "in/a.jpg", 5, "e1", "us-east-1", SENT_AT)).marker == ""
