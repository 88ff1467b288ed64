"""Backfill through the deployed embedded stack: the CLI enqueues, the dispatcher starts the
execution the CLI predicted (same name), for a key with spaces, '+', '%' and non-ASCII; a second
run starts nothing new."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

pytestmark = pytest.mark.cloud

PHOTO = (Path(str(resources.files("imgfan") / "samples")) / "nikon-with-gps.jpg").read_bytes()
PREFIX = "backfill-keys/"
KEY = f"{PREFIX}a b+c 100% café.jpg"


def executions_for(pipeline, key: str) -> dict[str, str]:
    """{execution name: status} of the executions whose input renders ``key``."""
    found = {}
    for execution in pipeline.executions():
        described = pipeline.stepfunctions.describe_execution(executionArn=execution["executionArn"])
        if json.loads(described["input"])["source"]["key"] == key:
            found[execution["name"]] = execution["executionArn"]
    return found


def test_the_dispatcher_starts_the_execution_the_cli_predicted_for_an_awkward_key(pipeline, cli, monkeypatch,
                                                                                  tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    pipeline.upload(KEY, PHOTO)
    upload = pipeline.manifest(KEY)
    pipeline.cloud.wait_until_idle(timeout=60)

    code, out, err = cli("backfill", "--prefix", PREFIX, "--dry-run")
    assert code == 0, err
    [(predicted, listed_key)] = re.findall(r"^would start (\S+)  (.+)$", out, flags=re.MULTILINE)
    assert listed_key == KEY
    before = executions_for(pipeline, KEY)
    assert predicted not in before

    code, out, err = cli("backfill", "--prefix", PREFIX)
    assert code == 0, err
    assert "considered 1, skipped 0 up to date and 0 filtered, enqueued 1" in out
    pipeline.cloud.wait_until_idle(timeout=60)
    after = executions_for(pipeline, KEY)
    assert set(after) - set(before) == {predicted}
    assert pipeline.wait_for_execution(after[predicted])["status"] == "SUCCEEDED"
    rendered = pipeline.wait_for_manifest_with(KEY, lambda m: m["execution"]["name"] == predicted)
    assert rendered["source"]["etag"] == upload["source"]["etag"]

    # Again: the same name, so the dispatcher meets ExecutionAlreadyExists and nothing renders.
    code, out, err = cli("backfill", "--prefix", PREFIX)
    assert code == 0 and "enqueued 1" in out, err
    pipeline.cloud.wait_until_idle(timeout=60)
    assert executions_for(pipeline, KEY) == after
    assert pipeline.queue_depth(pipeline.outputs["DeadLetterQueueUrl"]) == 0
