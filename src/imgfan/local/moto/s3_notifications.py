"""moto's S3 notifications (moto/s3/notifications.py) made to carry what AWS's carry.

Each patch is idempotent and checked by :func:`assert_hooks_present`.
"""

from __future__ import annotations

import inspect
import itertools
import time
import uuid
from typing import Any

import moto
from moto.s3 import notifications as s3_notifications

# --- S3 notifications: the versionId and sequencer AWS puts in each object event ------------
#
# AWS's event carries the object's `versionId` on a bucket whose versioning is enabled or
# suspended ("null" then), and a `sequencer`, hexadecimal, that orders the events of one key
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
# moto's _get_s3_event() leaves both out, so the embedded cloud could not show what the
# dispatcher does with them. One process-wide counter is increasing for every key, as required.

_S3_EVENT_BUILDER = "_get_s3_event"
_sequencer = itertools.count(1)


def _with_version_and_sequencer(build: Any) -> Any:
    def build_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        body = build(event_name, bucket, key, notification_id)
        s3_object = body["Records"][0]["s3"]["object"]
        if bucket.versioning_status in ("Enabled", "Suspended"):
            s3_object["versionId"] = key.version_id
        s3_object["sequencer"] = f"{next(_sequencer):016X}"
        return body

    build_event.imgfan_patched = True  # type: ignore[attr-defined]
    return build_event


def add_version_and_sequencer_to_s3_events() -> None:
    """Make moto's S3 notifications carry versionId and sequencer as AWS's do (idempotent)."""
    build = getattr(s3_notifications, _S3_EVENT_BUILDER)
    if not getattr(build, "imgfan_patched", False):
        setattr(s3_notifications, _S3_EVENT_BUILDER, _with_version_and_sequencer(build))


def _check_s3_event_hook() -> None:
    build = getattr(s3_notifications, _S3_EVENT_BUILDER, None)
    if build is None or _S3_EVENT_BUILDER not in inspect.getsource(s3_notifications.send_event):
        raise RuntimeError(
            f"moto {moto.__version__}: moto.s3.notifications.send_event no longer builds events with "
            f"{_S3_EVENT_BUILDER}(); add_version_and_sequencer_to_s3_events() would not reach them. "
            "Re-check moto/s3/notifications.py.")
    if list(inspect.signature(build).parameters)[:4] != ["event_name", "bucket", "key", "notification_id"]:
        raise RuntimeError(f"moto {moto.__version__}: {_S3_EVENT_BUILDER}() changed its parameters")


# --- S3 -> EventBridge: the event AWS sends -------------------------------------------------
#
# With a bucket's EventBridge delivery on, AWS puts one event per object change on the default
# bus (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html): `etag`, a
# `sequencer` that orders a key's events, `version-id` on a versioned bucket, the API as
# `reason` and a `deletion-type` for deletes. moto's _send_event_bridge_message() writes `eTag`,
# the same sequencer for every event and its own event suffix as the reason, and sends to the
# rules of every bus. Two uploads of one unversioned key would then
# look like one event. This builds AWS's event, with the counter the notifications use.

_EVENTBRIDGE_SENDER = "_send_event_bridge_message"
_REASONS = {"Put": "PutObject", "Post": "POST Object", "Copy": "CopyObject",
            "CompleteMultipartUpload": "CompleteMultipartUpload", "Delete": "DeleteObject",
            "DeleteMarkerCreated": "DeleteObject"}


def s3_eventbridge_event(account_id: str, bucket: Any, event_name: str, key: Any) -> dict[str, Any] | None:
    """The event AWS puts on the default bus for ``event_name`` (e.g. s3:ObjectCreated:Put), or
    None for a kind imgfan does not read (moto's own sender handles those)."""
    _, kind, api = (event_name.split(":") + ["", ""])[:3]
    if kind not in ("ObjectCreated", "ObjectRemoved") or api not in _REASONS:
        return None
    s3_object: dict[str, Any] = {"key": key.name, "sequencer": f"{next(_sequencer):016X}"}
    detail: dict[str, Any] = {"version": "0", "bucket": {"name": bucket.name}, "object": s3_object,
                              "request-id": uuid.uuid4().hex[:16].upper(), "requester": account_id,
                              "source-ip-address": "127.0.0.1", "reason": _REASONS[api]}
    if kind == "ObjectCreated":
        s3_object.update(size=key.size, etag=key.etag.strip('"'))
    else:
        detail["deletion-type"] = "Delete Marker Created" if api == "DeleteMarkerCreated" else "Permanently Deleted"
    if bucket.versioning_status in ("Enabled", "Suspended"):
        s3_object["version-id"] = key.version_id
    return {"version": "0", "id": str(uuid.uuid4()),
            "detail-type": "Object Created" if kind == "ObjectCreated" else "Object Deleted",
            "source": "aws.s3", "account": account_id,
            # moto's rules keep an event's time as a Unix time and write it as ISO 8601 on delivery.
            "time": time.time(),
            "region": bucket.region_name, "resources": [bucket.arn], "detail": detail}


def _as_aws_sends(send: Any) -> Any:
    def send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
        event = s3_eventbridge_event(account_id, bucket, event_name, key)
        if event is None:
            return send(account_id, bucket, event_name, key)
        from moto.events.models import events_backends

        default_bus = events_backends[account_id][bucket.region_name].event_buses.get("default")
        for rule in list(default_bus.rules.values()) if default_bus else []:
            rule.send_to_targets(event, transform_input=False)

    send_event_bridge_message.imgfan_patched = True  # type: ignore[attr-defined]
    return send_event_bridge_message


def send_s3_eventbridge_events_as_aws_does() -> None:
    """Make moto's S3 -> EventBridge events the ones AWS sends (idempotent)."""
    send = getattr(s3_notifications, _EVENTBRIDGE_SENDER)
    if not getattr(send, "imgfan_patched", False):
        setattr(s3_notifications, _EVENTBRIDGE_SENDER, _as_aws_sends(send))


def _check_s3_eventbridge_hook() -> None:
    from moto.events.models import Rule

    send = getattr(s3_notifications, _EVENTBRIDGE_SENDER, None)
    if send is None or _EVENTBRIDGE_SENDER not in inspect.getsource(s3_notifications.send_event):
        raise RuntimeError(
            f"moto {moto.__version__}: moto.s3.notifications.send_event no longer calls {_EVENTBRIDGE_SENDER}(); "
            "send_s3_eventbridge_events_as_aws_does() would not reach it. Re-check moto/s3/notifications.py.")
    if list(inspect.signature(send).parameters)[:4] != ["account_id", "bucket", "event_name", "key"]:
        raise RuntimeError(f"moto {moto.__version__}: {_EVENTBRIDGE_SENDER}() changed its parameters")
    if "transform_input" not in inspect.signature(Rule.send_to_targets).parameters:
        raise RuntimeError(f"moto {moto.__version__}: events Rule.send_to_targets() lost transform_input")


def assert_hooks_present() -> None:
    """Fail loudly if moto no longer builds and sends S3 events where the patches wrap them."""
    _check_s3_event_hook()
    _check_s3_eventbridge_hook()


def apply() -> None:
    assert_hooks_present()
    add_version_and_sequencer_to_s3_events()
    send_s3_eventbridge_events_as_aws_does()
