"""The manifest: one JSON document per source object that web pages and other systems build on.

``build_manifest`` turns typed inputs (``contract.ManifestInputs``: the finalizer makes them from
the state machine's final state, ``imgfan render`` from its own results) into the document; ``validate_manifest``
checks it against ``imgfan_core/schemas/manifest.schema.json`` (the one manifest schema in the
repository). The finalizer validates before it writes, so a manifest that fails its own schema is
a bug that fails loudly rather than a file that silently misleads its readers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import quote

import fastjsonschema

from imgfan_core import manifest_validator
from imgfan_core.contract import ErrorRecord, ExecutionInfo, ManifestInputs, SourceRef, VariantResult
from imgfan_core.engine.models import SourceInfo
from imgfan_core.errors import ImgfanError
from imgfan_core.keys import output_folder

MANIFEST_SCHEMA_VERSION = "imgfan.manifest/2"
MANIFEST_CONTENT_TYPE = "application/json"
# Backfill rewrites manifests in place, so caches must revalidate every time.
MANIFEST_CACHE_CONTROL = "no-cache"
SCHEMA_RESOURCE = "schemas/manifest.schema.json"

_ANALYSIS_FIELDS = (
    "format",
    "width",
    "height",
    "orientation",
    "has_alpha",
    "animated",
    "frames",
    "colour_profile",
)


class InvalidManifest(ImgfanError):
    """A built manifest does not match manifest.schema.json: a bug in the builder, never user input."""


def load_schema() -> dict[str, Any]:
    return json.loads(resources.files("imgfan_core").joinpath(SCHEMA_RESOURCE).read_text("utf-8"))


# The schema compiled to Python ahead of time (scripts/generate_manifest_validator.py): compiling it
# here cost every cold start and every `imgfan render` about 25 ms.
_validate = manifest_validator.validate


def validate_manifest(document: dict[str, Any]) -> dict[str, Any]:
    """Return ``document`` unchanged if it matches the schema, else raise InvalidManifest naming the field."""
    try:
        _validate(document)
    except fastjsonschema.JsonSchemaValueException as exc:
        where = (exc.name or "data").replace("data", "manifest", 1)
        raise InvalidManifest(
            f"{where}: {exc.message.removeprefix(exc.name or '').strip()} "
            f"(value: {json.dumps(exc.value, default=str)[:200]})"
        ) from None
    return document


def build_manifest(inputs: ManifestInputs, now: datetime) -> dict[str, Any]:
    """The manifest document for one execution's results, as of ``now``."""
    now = _as_utc(now)
    folder = output_folder(inputs.output.prefix, inputs.source.key)
    if inputs.error is not None:
        variants = [VariantResult.failed(name, inputs.error) for name in inputs.preset_names]
        image = None
    else:
        variants = list(inputs.variants)
        image = inputs.analysis
    base_url = inputs.output.public_base_url
    documents = [_variant_document(variant, folder, base_url) for variant in variants]
    return {
        "schema": MANIFEST_SCHEMA_VERSION,
        "status": manifest_status(variants, inputs.error),
        "source": _source(inputs.source, image),
        "output": {"bucket": inputs.output.bucket, "folder": folder},
        "presets_hash": inputs.presets_hash,
        "variants": documents,
        "srcset": build_srcset(documents, folder, base_url, _upright_size(image)),
        "placeholder": _placeholder(image),
        "error": inputs.error.to_dict() if inputs.error is not None else None,
        "execution": _execution(inputs.execution, now),
        "generated_at": _iso(now),
    }


def manifest_status(variants: list[VariantResult], source_error: ErrorRecord | None) -> str:
    ok = sum(1 for variant in variants if variant.status == "ok")
    if source_error is not None or ok == 0:
        return "failed"
    return "complete" if ok == len(variants) else "partial"


def failure_of(manifest: dict[str, Any]) -> dict[str, str] | None:
    """Why a ``failed`` manifest failed: the source's error, else the first failed preset's."""
    if manifest["status"] != "failed":
        return None
    if manifest["error"] is not None:
        return manifest["error"]
    failed = [v["error"] for v in manifest["variants"] if v["status"] == "failed"]
    return failed[0] if failed else {"type": "NoVariants", "message": "no preset produced a variant"}


