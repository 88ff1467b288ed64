"""Pydantic's validation errors as the problems a person fixes: the field's path, then the fix.

Nothing here knows the presets model: the caller passes the model a document is validated
against, and each error's location is looked up in it (allowed keys, bounds, the preset's name).
"""

from __future__ import annotations

import difflib
import json
import re
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

# Where in the document an error sits, as pydantic spells it: keys and list indexes.
FieldPath = tuple[str | int, ...]


class FieldProblem(ValueError):
    """A cross-field rule broken at ``path``: lets messages name the field, not just the model."""

    def __init__(self, path: FieldPath, message: str):
        super().__init__(message)
        self.path = path
        self.message = message


# Pydantic error types whose message needs only the offending value, shown as JSON.
TYPE_MESSAGES = {
    "int_type": "expected a whole number, got {shown}; write it without quotes or decimals",
    "int_parsing": "expected a whole number, got {shown}; write it without quotes or decimals",
    "int_from_float": "expected a whole number, got {shown}; write it without quotes or decimals",
    "bool_type": "expected true or false, got {shown}",
    "string_type": "expected a string, got {shown}",
    "model_type": "expected an object {{...}}, got {shown}",
    "model_attributes_type": "expected an object {{...}}, got {shown}",
    "dict_type": "expected an object {{...}}, got {shown}",
    "list_type": "expected a list [...], got {shown}",
    "missing": "required but missing; add it",
    "string_too_short": "must not be empty",
}
_PATTERN_MESSAGES = {
    "name": "{shown} is not a safe preset name: it becomes part of S3 keys, so use 1-40 lower-case "
            "letters, digits and inner hyphens, e.g. '{slug}'",
    "background": "{shown} is not a colour; use #rrggbb or #rrggbbaa, e.g. '#ffffff'",
    "public_base_url": "{shown} is not a base URL; use http(s)://host/path without query or fragment",
}
BOUND_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _location(loc: FieldPath) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


def _field_at(root: type[BaseModel], loc: FieldPath) -> tuple[type[BaseModel] | None, Any]:
    """The model that owns the last part of ``loc`` and that part's FieldInfo (None if unknown)."""
    model: type[BaseModel] | None = root
    owner: type[BaseModel] | None = None
    field = None
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None:
            return None, None
        owner = model
        field = next((f for name, f in owner.model_fields.items() if name == part or f.alias == part), None)
        if field is None:
            return owner, None
        model = _model_in(field.annotation)
    return owner, field


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _bounds(field: Any) -> tuple[Any, Any]:
    low = high = None
    for item in getattr(field, "metadata", []):
        if hasattr(item, "ge"):
            low = item.ge
        elif hasattr(item, "gt"):
            low = item.gt + 1  # every bounded field here is an integer
        if hasattr(item, "le"):
            high = item.le
    return low, high


def suggest(word: Any, choices: list[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _slug(value: Any) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")[:40].strip("-")
    return slug or "thumb"


def _preset_label(loc: FieldPath, data: Any) -> str:
    """' (preset "thumb")' when the error sits inside a preset that has a readable name."""
    if len(loc) >= 2 and loc[0] == "presets" and isinstance(loc[1], int) and isinstance(data, dict):
        presets = data.get("presets")
        if isinstance(presets, list) and loc[1] < len(presets) and isinstance(presets[loc[1]], dict):
            name = presets[loc[1]].get("name")
            if isinstance(name, str) and name and loc[2:] != ("name",):
                return f" (preset '{name}')"
    return ""


def unknown_field(loc: FieldPath, owner: type[BaseModel] | None) -> str:
    allowed = _allowed_keys(owner) if owner else []
    hint = suggest(loc[-1], allowed) if allowed else ""
    listing = f" Allowed here: {', '.join(allowed)}." if allowed else ""
    fix = f"unknown field{hint} Rename it." if hint else "unknown field (typo?); remove it or fix the spelling."
    return f"{fix}{listing}"


def out_of_bounds(field: Any, shown: str) -> str:
    low, high = _bounds(field)
    if high is None:
        return f"must be a positive whole number (at least {low}), got {shown}"
    return f"{shown} is out of range; use a whole number from {low} to {high}"


def _describe(error: ErrorDetails, root: type[BaseModel]) -> tuple[FieldPath, str]:
    loc, kind, value = tuple(error["loc"]), error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    owner, field = _field_at(root, loc)
    shown = json.dumps(value, default=str)

    if kind == "value_error" and isinstance(ctx.get("error"), FieldProblem):
        problem: FieldProblem = ctx["error"]
        return loc + problem.path, problem.message
    if kind == "extra_forbidden":
        return loc, unknown_field(loc, owner)
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", ctx.get("expected", ""))
        return loc, f"{shown} is not allowed; use one of {', '.join(choices)}{suggest(value, choices)}"
    if kind in BOUND_ERRORS:
        return loc, out_of_bounds(field, shown)
    if kind == "string_pattern_mismatch":
        template = _PATTERN_MESSAGES.get(str(loc[-1]))
        if template is None:
            return loc, f"{shown} has characters that are not allowed here (pattern {ctx.get('pattern')})"
        return loc, template.format(shown=shown, slug=_slug(value))
    if kind in TYPE_MESSAGES:
        return loc, TYPE_MESSAGES[kind].format(shown=shown)
    if kind == "too_short" and loc == ("presets",):
        return loc, "is empty; add at least one preset"
    if kind == "too_long":
        return loc, f"too many items; at most {ctx.get('max_length')}"
    return loc, error["msg"].removeprefix("Value error, ")


def format_error(error: ErrorDetails, root: type[BaseModel], data: Any = None) -> str:
    """One line for one error in ``data``, validated against ``root``: where, then what to do."""
    loc, message = _describe(error, root)
    return f"{_location(loc)}{_preset_label(loc, data)}: {message}"
