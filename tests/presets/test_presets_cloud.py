"""`imgfan presets push|diff` against a real moto server over HTTP (no stubs)."""

from __future__ import annotations

import json
import uuid

import pytest

from imgfan.cli import main
from imgfan_core.presets import parse_presets, presets_hash

pytestmark = pytest.mark.cloud


@pytest.fixture
def names():
    suffix = uuid.uuid4().hex[:8]
    return {
        "parameter": f"/imgfan/test-{suffix}/presets",
        "bucket": f"out-{suffix}",
        "stack": f"Imgfan{suffix}",
    }


def run(*argv) -> int:
    return main([str(a) for a in argv])


def test_push_creates_then_overwrites_the_parameter(
    moto_endpoint, aws, names, write_presets, repo_presets, capsys
):
    path = write_presets(repo_presets)
    common = ["--endpoint-url", moto_endpoint, "--parameter-name", names["parameter"]]
    assert run("presets", "push", path, *common) == 0
    stored = aws("ssm").get_parameter(Name=names["parameter"])["Parameter"]
    assert "$schema" not in stored["Value"]
    assert presets_hash(parse_presets(stored["Value"])) == presets_hash(parse_presets(repo_presets))
    assert "+ preset thumb" in capsys.readouterr().out

    repo_presets["presets"][0]["quality"] = 50
    assert run("presets", "push", write_presets(repo_presets), *common) == 0
    out = capsys.readouterr().out
    assert "~ preset thumb: quality 75 → 50" in out and "version 2" in out
    stored = aws("ssm").get_parameter(Name=names["parameter"])["Parameter"]["Value"]
    assert parse_presets(stored).preset("thumb").quality == 50


def test_push_refuses_an_invalid_file_and_leaves_the_parameter(
    moto_endpoint, aws, names, write_presets, repo_presets, capsys
):
    aws("ssm").put_parameter(Name=names["parameter"], Value=json.dumps(repo_presets), Type="String")
    repo_presets["presets"][0]["format"] = "jpg"
    code = run(
        "presets",
        "push",
        write_presets(repo_presets),
        "--endpoint-url",
        moto_endpoint,
        "--parameter-name",
        names["parameter"],
    )
    assert code == 1
    assert "presets[0].format (preset 'thumb')" in capsys.readouterr().err
    assert aws("ssm").get_parameter(Name=names["parameter"])["Parameter"]["Version"] == 1


def test_push_refuses_output_overlapping_the_real_source_bucket(
    moto_endpoint, names, write_presets, repo_presets, capsys
):
    code = run(
        "presets",
        "push",
        write_presets(repo_presets),
        "--endpoint-url",
        moto_endpoint,
        "--parameter-name",
        names["parameter"],
        "--source-bucket",
        "same",
        "--output-bucket",
        "same",
    )
    assert code == 1
    assert "output.prefix: output bucket 'same'" in capsys.readouterr().err


def put_manifest(s3, bucket, key, digest):
    """A manifest of the current schema: older schemas count as stale whatever their hash."""
    body = {"schema": "imgfan.manifest/2", "presets_hash": digest}
    s3.put_object(Bucket=bucket, Key=f"{key}/manifest.json", Body=json.dumps(body).encode())


def test_diff_lists_changes_and_counts_stale_manifests(
    moto_endpoint, aws, names, write_presets, repo_presets, capsys
):
    live = parse_presets(repo_presets)
    aws("ssm").put_parameter(Name=names["parameter"], Value=json.dumps(repo_presets), Type="String")
    s3 = aws("s3")
    s3.create_bucket(Bucket=names["bucket"])

    edited = json.loads(json.dumps(repo_presets))
    edited["presets"].append({"name": "tiny", "width": 64})
    new_hash = presets_hash(parse_presets(edited))
    put_manifest(s3, names["bucket"], "a.jpg", presets_hash(live))
    put_manifest(s3, names["bucket"], "dir/b c.png", presets_hash(live))
    put_manifest(s3, names["bucket"], "fresh.jpg", new_hash)
    s3.put_object(Bucket=names["bucket"], Key="a.jpg/small.jpg", Body=b"not a manifest")
    s3.put_object(Bucket=names["bucket"], Key="broken.jpg/manifest.json", Body=b"{truncated")

    code = run(
        "presets",
        "diff",
        write_presets(edited),
        "--endpoint-url",
        moto_endpoint,
        "--parameter-name",
        names["parameter"],
        "--bucket",
        names["bucket"],
        "--exit-code",
    )
    out = capsys.readouterr().out
    assert code == 2
    assert "+ preset tiny" in out
    assert f"presets_hash  live: {presets_hash(live)}  file: {new_hash}" in out
    assert f"manifests in s3://{names['bucket']}/: 4, stale after push: 3" in out


