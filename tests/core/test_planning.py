"""Planning: which object events become executions, under which names, with which input.

Expectations are written out by hand (key schemes, byte counts, revisions), never computed by
the function under test.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from imgfan.backfill import plan_backfill
from imgfan_core.contract import ExecutionInput
from imgfan_core.dispatch import S3_MAX_KEY_BYTES, ExecutionRequest, ObjectEvent, Skipped, plan_execution
from imgfan_core.events import S3EventQueueRecord, S3Notification, S3TestEvent
from imgfan_core.presets import parse_presets, presets_hash
from tests.sqs_events import sqs_record

LONG_NAME = "a" * 40  # the longest preset name the model allows


def config(**source):
    return parse_presets({
        "source": {"prefix": "in/", "suffixes": [".jpg"], **source},
        "presets": [{"name": "thumb", "width": 10, "format": "webp"},
                    {"name": LONG_NAME, "width": 20, "format": "avif"}],
    })


def created(key, **fields):
    return ObjectEvent("ObjectCreated:Put", "src", key, **{"size": 3, "etag": "e1", "marker": "S1", **fields})


CASES = {
    # id: (event, expected action or skip reason fragment)
    "inside prefix": (created("in/a.jpg"), "render"),
    "outside prefix": (created("out/a.jpg"), "outside source prefix 'in/'"),
    "prefix is not a substring match": (created("xin/a.jpg"), "outside source prefix"),
    "suffix in upper case": (created("in/A.JPG"), "render"),
    "suffix in mixed case": (created("in/a.Jpg"), "render"),
    "other suffix": (created("in/a.txt"), "does not end with a configured source suffix"),
    "deleted with another suffix": (ObjectEvent("ObjectRemoved:Delete", "src", "in/a.txt", marker="S2"), "delete"),
    "restore event": (ObjectEvent("ObjectRestore:Completed", "src", "in/a.jpg"),
                      "event ObjectRestore:Completed is not handled"),
    "lifecycle expiry": (ObjectEvent("LifecycleExpiration:Delete", "src", "in/a.jpg"), "not handled"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_what_is_planned_and_what_is_skipped(case):
    event, expected = CASES[case]
    plan = plan_execution(event, config(), "out-bucket")
    if expected in ("render", "delete"):
        assert isinstance(plan, ExecutionRequest), plan
        assert plan.input.action == expected
        assert plan.input.source.key == event.key
    else:
        assert isinstance(plan, Skipped)
        assert expected in plan.reason


def test_output_overlapping_the_source_is_skipped_with_the_reason():
    overlapping = parse_presets({"source": {"prefix": "in/"}, "output": {"prefix": "in/v/"},
                                 "presets": [{"name": "t", "width": 10}]})
    plan = plan_execution(created("in/a.jpg"), overlapping, output_bucket="src")
    assert isinstance(plan, Skipped) and "overlaps the source prefix" in plan.reason
    # The same presets with the stack's separate output bucket are fine.
    assert isinstance(plan_execution(created("in/a.jpg"), overlapping, "out-bucket"), ExecutionRequest)


def longest_variant_key_bytes(key: str, fingerprinted: bool = True) -> int:
    # {prefix}{key}/{preset}.{fingerprint}.{ext}, the fingerprint 12 hex characters: the
    # 40-character preset written as .avif is the longest.
    stem = f"{LONG_NAME}.{'0' * 12}" if fingerprinted else LONG_NAME
    return len(f"{key}/{stem}.avif".encode())


@pytest.mark.parametrize("filler", ["é", "写", "😀"], ids=["2-byte", "3-byte", "4-byte"])
def test_key_length_boundary_counts_the_longest_real_output_key_in_bytes(filler):
    budget = S3_MAX_KEY_BYTES - longest_variant_key_bytes("in/.jpg")
    width = len(filler.encode())
    at_limit = "in/" + filler * (budget // width) + "x" * (budget % width) + ".jpg"
    over = "in/" + filler * (budget // width) + "x" * (budget % width + 1) + ".jpg"
    assert longest_variant_key_bytes(at_limit) == S3_MAX_KEY_BYTES
    assert isinstance(plan_execution(created(at_limit), config(), "out"), ExecutionRequest)
    skipped = plan_execution(created(over), config(), "out")
    assert isinstance(skipped, Skipped) and "1024-byte limit" in skipped.reason


def test_a_key_whose_manifest_fits_but_whose_longest_variant_does_not_is_skipped():
    # 35 bytes of room after the key fit "/manifest.json" plus a short suffix, not "/<40 chars>.avif".
    key = "in/" + "k" * (S3_MAX_KEY_BYTES - 3 - 40)
    assert len(f"{key}/manifest.json".encode()) < S3_MAX_KEY_BYTES < longest_variant_key_bytes(key, False)
    assert isinstance(plan_execution(created(key + ".jpg"), config(suffixes=[]), "out"), Skipped)


def test_stable_keys_leave_room_for_the_fingerprint_they_do_not_have():
    stable = parse_presets({"source": {"prefix": "in/", "suffixes": [".jpg"]},
                            "output": {"key_style": "stable", "cache_control": "no-cache"},
                            "presets": [{"name": LONG_NAME, "width": 20, "format": "avif"}]})
    budget = S3_MAX_KEY_BYTES - longest_variant_key_bytes("in/.jpg", fingerprinted=False)
    at_limit = "in/" + "s" * budget + ".jpg"
    assert isinstance(plan_execution(created(at_limit), stable, "out"), ExecutionRequest)
    assert isinstance(plan_execution(created(at_limit), config(), "out"), Skipped)


REVISIONS = {
    "version id wins": (created("in/a.jpg", version_id="v9"), "v9"),
    "etag with sequencer": (created("in/a.jpg", etag="e1", marker="0055AED6DCD90281E5"), "e1@0055AED6DCD90281E5"),
    "delete by version id": (ObjectEvent("ObjectRemoved:Delete", "src", "in/a.jpg", version_id="v2", marker="S"), "v2"),
    "delete by sequencer": (ObjectEvent("ObjectRemoved:Delete", "src", "in/a.jpg", marker="S7"), "S7"),
    "listed object": (ObjectEvent.listed("src", {"Key": "in/a.jpg", "ETag": '"e1"', "Size": 3}), "e1@"),
}


@pytest.mark.parametrize("case", list(REVISIONS))
def test_revision_is_the_version_id_else_the_etag_with_the_events_marker(case):
    event, revision = REVISIONS[case]
    plan = plan_execution(event, config(), "out")
    assert plan.input.source.revision == revision


def test_names_follow_step_functions_rules_and_differ_by_revision_only_when_they_should():
    names = {
        "first": plan_execution(created("in/a.jpg", marker="S1"), config(), "out").name,
        "redelivery": plan_execution(created("in/a.jpg", marker="S1"), config(), "out").name,
        "same bytes uploaded again": plan_execution(created("in/a.jpg", marker="S2"), config(), "out").name,
        "new version": plan_execution(created("in/a.jpg", version_id="v2"), config(), "out").name,
        "other key": plan_execution(created("in/b.jpg", marker="S1"), config(), "out").name,
    }
    assert names["first"] == names["redelivery"]
    assert len(set(names.values())) == 4
    other_presets = parse_presets({"source": {"prefix": "in/"}, "presets": [{"name": "t", "width": 11}]})
    assert plan_execution(created("in/a.jpg", marker="S1"), other_presets, "out").name not in names.values()
    for name in names.values():
        assert len(name) <= 80 and re.fullmatch(r"[A-Za-z0-9_.-]+", name), name
        assert re.fullmatch(r"render-[ab]\.jpg-[0-9a-f]{24}", name), name


def test_a_known_name_stays_the_same_across_releases():
    # Changing how names are derived makes every redelivered event render again once.
    identity = "\n".join(("render", "src", "in/a.jpg", "e1@S1", presets_hash(config())))
    expected = "render-a.jpg-" + hashlib.sha256(identity.encode()).hexdigest()[:24]
    assert plan_execution(created("in/a.jpg"), config(), "out").name == expected


def test_a_hostile_key_keeps_its_exact_key_and_a_safe_name():
    key = "in/../../etc/pass wd <script>é.jpg"
    plan = plan_execution(created(key), config(), "out")
    assert plan.input.source.key == key
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", plan.name)


def test_the_planned_input_is_the_json_the_state_machine_receives():
    plan = plan_execution(created("in/a.jpg", version_id="v1"), config(), "out-bucket")
    wire = json.loads(json.dumps(plan.input.to_dict()))
    assert wire["action"] == "render"
    assert wire["source"] == {"bucket": "src", "key": "in/a.jpg", "version_id": "v1", "etag": "e1",
                              "revision": "v1", "bytes": 3}
    assert wire["settings"]["output"] == {"bucket": "out-bucket", "prefix": "",
                                          "cache_control": "public, max-age=31536000, immutable",
                                          "public_base_url": None, "key_style": "fingerprinted"}
    assert [p["name"] for p in wire["presets"]] == ["thumb", LONG_NAME]
    assert wire["presets"][0]["fit"] == "inside" and wire["presets"][0]["progressive"] is True
    assert ExecutionInput.from_dict(wire) == plan.input


def notification(**object_fields):
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-01-02T03:04:05.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "c",
               "bucket": {"name": "src", "arn": "arn:aws:s3:::src"},
               "object": {"key": "in/my+photo+%281%29.jpg", "size": 7, "eTag": "e1", **object_fields}},
    }]}


def test_notifications_decode_keys_and_fall_back_to_the_event_time_without_a_sequencer():
    [with_sequencer] = S3Notification.model_validate(notification(sequencer="00ABC")).object_events()
    [without] = S3Notification.model_validate(notification()).object_events()
    assert with_sequencer.key == "in/my photo (1).jpg"
    assert with_sequencer.marker == "00ABC"
    assert without.marker.startswith("2026-01-02T03:04:05")
    assert plan_execution(without, config(), "out").input.source.revision == f"e1@{without.marker}"


def test_queue_records_carry_a_notification_or_a_test_event_and_nothing_else():
    parsed = S3EventQueueRecord.model_validate(sqs_record(json.dumps(notification())))
    assert isinstance(parsed.body, S3Notification)
    test_event = S3EventQueueRecord.model_validate(sqs_record(json.dumps({"Event": "s3:TestEvent", "Bucket": "b"})))
    assert isinstance(test_event.body, S3TestEvent)
    for malformed in ("not json", json.dumps({"Records": "nope"}), json.dumps({"hello": 1})):
        with pytest.raises(ValueError):
            S3EventQueueRecord.model_validate(sqs_record(malformed))


def test_backfill_plans_listed_objects_and_sorts_out_current_and_filtered_ones():
    presets = config()
    digest = presets_hash(presets)
    objects = [
        {"Key": "in/fresh.jpg", "ETag": '"aaa"', "Size": 3},
        {"Key": "in/current.jpg", "ETag": '"bbb"', "Size": 3},
        {"Key": "in/old.jpg", "ETag": '"ccc"', "Size": 3},
        {"Key": "in/notes.txt", "ETag": '"ddd"', "Size": 3},
    ]
    hashes = {"in/current.jpg/manifest.json": digest, "in/old.jpg/manifest.json": "0000000000000000"}
    plan = plan_backfill(objects, presets, "src", "out", hashes)
    assert plan.considered == 4
    assert [p.key for p in plan.to_start] == ["in/fresh.jpg", "in/old.jpg"]
    assert plan.up_to_date == ["in/current.jpg"]
    assert list(plan.filtered) == ["in/notes.txt"]
    fresh = plan.to_start[0].request.input.source
    assert (fresh.etag, fresh.revision, fresh.bytes) == ("aaa", "aaa@", 3)
    without_only_stale = plan_backfill(objects, presets, "src", "out", None)
    assert [p.key for p in without_only_stale.to_start] == ["in/fresh.jpg", "in/current.jpg", "in/old.jpg"]


def test_an_overlay_picture_is_never_rendered_as_an_upload():
    with_logo = parse_presets({"source": {"prefix": "", "suffixes": [".png"]},
                               "presets": [{"name": "marked", "width": 100, "overlay": {"image": "logos/brand.png"}},
                                           {"name": "plain", "width": 50}]})
    for name in ("ObjectCreated:Put", "ObjectRemoved:Delete"):
        plan = plan_execution(ObjectEvent(name, "src", "logos/brand.png", marker="S"), with_logo, "out")
        assert isinstance(plan, Skipped) and "overlay picture of preset marked" in plan.reason
    assert isinstance(plan_execution(created("logos/other.png"), with_logo, "out"), ExecutionRequest)


PREFIXED = {"source": {"prefix": "", "suffixes": [".jpg"]},
            "presets": [{"name": "avatar", "width": 64, "height": 64, "fit": "cover", "prefixes": ["avatars/"]},
                        {"name": "card", "width": 300, "prefixes": ["products/", "catalogue/"]},
                        {"name": "small", "width": 480}]}


def test_prefixed_presets_apply_only_under_their_prefixes():
    config = parse_presets(PREFIXED)
    names = {key: [p.name for p in plan_execution(created(key), config, "out").input.presets]
             for key in ("avatars/me.jpg", "products/chair.jpg", "catalogue/2026/a.jpg", "blog/x.jpg")}
    assert names == {"avatars/me.jpg": ["avatar", "small"], "products/chair.jpg": ["card", "small"],
                     "catalogue/2026/a.jpg": ["card", "small"], "blog/x.jpg": ["small"]}


def test_a_source_no_preset_applies_to_is_skipped_with_the_reason():
    only_avatars = parse_presets({"presets": [{"name": "avatar", "width": 64, "prefixes": ["avatars/"]}]})
    plan = plan_execution(created("products/chair.jpg"), only_avatars, "out")
    assert isinstance(plan, Skipped) and "no preset applies" in plan.reason


def test_a_change_to_a_prefixed_preset_leaves_other_prefixes_current():
    before = parse_presets(PREFIXED)
    edited = json.loads(json.dumps(PREFIXED))
    edited["presets"][0]["width"] = 96  # avatars only
    after = parse_presets(edited)
    hashes = lambda config, key: plan_execution(created(key), config, "out").input.presets_hash
    assert hashes(before, "avatars/me.jpg") != hashes(after, "avatars/me.jpg")
    assert hashes(before, "products/chair.jpg") == hashes(after, "products/chair.jpg")
    # Without prefixes, every key's hash is the file's own hash, as before prefixes existed.
    plain = config()
    assert presets_hash(plain, "in/a.jpg") == presets_hash(plain)
