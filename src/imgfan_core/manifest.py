"""The manifest: one JSON document per source object that web pages and other systems build on.

``build_manifest`` turns the state machine's final state into the document; ``validate_manifest``
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

from imgfan_core.errors import ImgfanError
from imgfan_core.keys import output_folder

MANIFEST_SCHEMA_VERSION = "imgfan.manifest/1"
MANIFEST_CONTENT_TYPE = "application/json"
# Backfill rewrites manifests in place, so caches must revalidate every time.
MANIFEST_CACHE_CONTROL = "no-cache"
SCHEMA_RESOURCE = "schemas/manifest.schema.json"

# Long causes are usually stack traces or whole HTML error pages; a manifest is not a log.
_MAX_MESSAGE = 1000
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
_VARIANT_FIELDS = ("key", "width", "height", "format", "content_type", "bytes")


class InvalidManifest(ImgfanError):
    """A built manifest does not match manifest.schema.json: a bug in the builder, never user input."""


def load_schema() -> dict[str, Any]:
    return json.loads(resources.files("imgfan_core").joinpath(SCHEMA_RESOURCE).read_text("utf-8"))


# Compiled once per process: a Lambda container validates many manifests with one compile.
_validate = fastjsonschema.compile(load_schema())


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


def build_manifest(state: dict[str, Any], execution: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The manifest for the finalizer's event (``state`` = whole execution state, ``execution`` = context).

    ``state`` is the execution input plus ``analysis.image`` (SourceInfo.to_dict()) or
    ``analysis_error`` ({Error, Cause}) plus ``variants`` (ok records or failed records).
    """
    now = _as_utc(now)
    source = state["source"]
    output = state["settings"]["output"]
    folder = output_folder(output.get("prefix") or "", source["key"])
    image = (state.get("analysis") or {}).get("image")
    analysis_error = state.get("analysis_error")

    if analysis_error is not None:
        source_error: dict[str, str] | None = _error(analysis_error.get("Error"), analysis_error.get("Cause"))
    elif image is None:
        # Only a broken state machine definition gets here; say so rather than invent data.
        source_error = {"type": "MissingAnalysis", "message": "the execution state has no analysis result"}
    else:
        source_error = None

    if source_error is not None:
        variants = [_failed(p["name"], source_error) for p in state.get("presets", [])]
        image = None
    else:
        variants = [_variant(record) for record in state.get("variants") or []]

    ok = [v for v in variants if v["status"] == "ok"]
    if source_error is not None or not ok:
        status = "failed"
    elif len(ok) == len(variants):
        status = "complete"
    else:
        status = "partial"

    return {
        "schema": MANIFEST_SCHEMA_VERSION,
        "status": status,
        "source": _source(source, image),
        "output": {"bucket": output["bucket"], "folder": folder},
        "presets_hash": state["presets_hash"],
        "variants": variants,
        "srcset": build_srcset(variants, folder, output.get("public_base_url"), _upright_size(image)),
        "placeholder": _placeholder(image),
        "error": source_error,
        "execution": _execution(execution, now),
        "generated_at": _iso(now),
    }


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


def _variant_url(key: str, folder: str, public_base_url: str | None) -> str:
    if public_base_url:
        return f"{public_base_url.rstrip('/')}/{quote(key, safe='/')}"
    relative = key.removeprefix(folder)
    # Spaces and commas would split a srcset candidate, so encode everything but '/'.
    return quote(relative, safe="/")


def error_message(error_type: str | None, cause: Any) -> str:
    """A readable message from a Step Functions Cause: Lambda causes are JSON with errorMessage."""
    if isinstance(cause, str):
        try:
            parsed = json.loads(cause)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("errorMessage"):
            message = str(parsed["errorMessage"])
        else:
            message = cause.strip()
    elif isinstance(cause, dict) and cause.get("errorMessage"):
        message = str(cause["errorMessage"])
    elif cause is None:
        message = ""
    else:
        message = json.dumps(cause, default=str)
    if not message:
        message = error_type or "unknown error"
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def _error(error_type: str | None, cause: Any) -> dict[str, str]:
    return {"type": error_type or "Unknown", "message": error_message(error_type, cause)}


def _failed(preset: str, error: dict[str, str]) -> dict[str, Any]:
    return {"preset": preset, "status": "failed", **dict.fromkeys(_VARIANT_FIELDS), "error": dict(error)}


def _variant(record: dict[str, Any]) -> dict[str, Any]:
    if record.get("status") == "ok":
        return {"preset": record["preset"], "status": "ok", **{f: record.get(f) for f in _VARIANT_FIELDS}}
    raw = record.get("error") or {}
    return _failed(record["preset"], _error(raw.get("type"), raw.get("cause")))


def _source(source: dict[str, Any], image: dict[str, Any] | None) -> dict[str, Any]:
    image = image or {}
    result = {
        "bucket": source["bucket"],
        "key": source["key"],
        "version_id": source.get("version_id"),
        "etag": source.get("etag"),
        # The analysed byte count is what was actually read; the event's may be absent.
        "bytes": image.get("bytes", source.get("bytes")),
    }
    result.update({field: image.get(field) for field in _ANALYSIS_FIELDS})
    return result


def _upright_size(image: dict[str, Any] | None) -> tuple[int, int] | None:
    width, height = (image or {}).get("width"), (image or {}).get("height")
    if isinstance(width, int) and isinstance(height, int):
        return width, height
    return None


def _placeholder(image: dict[str, Any] | None) -> dict[str, Any] | None:
    placeholder = (image or {}).get("placeholder")
    if not placeholder:
        return None
    return {"data_uri": placeholder.get("data_uri"), "dominant_color": placeholder.get("dominant_color")}


def _execution(execution: dict[str, Any], now: datetime) -> dict[str, Any]:
    start = _parse_time(execution.get("start"))
    duration = None
    if start is not None:
        # Clocks of the state machine and the finalizer's host can disagree by a little.
        duration = max(0, round((now - start).total_seconds() * 1000))
    return {
        "name": execution.get("name"),
        "arn": execution.get("arn"),
        "start": _iso(start) if start is not None else _opt_str(execution.get("start")),
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
