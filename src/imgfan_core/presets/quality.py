"""A preset's ``quality`` in the presets file: its three forms and the one problem to report.

The forms are a union, and pydantic reports a failure per form; only the form the value is
written in helps the person fixing it, so :func:`quality_problem` picks that one.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field
from pydantic_core import ErrorDetails

from imgfan_core.engine import quality as engine_quality
from imgfan_core.presets.problems import (
    BOUND_ERRORS,
    TYPE_MESSAGES,
    FieldProblem,
    out_of_bounds,
    suggest,
    unknown_field,
)
from imgfan_core.presets.strict import StrictModel


class QualityTarget(StrictModel):
    target: int = Field(
        ge=engine_quality.MIN_TARGET,
        le=engine_quality.MAX_TARGET,
        description="SSIMULACRA2 score each variant must reach: 90 visually lossless, 70 high, 50 medium.",
    )


QUALITY_FORMS = (
    f'use a whole number from 1 to 100, "auto" (a score of {engine_quality.AUTO_TARGET}), or '
    f'{{"target": N}} with N from {engine_quality.MIN_TARGET} to {engine_quality.MAX_TARGET}'
)


def quality_problem(value: Any, errors: list[ErrorDetails]) -> FieldProblem:
    shown = json.dumps(value, default=str)
    if isinstance(value, int) and not isinstance(value, bool):
        return FieldProblem((), f"{shown} is out of range; {QUALITY_FORMS}")
    if isinstance(value, str) and value.strip().isdigit():
        return FieldProblem((), TYPE_MESSAGES["int_type"].format(shown=shown))
    if isinstance(value, str):
        return FieldProblem((), f"{shown} is not allowed; {QUALITY_FORMS}{suggest(value, ['auto'])}")
    if not isinstance(value, dict):
        return FieldProblem((), f"{shown} is not a quality; {QUALITY_FORMS}")
    # A misspelt key first: it also explains the missing 'target'.
    error = min((e for e in errors if e["loc"][0] == QualityTarget.__name__),
                key=lambda e: e["type"] != "extra_forbidden")
    path, given = tuple(error["loc"][1:]), json.dumps(error.get("input"), default=str)
    if error["type"] == "extra_forbidden":
        return FieldProblem(path, unknown_field(path, QualityTarget))
    if error["type"] == "missing":
        example = {"target": engine_quality.AUTO_TARGET}
        return FieldProblem(path, f"required but missing; add it, e.g. {json.dumps(example)}")
    if error["type"] in BOUND_ERRORS:
        return FieldProblem(path, out_of_bounds(QualityTarget.model_fields["target"], given))
    return FieldProblem(path, TYPE_MESSAGES["int_type"].format(shown=given))
