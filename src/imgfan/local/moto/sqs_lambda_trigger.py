"""moto's synchronous SQS -> Lambda trigger (moto/sqs/models.py), switched off.

imgfan.local.sqs_poller is the event source mapping instead; :func:`assert_hooks_present` fails
loudly if moto stops reading the attribute this empties.
"""

from __future__ import annotations

import inspect
from typing import Any

import moto
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


def assert_hooks_present() -> None:
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


def apply() -> None:
    assert_hooks_present()
    disable_moto_sqs_lambda_trigger()
