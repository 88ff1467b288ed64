"""examples/existing-bucket as a user meets it: the wheel that ``python -m build`` makes, installed
into a fresh venv outside the repository, a two-file CDK app (app.py + presets.json) that imports
an existing KMS-encrypted bucket, synthesized, checked by cdk-nag and cfn-lint, then deployed
into the embedded cloud, where an upload gets its manifest."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from importlib import resources
from pathlib import Path

import boto3
import pytest
from local_up import local_up

from imgfan.local.cloud import free_port

pytestmark = [pytest.mark.cloud, pytest.mark.long]

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "existing-bucket"
STACK = "ExistingBucketApp"
BUCKET = "my-app-uploads"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BOUNDARY_ARN = "arn:aws:iam::123456789012:policy/RegulatedBoundary"
PHOTO = (Path(str(resources.files("imgfan") / "samples")) / "nikon-with-gps.jpg").read_bytes()


def _dev_pin(name: str) -> str:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    return next(p for p in project["project"]["optional-dependencies"]["dev"] if p.startswith(f"{name}=="))


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _user_environment() -> dict[str, str]:
    """The test's environment without what points into the repository's own venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # The layer's linux/arm64 wheels are downloaded once per machine; reuse the suite's copy.
    env["IMGFAN_CACHE_DIR"] = str(REPO_ROOT / ".imgfan-cache")
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "18,20"
    return env


@pytest.fixture(scope="module")
def user_app(tmp_path_factory):
    """(venv bin folder, app folder): the wheel installed in a venv, the example copied beside it."""
    work = tmp_path_factory.mktemp("user")
    assert not work.resolve().is_relative_to(REPO_ROOT)
    _run([sys.executable, "-m", "build", "--outdir", str(work / "dist"), str(REPO_ROOT)])
    wheel, = (work / "dist").glob("imgfan-*.whl")
    _run([sys.executable, "-m", "venv", str(work / "venv")])
    bin_dir = work / "venv" / "bin"
    # Without the suite's PYTHONPATH: pip would take the repository's src/ (and its egg-info) on
    # it for an installed imgfan 0.1.0 and skip the wheel.
    # --no-compile: pip would byte-compile all of aws-cdk-lib (over half of the install's CPU time);
    # Python compiles the modules the app imports when it imports them, as it would for a user.
    _run([str(bin_dir / "pip"), "install", "--quiet", "--disable-pip-version-check", "--no-compile", str(wheel),
          _dev_pin("cdk-nag"), _dev_pin("cfn-lint")], env=_user_environment())
    app = work / "app"
    app.mkdir()
    for name in ("app.py", "presets.json"):
        shutil.copy(EXAMPLE / name, app / name)
    return bin_dir, app


@pytest.fixture(scope="module")
def assembly(user_app):
    bin_dir, app = user_app
    context = {"uploadsBucket": BUCKET, "uploadsKeyArn": KEY_ARN, "permissionsBoundaryArn": BOUNDARY_ARN}
    env = _user_environment() | {"CDK_OUTDIR": str(app / "cdk.out"), "CDK_CONTEXT_JSON": json.dumps(context)}
    _run([str(bin_dir / "python"), "app.py"], cwd=app, env=env)
    return app / "cdk.out"


def _template(assembly: Path) -> dict:
    return json.loads((assembly / f"{STACK}.template.json").read_text())


