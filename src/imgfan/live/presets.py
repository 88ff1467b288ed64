"""The presets parameter in SSM: what the dispatcher reads, and what ``imgfan presets push`` writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from imgfan.aws import attempting
from imgfan.live.errors import InvalidLivePresets, NoPresetsParameter
from imgfan_core.errors import InvalidPresets
from imgfan_core.presets import PresetsConfig, parse_presets

# Standard-tier SSM parameters hold 4 KB; beyond that only the Advanced tier fits.
STANDARD_TIER_MAX_BYTES = 4096


@dataclass(frozen=True)
class LivePresets:
    parameter: str
    text: str
    version: int

    @property
    def config(self) -> PresetsConfig:
        """The validated model; InvalidLivePresets rather than a guess at what a broken value means."""
        try:
            return parse_presets(self.text)
        except InvalidPresets as exc:
            raise InvalidLivePresets(self.parameter, str(exc)) from None


def read_presets(ssm: Any, parameter: str) -> LivePresets:
    """The parameter as stored; NoPresetsParameter before the first push."""
    try:
        with attempting(f"reading parameter {parameter}"):
            stored = ssm.get_parameter(Name=parameter)["Parameter"]
    except ssm.exceptions.ParameterNotFound:
        raise NoPresetsParameter(parameter) from None
    return LivePresets(parameter, stored["Value"], int(stored["Version"]))


def read_live_config(ssm: Any, parameter: str) -> PresetsConfig | None:
    """The live presets' model, or None before the first push (an invalid value still raises)."""
    try:
        return read_presets(ssm, parameter).config
    except NoPresetsParameter:
        return None


def parameter_value(document: dict[str, Any]) -> str:
    """Compact JSON without the editor-only $schema: small enough for the Standard tier."""
    body = {k: v for k, v in document.items() if k != "$schema"}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def write_presets(ssm: Any, parameter: str, document: dict[str, Any]) -> int:
    """Create or overwrite the parameter with ``document``; returns the new version."""
    value = parameter_value(document)
    request: dict[str, Any] = {"Name": parameter, "Value": value, "Type": "String", "Overwrite": True}
    if len(value.encode("utf-8")) > STANDARD_TIER_MAX_BYTES:
        request["Tier"] = "Advanced"
    with attempting(f"writing parameter {parameter}"):
        return int(ssm.put_parameter(**request)["Version"])
