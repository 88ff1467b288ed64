"""The layer's pins are pyproject.toml's: the embedded cloud and AWS then run the same versions."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{line!r} must pin one version with =="
            pins[name.split("[", 1)[0].strip().lower()] = version.strip()
    return pins


def test_every_layer_pin_is_the_pyproject_pin():
    layer = _pins((REPO_ROOT / "src" / "imgfan" / "cdk" / "layer_requirements.txt").read_text().splitlines())
    project = _pins(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    assert {name: project.get(name) for name in layer} == layer


def test_the_layer_pins_the_aws_sdk_the_functions_rely_on():
    layer = _pins((REPO_ROOT / "src" / "imgfan" / "cdk" / "layer_requirements.txt").read_text().splitlines())
    assert {"boto3", "botocore", "s3transfer"} <= set(layer)
    assert layer["boto3"] == layer["botocore"], "boto3 X.Y.Z requires botocore X.Y.Z"