def test_diff_of_identical_presets_reports_no_changes(
    moto_endpoint, aws, names, write_presets, repo_presets, capsys
):
    aws("ssm").put_parameter(Name=names["parameter"], Value=json.dumps(repo_presets), Type="String")
    code = run(
        "presets",
        "diff",
        write_presets(repo_presets),
        "--endpoint-url",
        moto_endpoint,
        "--parameter-name",
        names["parameter"],
        "--no-stale",
        "--exit-code",
    )
    assert code == 0 and "no changes" in capsys.readouterr().out


def test_diff_and_push_find_the_parameter_through_stack_outputs(
    moto_endpoint, aws, names, write_presets, repo_presets, capsys
):
    """No overrides: names come from CloudFormation outputs, as against the deployed stack."""
    template = {
        "Resources": {
            "Presets": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Name": names["parameter"],
                    "Type": "String",
                    "Value": json.dumps(repo_presets),
                },
            },
            "Source": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": names["bucket"] + "-src"}},
            "Output": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": names["bucket"]}},
        },
        "Outputs": {
            "PresetsParameterName": {"Value": {"Ref": "Presets"}},
            "SourceBucketName": {"Value": {"Ref": "Source"}},
            "OutputBucketName": {"Value": {"Ref": "Output"}},
        },
    }
    aws("cloudformation").create_stack(StackName=names["stack"], TemplateBody=json.dumps(template))
    put_manifest(aws("s3"), names["bucket"], "x.jpg", "0" * 16)
    cloud = ["--endpoint-url", moto_endpoint, "--stack-name", names["stack"]]

    edited = json.loads(json.dumps(repo_presets))
    edited["presets"] = edited["presets"][:2]
    assert run("presets", "diff", write_presets(edited), *cloud) == 0
    out = capsys.readouterr().out
    assert "- preset medium" in out and "- preset social" in out and "stale after push: 1" in out

    assert run("presets", "push", write_presets(edited), *cloud) == 0
    value = aws("ssm").get_parameter(Name=names["parameter"])["Parameter"]["Value"]
    assert [p.name for p in parse_presets(value).presets] == ["thumb", "small"]


def test_missing_stack_is_a_one_line_error(moto_endpoint, write_presets, repo_presets, capsys):
    code = run(
        "presets",
        "diff",
        write_presets(repo_presets),
        "--endpoint-url",
        moto_endpoint,
        "--stack-name",
        "NoSuchStack",
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "cannot read stack 'NoSuchStack'" in err and "Traceback" not in err


def test_push_refuses_a_new_output_prefix_unless_forced(
    moto_endpoint, aws, names, write_presets, repo_presets, capsys
):
    aws("ssm").put_parameter(Name=names["parameter"], Value=json.dumps(repo_presets), Type="String")
    repo_presets["output"]["prefix"] = "elsewhere/"
    path = write_presets(repo_presets)
    common = ["--endpoint-url", moto_endpoint, "--parameter-name", names["parameter"]]
    assert run("presets", "push", path, *common) == 1
    assert "output.prefix changed" in capsys.readouterr().err
    assert aws("ssm").get_parameter(Name=names["parameter"])["Parameter"]["Version"] == 1
    assert run("presets", "push", path, *common, "--force") == 0
    assert aws("ssm").get_parameter(Name=names["parameter"])["Parameter"]["Version"] == 2


def test_push_replaces_a_broken_live_value_but_diff_reports_it(
    moto_endpoint, aws, names, write_presets, repo_presets, capsys
):
    aws("ssm").put_parameter(Name=names["parameter"], Value='{"presets": "oops"}', Type="String")
    path = write_presets(repo_presets)
    common = ["--endpoint-url", moto_endpoint, "--parameter-name", names["parameter"]]
    assert run("presets", "diff", path, *common, "--no-stale") == 1
    assert f"live parameter {names['parameter']} is invalid" in capsys.readouterr().err
    assert run("presets", "push", path, *common) == 0
    assert "will be replaced" in capsys.readouterr().err
    value = aws("ssm").get_parameter(Name=names["parameter"])["Parameter"]["Value"]
    assert len(parse_presets(value).presets) == len(repo_presets["presets"])