def dumps_manifest(document: dict[str, Any]) -> bytes:
    """The bytes the finalizer writes: stable key order so identical manifests diff cleanly."""
    return (json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode("utf-8")


def build_srcset(
    variants: list[dict[str, Any]],
    folder: str,
    public_base_url: str | None = None,
    source_size: tuple[int, int] | None = None,
) -> dict[str, str]:
    """``{format: "small.jpg 480w, big.jpg 1024w"}`` from ok variants, widths ascending.

    A srcset promises the same picture at several widths; the browser picks by width alone, so
    a cropped variant (a square thumb, a 1200x630 social card) would show the wrong framing on
    some screens. With ``source_size`` (upright width, height) only variants with the source's
    aspect ratio (within a pixel of rounding) take part; crops stay listed in ``variants``.

    URLs are relative to the manifest's folder unless ``public_base_url`` is set (then absolute,
    base + URL-encoded key). Two candidates of one format with the same width would make the
    descriptor ambiguous (invalid HTML), so the first in preset order wins.
    """
    by_format: dict[str, dict[int, str]] = {}
    for variant in variants:
        if variant["status"] != "ok" or not isinstance(variant.get("width"), int):
            continue
        if source_size is not None and not same_aspect(variant["width"], variant.get("height"), source_size):
            continue
        widths = by_format.setdefault(variant["format"], {})
        if variant["width"] in widths:
            continue
        widths[variant["width"]] = _variant_url(variant["key"], folder, public_base_url)
    return {
        fmt: ", ".join(f"{url} {width}w" for width, url in sorted(widths.items()))
        for fmt, widths in sorted(by_format.items())
    }


def same_aspect(width: int, height: Any, source_size: tuple[int, int]) -> bool:
    """True when width x height is the source scaled, allowing one pixel of rounding either way."""
    source_width, source_height = source_size
    if not isinstance(height, int) or source_width <= 0 or source_height <= 0:
        return True
    return (
        abs(height - width * source_height / source_width) <= 1
        or abs(width - height * source_width / source_height) <= 1
    )


def _variant_document(variant: VariantResult, folder: str, public_base_url: str | None) -> dict[str, Any]:
    document = variant.to_dict()
    document["url"] = _variant_url(variant.key, folder, public_base_url) if variant.key else None
    return document


def object_url(key: str, public_base_url: str | None) -> str | None:
    """The absolute URL of an output object, when a public base URL is known."""
    return _variant_url(key, "", public_base_url) if public_base_url else None


def _variant_url(key: str, folder: str, public_base_url: str | None) -> str:
    if public_base_url:
        return f"{public_base_url.rstrip('/')}/{quote(key, safe='/')}"
    relative = key.removeprefix(folder)
    # Spaces and commas would split a srcset candidate, so encode everything but '/'.
    return quote(relative, safe="/")


def _source(source: SourceRef, image: SourceInfo | None) -> dict[str, Any]:
    analysed = image.to_dict() if image is not None else {}
    result = {
        "bucket": source.bucket,
        "key": source.key,
        "version_id": source.version_id,
        "etag": source.etag,
        # The analysed byte count is what was actually read; the event's may be absent.
        "bytes": analysed.get("bytes", source.bytes),
    }
    result.update({field: analysed.get(field) for field in _ANALYSIS_FIELDS})
    # Only an HDR source says so: every other manifest stays as it was before the field existed.
    if analysed.get("hdr") is not None:
        result["hdr"] = analysed["hdr"]
    return result


def _upright_size(image: SourceInfo | None) -> tuple[int, int] | None:
    return (image.width, image.height) if image is not None else None


def _placeholder(image: SourceInfo | None) -> dict[str, Any] | None:
    if image is None or not image.placeholder:
        return None
    shown = {"data_uri": image.placeholder.get("data_uri"), "dominant_color": image.placeholder.get("dominant_color")}
    # An analysis made before the ThumbHash existed (an execution in flight) has none to show.
    if "thumbhash" in image.placeholder:
        shown["thumbhash"] = image.placeholder["thumbhash"]
    return shown


def _execution(execution: ExecutionInfo, now: datetime) -> dict[str, Any]:
    start = _parse_time(execution.start)
    duration = None
    if start is not None:
        # Clocks of the state machine and the finalizer's host can disagree by a little.
        duration = max(0, round((now - start).total_seconds() * 1000))
    return {
        "name": execution.name,
        "arn": execution.arn,
        "start": _iso(start) if start is not None else _opt_str(execution.start),
        "end": _iso(now),
        "duration_ms": duration,
    }


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return _as_utc(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Epoch seconds, or milliseconds from some emulators.
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str) and value:
        try:
            return _as_utc(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
