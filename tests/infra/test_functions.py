"""Lambda settings and the bundled layer asset (built without Docker)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests import synth_contexts

pytestmark = pytest.mark.synth

FUNCTIONS = ("dispatcher", "resizer", "finalizer", "cleaner")
DEFAULT_SIZES = {"dispatcher": (256, 30), "resizer": (1536, 60), "finalizer": (256, 30), "cleaner": (256, 60)}


def test_functions_are_arm64_python312_traced_with_powertools_settings(any_variant):
    for name in FUNCTIONS:
        _, props = any_variant.function(name)
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == "python3.12"
        assert props["Handler"] == "handler.handler"
        assert props["TracingConfig"] == {"Mode": "Active"}
        env = props["Environment"]["Variables"]
        assert env["POWERTOOLS_SERVICE_NAME"] == f"imgfan-{name}"
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Imgfan"
        assert env["LOG_LEVEL"] == "INFO"
        assert "SOURCE_BUCKET" not in env  # no function reads it
        assert env["OUTPUT_BUCKET"] == {"Ref": any_variant.logical_id("OutputBucket", "AWS::S3::Bucket")}
        assert len(props["Layers"]) == 1


def test_dispatcher_knows_the_state_machine_and_the_presets_parameter(standard):
    _, props = standard.function("dispatcher")
    env = props["Environment"]["Variables"]
    assert env["STATE_MACHINE_ARN"] == {"Ref": standard.state_machine()[0]}
    # Deletes start in their own state machine.
    assert env["DELETE_STATE_MACHINE_ARN"] == {"Ref": standard.state_machine("delete")[0]}
    assert env["PRESETS_PARAMETER_NAME"] == {"Ref": standard.one("AWS::SSM::Parameter")[0]}
    assert env["PRESETS_CACHE_SECONDS"] == "30"


def test_presets_cache_seconds_comes_from_context(synth_cfn):
    cfn = synth_cfn(synth_contexts.NO_PRESETS_CACHE)
    _, props = cfn.function("dispatcher")
    assert props["Environment"]["Variables"]["PRESETS_CACHE_SECONDS"] == "0"
    for name in ("resizer", "finalizer", "cleaner"):
        assert "PRESETS_CACHE_SECONDS" not in cfn.function(name)[1]["Environment"]["Variables"]


def test_memory_and_timeout_defaults_and_context_overrides(standard, hardened):
    for name, (memory, timeout) in DEFAULT_SIZES.items():
        _, props = standard.function(name)
        assert (props["MemorySize"], props["Timeout"]) == (memory, timeout), name
    _, resizer = hardened.function("resizer")
    assert (resizer["MemorySize"], resizer["Timeout"]) == (2048, 90)


def test_each_function_logs_to_its_own_group_with_retention(standard, hardened):
    for cfn, days in ((standard, 30), (hardened, 90)):
        groups = set()
        for name in FUNCTIONS:
            _, props = cfn.function(name)
            group = props["LoggingConfig"]["LogGroup"]["Ref"]
            assert cfn.resources[group]["Properties"]["RetentionInDays"] == days
            groups.add(group)
        assert len(groups) == len(FUNCTIONS)


def test_dispatcher_reads_the_queue_in_batches_with_partial_failures(standard):
    _, mapping = standard.one("AWS::Lambda::EventSourceMapping")
    props = mapping["Properties"]
    assert props["FunctionName"] == {"Ref": standard.function("dispatcher")[0]}
    assert props["EventSourceArn"] == {"Fn::GetAtt": [standard.logical_id("EventQueue", "AWS::SQS::Queue"), "Arn"]}
    assert props["BatchSize"] == 10
    assert props["MaximumBatchingWindowInSeconds"] == 1
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["ScalingConfig"] == {"MaximumConcurrency": 10}


def test_dispatcher_max_concurrency_comes_from_context(synth_cfn):
    _, mapping = synth_cfn(synth_contexts.DISPATCHER_CONCURRENCY).one("AWS::Lambda::EventSourceMapping")
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 3}


def _asset_dir(cfn, s3_key: str) -> Path:
    asset_hash = s3_key.removesuffix(".zip")
    manifest = json.loads((cfn.assembly / "Imgfan.assets.json").read_text())
    return cfn.assembly / manifest["files"][asset_hash]["source"]["path"]


def _names(path: Path) -> set[str]:
    if path.is_dir():
        return {p.relative_to(path).as_posix() for p in path.rglob("*")}
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist())


def test_layer_holds_an_aarch64_pillow_build_and_imgfan_core(standard):
    _, layer = standard.one("AWS::Lambda::LayerVersion")
    props = layer["Properties"]
    assert props["CompatibleArchitectures"] == ["arm64"]
    assert props["CompatibleRuntimes"] == ["python3.12"]
    names = _names(_asset_dir(standard, props["Content"]["S3Key"]))
    assert "python/PIL/_imaging.cpython-312-aarch64-linux-gnu.so" in names
    assert not any(n.startswith("python/PIL/_imaging.cpython-") and "x86_64" in n for n in names)
    assert any(n.startswith("python/pillow_heif") for n in names)
    assert any(n.startswith("python/pydantic_core/_pydantic_core.cpython-312-aarch64") for n in names)
    assert "python/aws_lambda_powertools/__init__.py" in names
    assert "python/imgfan_core/__init__.py" in names
    assert "python/imgfan_core/presets/model.py" in names
    assert not any("__pycache__" in n for n in names)


def _layer_pins() -> dict[str, str]:
    lines = (Path(__file__).resolve().parents[2] / "src" / "imgfan" / "cdk" / "layer_requirements.txt").read_text().splitlines()
    return dict(line.split("==") for line in lines if "==" in line and not line.startswith("#"))


def test_layer_ships_the_pinned_aws_sdk_and_stays_under_lambda_s_size_limit(standard):
    _, layer = standard.one("AWS::Lambda::LayerVersion")
    asset = _asset_dir(standard, layer["Properties"]["Content"]["S3Key"])
    names = _names(asset)
    pins = _layer_pins()
    for package in ("boto3", "botocore", "s3transfer"):
        assert f"python/{package}/__init__.py" in names
        assert f"python/{package}-{pins[package]}.dist-info/METADATA" in names, package
        assert not any(n.startswith(f"python/{package}-") and pins[package] not in n for n in names), package
    # The S3 model that knows PutObject's IfMatch, which the finalizer's compare-and-swap sends.
    assert "python/botocore/data/s3/2006-03-01/service-2.json.gz" in names
    # Lambda's quota: 250 MB unzipped for a function and all its layers; the functions' own
    # assets are a handler each, so the layer must leave room to spare. JPEG XL output brought
    # numpy (55 MB) and imagecodecs' JPEG XL codec (11 MB): about 140 MB, 53 % of the quota.
    unzipped = sum(p.stat().st_size for p in asset.rglob("*") if p.is_file())
    assert unzipped < 262_144_000 * 0.6, f"{unzipped:,} bytes"


def test_function_assets_are_their_own_directory_only(standard):
    repo = Path(__file__).resolve().parents[2]
    for name in FUNCTIONS:
        _, props = standard.function(name)
        names = _names(_asset_dir(standard, props["Code"]["S3Key"]))
        expected = {p.relative_to(repo / "functions" / name).as_posix()
                    for p in (repo / "functions" / name).rglob("*") if "__pycache__" not in p.parts}
        assert "handler.py" in names
        assert names == expected, name
