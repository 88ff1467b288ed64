"""Small, named patches to moto for the embedded cloud; each one is checked by assert_moto_hooks_present()."""

from __future__ import annotations

import inspect
import itertools
from typing import Any

import moto
from moto.s3 import notifications as s3_notifications
from moto.sqs.models import Queue

# --- SQS -> Lambda: moto's synchronous trigger ---------------------------------------------
#
# moto's Queue.add_message() walks `self.lambda_event_source_mappings` and, inside the
# SendMessage request, receives and invokes one message at a time with no batching window,
# no batchItemFailures and no redrive. imgfan.local.sqs_poller does that job the way Lambda
# does, so moto's trigger must never fire.
#
# The narrowest point is that per-queue dict: it is written only by
# LambdaBackend.create_event_source_mapping() and read only by the loop in add_message().
# Patching add_message() would copy moto's FIFO de-duplication logic, and patching
# LambdaBackend.send_sqs_batch() would be too late: moto has already received the messages
# (bumping ApproximateReceiveCount and hiding them) by then. The mappings themselves stay in
# the Lambda backend, so list_event_source_mappings still reports them for the poller.

_SQS_MAPPINGS_ATTR = "lambda_event_source_mappings"


class _NoSqsLambdaMappings:
    """Data descriptor that makes every queue look as if no Lambda were attached to it.

    A data descriptor wins over the instance __dict__, so queues created before the patch are
    covered too. Writes are dropped and each read returns a fresh empty dict.
    """

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return {}

    def __set__(self, obj: Any, value: Any) -> None:
        pass


def disable_moto_sqs_lambda_trigger() -> None:
    """Stop moto invoking Lambda synchronously inside SendMessage (idempotent)."""
    if isinstance(Queue.__dict__.get(_SQS_MAPPINGS_ATTR), _NoSqsLambdaMappings):
        return
    setattr(Queue, _SQS_MAPPINGS_ATTR, _NoSqsLambdaMappings())


def _check_sqs_lambda_trigger_hook() -> None:
    # The attribute is set per instance, so only the source tells us moto still uses it.
    for where in (Queue.__init__, Queue.add_message):
        try:
            source = inspect.getsource(where)
        except (OSError, TypeError) as exc:
            raise RuntimeError(f"cannot read moto source of {where.__qualname__}: {exc}") from exc
        if _SQS_MAPPINGS_ATTR not in source:
            raise RuntimeError(
                f"moto {moto.__version__}: {where.__qualname__} no longer uses "
                f"Queue.{_SQS_MAPPINGS_ATTR}; disable_moto_sqs_lambda_trigger() would not stop "
                "moto's synchronous SQS->Lambda trigger. Re-check moto/sqs/models.py."
            )


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


def assert_moto_hooks_present() -> None:
    """Fail loudly if a moto upgrade removed a point that the embedded cloud patches."""
    from imgfan.local import lambda_runtime, moto_cfn, moto_speed, state_machine_lambda

    _check_sqs_lambda_trigger_hook()
    _check_s3_event_hook()
    moto_cfn.assert_hooks_present()
    lambda_runtime.assert_hook_point()
    state_machine_lambda.assert_hook_point()
    moto_speed.assert_hooks_present()


def apply_all(server_host: str) -> None:
    """Every moto patch the embedded cloud needs (the Lambda runtime installs its own hook)."""
    from imgfan.local import moto_cfn

    assert_moto_hooks_present()
    disable_moto_sqs_lambda_trigger()
    add_version_and_sequencer_to_s3_events()
    moto_cfn.apply(server_host)
