"""Deterministic names: output keys, variant fingerprints and Step Functions execution names.

Deterministic output keys make a retry overwrite instead of duplicate; a deterministic
execution name turns a duplicate SQS delivery into ``ExecutionAlreadyExists``. A fingerprinted
variant key names the exact bytes behind it, so it can be cached forever (docs/design.md §4).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote_plus, unquote_plus

from imgfan_core.formats import EXTENSIONS

if TYPE_CHECKING:
    from imgfan_core.contract import ResizerRequest
    from imgfan_core.engine.models import MetadataSpec, RenderSpec

FINGERPRINT_LENGTH = 12

MANIFEST_NAME = "manifest.json"

# Step Functions execution names: 1-80 characters, no whitespace, brackets, wildcards,
# punctuation from " # % \ ^ | ~ ` $ & , ; : / or control characters. We keep a readable
# slug of the key for the console and make uniqueness come from the hash.
_EXECUTION_NAME_MAX = 80
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def decode_event_key(raw_key: str) -> str:
    """S3 event keys are URL-encoded with '+' for spaces (moto encodes '/' too)."""
    return unquote_plus(raw_key)


def encode_event_key(key: str) -> str:
    """A key as S3 writes it into notifications ('+' for spaces): ``decode_event_key`` inverts it."""
    return quote_plus(key, safe="/")


def variant_key(
    output_prefix: str, source_key: str, preset_name: str, output_format: str, fingerprint: str | None = None
) -> str:
    """``{prefix}{key}/{preset}.{fingerprint}.{ext}``, or ``{preset}.{ext}`` for stable keys."""
    stem = f"{preset_name}.{fingerprint}" if fingerprint else preset_name
    return f"{output_prefix}{source_key}/{stem}.{EXTENSIONS[output_format]}"


def variant_fingerprint(content_id: str, spec: RenderSpec, metadata: MetadataSpec, renderer: str,
                        focus: tuple[float, float] | None = None, overlay_revision: str | None = None,
                        gain_map: bool = False) -> str:
    """A short hash of everything that decides a variant's bytes.

    ``content_id`` names the source bytes (the ETag: an identical re-upload keeps it, so its
    variants keep their keys); ``renderer`` names the engine and codec versions, so an upgrade
    that changes the encoder's output writes new keys instead of new bytes under old ones. The
    focal point, the overlay picture's revision and a kept Ultra HDR gain map count only when
    there is one, so images without them keep the fingerprints they had before those features
    (and an HDR photo's variants, which gained a gain map, get new keys).
    """
    fields: dict[str, object] = {"content": content_id, "preset": _non_default(spec),
                                 "metadata": _non_default(metadata), "renderer": renderer}
    if focus is not None:
        fields["focus"] = list(focus)
    if overlay_revision is not None:
        fields["overlay"] = overlay_revision
    if gain_map:
        fields["gain_map"] = "kept"
    material = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH]


def manifest_key(output_prefix: str, source_key: str) -> str:
    return f"{output_prefix}{source_key}/{MANIFEST_NAME}"


def output_folder(output_prefix: str, source_key: str) -> str:
    return f"{output_prefix}{source_key}/"


def _non_default(spec: object) -> dict[str, object]:
    """Options that differ from their defaults: a release that adds an option (its default being
    the old behaviour) keeps every fingerprint, so caches keep every key."""
    values = spec.to_dict()  # type: ignore[attr-defined]
    defaults = {f.name: f.default for f in dataclasses.fields(spec) if f.default is not dataclasses.MISSING}  # type: ignore[arg-type]
    return {name: value for name, value in values.items() if name not in defaults or value != defaults[name]}


def key_for_variant(request: ResizerRequest, output_format: str, renderer: str,
                    focus: tuple[float, float] | None = None, overlay_revision: str | None = None,
                    gain_map: bool = False) -> str:
    """Where the resizer writes ``request``'s variant, in the presets' key style (``gain_map``: the
    variant carries the source's gain map, ``RenderedVariant.gain_map``)."""
    output, preset = request.settings.output, request.preset
    if preset is None:
        raise ValueError("only resize requests write variants")
    fingerprint = None
    if output.key_style == "fingerprinted":
        fingerprint = variant_fingerprint(request.source.content_id, preset, request.settings.metadata, renderer,
                                          focus, overlay_revision, gain_map)
    return variant_key(output.prefix, request.source.key, preset.name, output_format, fingerprint)


def longest_output_key(
    output_prefix: str, source_key: str, presets: Iterable[RenderSpec], fingerprinted: bool = True
) -> str:
    """The longest key an execution for ``source_key`` can write, in UTF-8 bytes.

    ``original`` resolves to a format only once the source is decoded, so it counts as the
    longest extension any format has.
    """
    fingerprint = "f" * FINGERPRINT_LENGTH if fingerprinted else None
    candidates = [manifest_key(output_prefix, source_key)]
    for preset in presets:
        formats = EXTENSIONS if preset.format == "original" else (preset.format,)
        candidates += [variant_key(output_prefix, source_key, preset.name, fmt, fingerprint) for fmt in formats]
    return max(candidates, key=lambda key: len(key.encode("utf-8")))


def execution_name(action: str, bucket: str, key: str, revision: str, presets_digest: str) -> str:
    """``{action}-{slug}-{hash}``: unique per object revision and presets, at most 80 characters.

    ``revision`` is the version id when the bucket is versioned, else the ETag with the event's
    sequencer (the sequencer alone for deletions): a redelivered event maps to the same name,
    a new upload of the same key, even of identical bytes, to a new one.
    """
    identity = f"{action}\n{bucket}\n{key}\n{revision}\n{presets_digest}"
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:24]
    stem = key.rsplit("/", 1)[-1]
    slug = _UNSAFE_NAME_CHARS.sub("_", stem).strip("_.-") or "object"
    room = _EXECUTION_NAME_MAX - len(action) - len(digest) - 2
    return f"{action}-{slug[:room]}-{digest}"
