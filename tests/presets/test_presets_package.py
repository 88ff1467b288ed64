"""imgfan_core.presets is a package: its public names stay where callers import them from, and
the option vocabularies it validates are the very types the engine's specs carry."""

from __future__ import annotations

import ast
import dataclasses
import typing
from pathlib import Path

from imgfan_core import presets, vocabulary
from imgfan_core.engine.models import MetadataSpec, OverlaySpec, RenderSpec
from imgfan_core.presets import MetadataPolicy, Overlay, Preset

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = (
    (Preset, RenderSpec, {"fit": "Fit", "position": "Position", "format": "OutputFormat",
                          "animation": "AnimationPolicy", "gain_map": "GainMapPolicy"}),
    (Overlay, OverlaySpec, {"position": "Gravity"}),
)


def test_every_name_in_all_is_defined():
    assert presets.__all__, "imgfan_core.presets.__all__ is empty"
    missing = [name for name in presets.__all__ if not hasattr(presets, name)]
    assert missing == []


def test_every_name_imported_from_the_package_across_the_repository_exists():
    imported = set()
    for folder in ("src", "functions", "infra", "tests", "benchmarks", "scripts"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "imgfan_core.presets":
                    imported.update(alias.name for alias in node.names)
    assert {"PresetsConfig", "parse_presets", "presets_hash"} <= imported
    assert sorted(name for name in imported if not hasattr(presets, name)) == []


def test_the_engine_specs_use_the_vocabulary_types_of_the_presets_model():
    for model, spec, fields in SHARED:
        spec_types = typing.get_type_hints(spec)
        for field, type_name in fields.items():
            shared = getattr(vocabulary, type_name)
            assert model.model_fields[field].annotation is shared, f"{model.__name__}.{field}"
            assert spec_types[field] is shared, f"{spec.__name__}.{field}"


def test_kept_metadata_and_auto_quality_are_the_vocabulary_s():
    assert typing.get_args(MetadataPolicy.model_fields["keep"].annotation) == (vocabulary.KeptMetadata, ...)
    assert typing.get_type_hints(MetadataSpec)["keep"] == tuple[vocabulary.KeptMetadata, ...]
    assert vocabulary.AutoQuality in typing.get_args(typing.get_type_hints(RenderSpec)["quality"])
    assert vocabulary.AutoQuality in typing.get_args(Preset.model_fields["quality"].annotation)


def test_every_engine_gravity_and_strategy_is_a_position_the_presets_accept():
    from imgfan_core.engine import position

    assert set(position.GRAVITY) == set(typing.get_args(vocabulary.Gravity))
    assert set(position.STRATEGIES) == set(typing.get_args(vocabulary.Strategy))
    assert set(typing.get_args(vocabulary.Position)) == set(position.GRAVITY) | set(position.STRATEGIES)


def test_spec_defaults_are_values_of_their_vocabulary():
    for _, spec, fields in SHARED:
        defaults = {f.name: f.default for f in dataclasses.fields(spec)}
        for field, type_name in fields.items():
            assert defaults[field] in typing.get_args(getattr(vocabulary, type_name)), f"{spec.__name__}.{field}"
