"""`imgfan local up` as a user runs it: a foreground process, then plain S3 calls against it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import boto3
import pytest
from local_up import local_up

from imgfan.local.cloud import free_port

pytestmark = pytest.mark.cloud

REPO_ROOT = Path(__file__).resolve().parents[2]
PHOTO = (Path(str(resources.files("imgfan") / "samples")) / "nikon-with-gps.jpg").read_bytes()


def test_local_up_serves_the_pipeline_and_the_console_until_interrupted(tmp_path, repo_presets):
    port = free_port()
    repo_presets["presets"] = repo_presets["presets"][:2]
    presets = tmp_path / "two-presets.json"
    presets.write_text(json.dumps(repo_presets))
    command = [sys.executable, "-m", "imgfan.cli", "local", "up", "--port", str(port), "--presets", str(presets),
               "-c", "presetsCacheSeconds=7"]
    with local_up(command, cwd=REPO_ROOT, env=dict(os.environ), timeout=180) as started:
        text = started.text
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}" in text, text
        assert f"console: http://127.0.0.1:{port}/_imgfan/\n" in started.lines
        source_bucket = re.search(r"export IMGFAN_SOURCE_BUCKET=(\S+)", text).group(1)
        output_bucket = re.search(r"export IMGFAN_OUTPUT_BUCKET=(\S+)", text).group(1)
        env = subprocess.run([sys.executable, "-m", "imgfan.cli", "local", "env", "--endpoint-url",
                              f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
        assert f"export IMGFAN_SOURCE_BUCKET={source_bucket}\n" in env
        assert f"export IMGFAN_OUTPUT_BUCKET={output_bucket}\n" in env
        assert "export AWS_ACCESS_KEY_ID=test\n" in env

        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
        s3.put_object(Bucket=source_bucket, Key="via-local-up.jpg", Body=PHOTO)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            listed = s3.list_objects_v2(Bucket=output_bucket, Prefix="via-local-up.jpg/").get("Contents", [])
            if any(o["Key"].endswith("/manifest.json") for o in listed):
                break
            time.sleep(0.5)
        assert any(o["Key"] == "via-local-up.jpg/manifest.json" for o in listed)
        manifest = json.loads(s3.get_object(Bucket=output_bucket, Key="via-local-up.jpg/manifest.json")["Body"].read())
        assert [v["preset"] for v in manifest["variants"]] == [p["name"] for p in repo_presets["presets"]]
        pushed = subprocess.run(  # the same file again: nothing changes, and -c reached the stack
            [sys.executable, "-m", "imgfan.cli", "presets", "push", str(presets)],
            capture_output=True, text=True, env={**os.environ, **_exports(env)}, check=False,
        ).stdout
        assert "no changes" in pushed and "within 7 s (the dispatcher's presets cache" in pushed
    # Ctrl-C ends it cleanly (killed after 30 s otherwise, which fails here).
    assert started.process.returncode == 0


def _exports(text: str) -> dict[str, str]:
    return dict(line.removeprefix("export ").split("=", 1) for line in text.splitlines() if line.startswith("export "))

