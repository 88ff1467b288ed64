"""The base of every presets model: a presets file is checked, never guessed at."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    # Unknown keys are typos until proven otherwise: refuse them instead of ignoring them.
    # Strict types: "width": "200" is a mistake in a JSON file, not something to guess at.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
