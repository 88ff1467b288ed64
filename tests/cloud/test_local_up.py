"""`imgfan local up` as a user runs it: a foreground process, then plain S3 calls against it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import boto3
import pytest

from imgfan.local.cloud import free_port

pytestmark = pytest.mark.cloud

REPO_ROOT = Path(__file__).resolve().parents[2]
PHOTO = (Path(str(resources.files("imgfan") / "samples")) / "nikon-with-gps.jpg").read_bytes()


def test_local_up_serves_the_pipeline_until_interrupted(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "imgfan.cli", "local", "up", "--port", str(port)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    printed = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            printed.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(printed)
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}" in text, text
        source_bucket = re.search(r"aws s3 cp photo\.jpg s3://([^/\s]+)/", text).group(1)
        output_bucket = re.search(r"aws s3 ls --recursive s3://([^/\s]+)/", text).group(1)

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
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0
