"""Removing a deleted source's outputs, and only when the source is really gone.

S3 delivers notifications at least once and in no guaranteed order, and on a versioned bucket
an ``ObjectRemoved:Delete`` may concern an old version only
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html).
So a delete event says that *something* was removed, not that the image is gone. What the key
holds now decides, in this order:

1. List the output folder.
2. Then look at the source key. If it holds an object (an upload newer than the delete, or the
   current version when an older one was deleted), nothing is removed: that object's own
   execution renders it and sweeps older generations (``publish``).
3. Otherwise remove exactly what the listing found. Every listed output was written before the
   listing, and the key was empty after it, so none belongs to an upload that exists now; what is
   written after the listing is never touched. (An execution of the deleted upload that was
   still running removes its own variants when its finalizer finds the source gone.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imgfan_core.contract import OutputSettings, SourceRef
from imgfan_core.keys import output_folder
from imgfan_core.storage import SourceState, delete_keys, list_folder, retryable, source_state


@dataclass(frozen=True)
class Cleanup:
    folder: str
    deleted: list[str] = field(default_factory=list)
    # Why nothing was removed: the key holds an object; None when the outputs were removed.
    kept_because: str | None = None


def kept_because(deleted: SourceRef, now: SourceState) -> str | None:
    """Why the outputs must stay although ``deleted`` was removed, or None when the image is gone."""
    if not now.exists:
        return None
    if deleted.version_id and now.version_id and now.version_id != deleted.version_id:
        return f"only version {deleted.version_id} was deleted; version {now.version_id} is current"
    return "the key holds an object again, uploaded after the delete; its own execution renders it"


def clean_outputs(s3: Any, source: SourceRef, output: OutputSettings) -> Cleanup:
    folder = output_folder(output.prefix, source.key)
    try:
        listed = [entry["Key"] for entry in list_folder(s3, output.bucket, folder)]
        reason = kept_because(source, source_state(s3, source.bucket, source.key))
        if reason is not None:
            return Cleanup(folder, kept_because=reason)
        delete_keys(s3, output.bucket, listed)
    except (ClientError, BotoCoreError) as exc:
        raise retryable(exc, f"removing the outputs in s3://{output.bucket}/{folder}") from exc
    return Cleanup(folder, listed)
