"""The manifest validator is compiled ahead of time; it must be what today's schema compiles to."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import fastjsonschema
import pytest

from imgfan_core import manifest_validator
from imgfan_core.manifest import load_schema

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "generate_manifest_validator.py"


def _generator():
    spec = importlib.util.spec_from_file_location("generate_manifest_validator", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_validator_is_what_the_schema_compiles_to():
    generated = (REPO / "src" / "imgfan_core" / "manifest_validator.py").read_text(encoding="utf-8")
    assert generated == _generator().generated_validator(), (
        "manifest.schema.json changed: run .venv/bin/python scripts/generate_manifest_validator.py")


@pytest.mark.parametrize("document", [
    {},
    {"schema": "imgfan.manifest/2"},
    [],
], ids=["empty", "schema only", "not an object"])
def test_it_refuses_what_the_schema_refuses(document):
    compiled = fastjsonschema.compile(load_schema())
    with pytest.raises(fastjsonschema.JsonSchemaValueException) as runtime:
        compiled(document)
    with pytest.raises(fastjsonschema.JsonSchemaValueException) as ahead:
        manifest_validator.validate(document)
    assert ahead.value.message == runtime.value.message
