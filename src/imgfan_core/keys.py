"""Deterministic names: output keys and Step Functions execution names.

Deterministic output keys make a retry overwrite instead of duplicate; a deterministic
execution name turns a duplicate SQS delivery into ``ExecutionAlreadyExists``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from imgfan_core.formats import EXTENSIONS

if TYPE_CHECKING:
    from imgfan_core.engine.models import RenderSpec

MANIFEST_NAME = "manifest.json"

# Step Functions execution names: 1-80 characters, no whitespace, brackets, wildcards,
# punctuation from " # % \ ^ | ~ ` $ & , ; : / or control characters. We keep a readable
# slug of the key for the console and make uniqueness come from the hash.
_EXECUTION_NAME_MAX = 80
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def decode_event_key(raw_key: str) -> str:
    """S3 event keys are URL-encoded with '+' for spaces (moto encodes '/' too)."""
    return unquote_plus(raw_key)


def variant_key(output_prefix: str, source_key: str, preset_name: str, output_format: str) -> str:
    return f"{output_prefix}{source_key}/{preset_name}.{EXTENSIONS[output_format]}"


def manifest_key(output_prefix: str, source_key: str) -> str:
    return f"{output_prefix}{source_key}/{MANIFEST_NAME}"


def output_folder(output_prefix: str, source_key: str) -> str:
    return f"{output_prefix}{source_key}/"


def longest_output_key(output_prefix: str, source_key: str, presets: Iterable[RenderSpec]) -> str:
    """The longest key an execution for ``source_key`` can write, in UTF-8 bytes.

    ``original`` resolves to a format only once the source is decoded, so it counts as the
    longest extension any format has.
    """
    candidates = [manifest_key(output_prefix, source_key)]
    for preset in presets:
        formats = EXTENSIONS if preset.format == "original" else (preset.format,)
        candidates += [variant_key(output_prefix, source_key, preset.name, fmt) for fmt in formats]
    return max(candidates, key=lambda key: len(key.encode("utf-8")))


def execution_name(action: str, bucket: str, key: str, revision: str, presets_digest: str) -> str:
    """``{action}-{slug}-{hash}``: unique per object revision and presets, at most 80 characters.

    ``revision`` is the version id when the bucket is versioned, else the ETag with the event's
    sequencer (the sequencer alone for deletions): a redelivered event maps to the same name,
    a new upload of the same key, even of identical bytes, to a new one.
    """
    identity = "\n".join((action, bucket, key, revision, presets_digest))
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:24]
    stem = key.rsplit("/", 1)[-1]
    slug = _UNSAFE_NAME_CHARS.sub("_", stem).strip("_.-") or "object"
    room = _EXECUTION_NAME_MAX - len(action) - len(digest) - 2
    return f"{action}-{slug[:room]}-{digest}"