def _of_type(template: dict, cfn_type: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def test_the_installed_construct_deploys_the_wheels_own_copies(user_app):
    bin_dir, app = user_app
    where = _run([str(bin_dir / "python"), "-c", "from imgfan.cdk import assets; print(assets.FUNCTIONS_DIR)"],
                 cwd=app, env=_user_environment()).stdout.strip()
    assert Path(where).is_relative_to(bin_dir.parent), where
    assert sorted(p.name for p in Path(where).iterdir()) == ["cleaner", "dispatcher", "finalizer", "resizer"]


def test_the_imported_bucket_is_used_not_created(assembly):
    template = _template(assembly)
    buckets = _of_type(template, "AWS::S3::Bucket")
    # Only the construct's own: the output bucket and its access-logs bucket.
    assert sorted(re.sub(r"[0-9A-F]{8}$", "", k) for k in buckets) == ["ImagesAccessLogsBucket", "ImagesOutputBucket"]
    notifications, = _of_type(template, "Custom::S3BucketNotifications").values()
    assert notifications["Properties"]["BucketName"] == BUCKET
    assert notifications["Properties"]["Managed"] is False  # the app's other notifications are kept


def _statements(template: dict):
    for name, policy in _of_type(template, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            yield name, actions, statement["Resource"]


def test_the_functions_get_exactly_kms_decrypt_on_the_given_key(assembly):
    uses = [(name, actions, resource) for name, actions, resource in _statements(_template(assembly))
            if any(a.startswith("kms:") for a in actions) or KEY_ARN in json.dumps(resource)]
    assert uses == [(next(n for n, *_ in uses if n.startswith("ImagesResizerRole")), ["kms:Decrypt"], KEY_ARN)]


def test_every_role_carries_the_permissions_boundary(assembly):
    roles = _of_type(_template(assembly), "AWS::IAM::Role")
    assert len(roles) >= 7  # four functions, two state machines, CDK's notifications handler
    assert {k: r["Properties"].get("PermissionsBoundary") for k, r in roles.items()} == {k: BOUNDARY_ARN for k in roles}


def test_cdk_nag_finds_nothing_unsuppressed(assembly):
    report_path, = assembly.glob(f"AwsSolutions-*{STACK}-NagReport.csv")
    with open(report_path, newline="") as report:
        rows = list(csv.DictReader(report))
    assert rows, "cdk-nag wrote an empty report"
    assert [r for r in rows if r["Compliance"] == "Non-Compliant"] == []
    assert all(r["Exception Reason"].strip() for r in rows if r["Compliance"] == "Suppressed")


def test_cfn_lint_finds_no_error(user_app, assembly):
    bin_dir, _ = user_app
    result = subprocess.run([str(bin_dir / "cfn-lint"), str(assembly / f"{STACK}.template.json")],
                            capture_output=True, text=True, check=False)
    # cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational.
    assert result.returncode & 2 == 0, result.stdout


def test_the_app_deploys_into_the_embedded_cloud_and_an_upload_gets_its_manifest(user_app, assembly):
    bin_dir, app = user_app
    port = free_port()
    command = [str(bin_dir / "imgfan"), "local", "up", "--port", str(port), "--app", str(assembly),
               "--stack-name", STACK, "--bucket", BUCKET]
    with local_up(command, cwd=app, env=_user_environment()) as started:
        text = started.text
        assert f"export IMGFAN_SOURCE_BUCKET={BUCKET}\n" in text, text
        output_bucket = re.search(r"export IMGFAN_OUTPUT_BUCKET=(\S+)", text).group(1)
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
        s3.put_object(Bucket=BUCKET, Key="elsewhere/not-ours.jpg", Body=PHOTO)
        s3.put_object(Bucket=BUCKET, Key="uploads/first.jpg", Body=PHOTO)
        manifest_key = "uploads/first.jpg/manifest.json"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and "Contents" not in s3.list_objects_v2(Bucket=output_bucket,
                                                                                   Prefix=manifest_key):
            time.sleep(0.5)
        manifest = json.loads(s3.get_object(Bucket=output_bucket, Key=manifest_key)["Body"].read())
        presets = json.loads((EXAMPLE / "presets.json").read_text())["presets"]
        assert manifest["status"] == "complete"
        assert [v["preset"] for v in manifest["variants"]] == [p["name"] for p in presets]
        for variant in manifest["variants"]:
            assert s3.head_object(Bucket=output_bucket, Key=variant["key"])["ContentLength"] == variant["bytes"]
        # Outside the source prefix nothing is rendered.
        assert "Contents" not in s3.list_objects_v2(Bucket=output_bucket, Prefix="elsewhere/")
