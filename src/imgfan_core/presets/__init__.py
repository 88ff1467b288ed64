"""The presets document: its model, how it is read and checked, its schema and its hash.

``model`` (the document) and ``preset`` (one preset) are the single source of truth;
``document`` reads text, dicts and files into them, with ``problems`` turning validation errors
into one line per problem that names the field and the fix; ``location`` keeps outputs away
from the sources; ``schema`` and ``hashing`` derive the JSON Schema and the manifests' hash.
The values each option allows live in :mod:`imgfan_core.vocabulary`, shared with the engine.
"""

from __future__ import annotations

from imgfan_core.presets.document import PresetsFile, check_presets_bytes, load_presets_file, parse_presets
from imgfan_core.presets.hashing import _hash_material as _hash_material  # tests read the material itself
from imgfan_core.presets.hashing import canonical_json, presets_hash
from imgfan_core.presets.location import check_output_location, output_location_problem
from imgfan_core.presets.model import Limits, MetadataPolicy, OutputTarget, PresetsConfig, SourceFilter
from imgfan_core.presets.preset import SELECTION_FIELDS, Overlay, Preset
from imgfan_core.presets.problems import FieldProblem
from imgfan_core.presets.quality import QualityTarget
from imgfan_core.presets.schema import SCHEMA_FILE, json_schema, json_schema_text

__all__ = [
    "SCHEMA_FILE",
    "SELECTION_FIELDS",
    "FieldProblem",
    "Limits",
    "MetadataPolicy",
    "OutputTarget",
    "Overlay",
    "Preset",
    "PresetsConfig",
    "PresetsFile",
    "QualityTarget",
    "SourceFilter",
    "canonical_json",
    "check_output_location",
    "check_presets_bytes",
    "json_schema",
    "json_schema_text",
    "load_presets_file",
    "output_location_problem",
    "parse_presets",
    "presets_hash",
]
