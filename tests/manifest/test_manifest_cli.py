"""`imgfan manifest get KEY` against a real moto server over HTTP (no stubs)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from imgfan.cli import main
from imgfan_core.contract import ManifestInputs
from imgfan_core.manifest import build_manifest

pytestmark = pytest.mark.cloud


def sample_manifest(prefix: str, bucket: str) -> dict:
    state = {
        "action": "render",
        "source": {"bucket": "src", "key": "photos/cat 1.jpg", "version_id": None, "etag": "e", "bytes": 10},
        "settings": {"output": {"bucket": bucket, "prefix": prefix}},
        "presets": [{"name": "small"}],
        "presets_hash": "0123456789abcdef",
        "analysis": {
            "image": {
                "format": "png",
                "width": 10,
                "height": 10,
                "orientation": 1,
                "has_alpha": True,
                "animated": False,
                "frames": 1,
                "colour_profile": None,
                "bytes": 10,
                "placeholder": None,
            }
        },
        "variants": [
            {
                "preset": "small",
                "status": "ok",
                "key": f"{prefix}photos/cat 1.jpg/small.webp",
                "width": 10,
                "height": 10,
                "format": "webp",
                "content_type": "image/webp",
                "bytes": 5,
            }
        ],
    }
    inputs = ManifestInputs.from_state(state, {"name": "n", "arn": "a", "start": None})
    return build_manifest(inputs, datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
def stored(aws, repo_presets):
    """An output bucket with one manifest under prefix v/, and live presets saying so."""
    suffix = uuid.uuid4().hex[:8]
    bucket, parameter = f"out-{suffix}", f"/imgfan/{suffix}/presets"
    repo_presets["output"]["prefix"] = "v/"
    aws("ssm").put_parameter(Name=parameter, Value=json.dumps(repo_presets), Type="String")
    aws("s3").create_bucket(Bucket=bucket)
    manifest = sample_manifest("v/", bucket)
    aws("s3").put_object(
        Bucket=bucket,
        Key="v/photos/cat 1.jpg/manifest.json",
        Body=json.dumps(manifest).encode(),
        ContentType="application/json",
        CacheControl="no-cache",
    )
    return {"bucket": bucket, "parameter": parameter, "manifest": manifest}


def test_get_prints_the_manifest_using_the_live_prefix(moto_endpoint, stored, capsys):
    code = main(
        [
            "manifest",
            "get",
            "photos/cat 1.jpg",
            "--endpoint-url",
            moto_endpoint,
            "--parameter-name",
            stored["parameter"],
            "--bucket",
            stored["bucket"],
            "--validate",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out) == stored["manifest"]


def test_get_accepts_an_s3_url_and_explicit_prefix(moto_endpoint, stored, capsys):
    code = main(
        [
            "manifest",
            "get",
            "s3://src/photos/cat 1.jpg",
            "--endpoint-url",
            moto_endpoint,
            "--bucket",
            stored["bucket"],
            "--prefix",
            "v/",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["source"]["key"] == "photos/cat 1.jpg"


def test_get_missing_manifest_is_a_one_line_error(moto_endpoint, stored, capsys):
    code = main(
        [
            "manifest",
            "get",
            "photos/dog.jpg",
            "--endpoint-url",
            moto_endpoint,
            "--bucket",
            stored["bucket"],
            "--prefix",
            "v/",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert (
        f"no manifest at s3://{stored['bucket']}/v/photos/dog.jpg/manifest.json" in err
        and "Traceback" not in err
    )


def test_get_validate_flags_a_manifest_that_breaks_the_schema(moto_endpoint, stored, aws, capsys):
    broken = dict(stored["manifest"], status="done")
    aws("s3").put_object(
        Bucket=stored["bucket"], Key="v/bad.jpg/manifest.json", Body=json.dumps(broken).encode()
    )
    code = main(
        [
            "manifest",
            "get",
            "bad.jpg",
            "--endpoint-url",
            moto_endpoint,
            "--bucket",
            stored["bucket"],
            "--prefix",
            "v/",
            "--validate",
        ]
    )
    assert code == 1 and "manifest.status" in capsys.readouterr().err


def test_get_resolves_bucket_and_parameter_from_stack_outputs(moto_endpoint, stored, aws, capsys):
    stack = f"Imgfan{uuid.uuid4().hex[:8]}"
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "PresetsParameterName": {"Value": stored["parameter"]},
            "OutputBucketName": {"Value": stored["bucket"]},
        },
    }
    aws("cloudformation").create_stack(StackName=stack, TemplateBody=json.dumps(template))
    code = main(
        ["manifest", "get", "photos/cat 1.jpg", "--endpoint-url", moto_endpoint, "--stack-name", stack]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["presets_hash"] == "0123456789abcdef"
