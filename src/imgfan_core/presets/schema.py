"""The presets document's JSON Schema, generated from the model for editors and reviewers."""

from __future__ import annotations

import json
from typing import Any

from imgfan_core.presets.model import PresetsConfig

SCHEMA_FILE = "presets.schema.json"


def json_schema() -> dict[str, Any]:
    """The JSON Schema committed as ``presets.schema.json`` (a test fails when they drift)."""
    schema = PresetsConfig.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://imgfan.dev/schemas/presets.schema.json",
        "$comment": "GENERATED from imgfan_core.presets; regenerate with 'imgfan presets schema --write'.",
        **schema,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
