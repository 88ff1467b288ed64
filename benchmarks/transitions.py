"""Billed Step Functions Standard transitions per upload, counted in real execution histories.

    .venv/bin/python benchmarks/transitions.py

Starts the embedded cloud, deploys the stack with the repository's presets.json, uploads a good
photo and a file that is not an image, deletes the photo, and counts each execution's
``*StateEntered`` events: one per state entered, which is what Standard bills ("a state
transition each time a step of your workflow is executed", retries counting again:
https://aws.amazon.com/step-functions/pricing/). Map iteration events and the execution's own
start and end are not states entered. Every state machine of the stack is read, so the count
does not depend on how the work is split between them. Nothing fails on purpose, so no retry
adds to the count.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from imgfan.local.cloud import EmbeddedCloud, free_port

PHOTO = REPO / "src" / "imgfan" / "samples" / "nikon-with-gps.jpg"
TIMEOUT_S = 180


def executions(stepfunctions) -> list[dict]:
    found = []
    for machine in stepfunctions.list_state_machines()["stateMachines"]:
        for page in stepfunctions.get_paginator("list_executions").paginate(stateMachineArn=machine["stateMachineArn"]):
            found += page["executions"]
    return found


def wait_for(stepfunctions, prefix: str) -> dict:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        done = [e for e in executions(stepfunctions) if e["name"].startswith(prefix) and e["status"] != "RUNNING"]
        if done:
            return done[0]
        time.sleep(0.5)
    raise SystemExit(f"no finished execution named {prefix}* within {TIMEOUT_S} s")


def history(stepfunctions, arn: str) -> list[dict]:
    events = []
    for page in stepfunctions.get_paginator("get_execution_history").paginate(executionArn=arn):
        events += page["events"]
    return events


def entered(events: list[dict]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]


def main() -> int:
    with tempfile.TemporaryDirectory() as state_dir:
        cloud = EmbeddedCloud(port=free_port(), state_dir=Path(state_dir))
        cloud.start()
        try:
            cloud.deploy(progress=lambda message: None)
            cloud.start_poller()
            s3, stepfunctions = cloud.client("s3"), cloud.client("stepfunctions")
            source = cloud.outputs["SourceBucketName"]
            s3.put_object(Bucket=source, Key="good.jpg", Body=PHOTO.read_bytes())
            s3.put_object(Bucket=source, Key="bad.jpg", Body=b"plain text, not an image\n" * 10)
            runs = {"good upload": wait_for(stepfunctions, "render-good.jpg-"),
                    "bad upload": wait_for(stepfunctions, "render-bad.jpg-")}
            s3.delete_object(Bucket=source, Key="good.jpg")
            runs["delete"] = wait_for(stepfunctions, "delete-good.jpg-")
            print(f"{'execution':<12} {'status':<10} {'transitions':>11} {'events':>6} {'JSON KB':>7}  states entered")
            for label, execution in runs.items():
                events = history(stepfunctions, execution["executionArn"])
                names = entered(events)
                # The history's JSON size is what Express logs at level ALL (docs/cost.md).
                size = len(json.dumps(events, default=str)) / 1000
                print(f"{label:<12} {execution['status']:<10} {len(names):>11} {len(events):>6} {size:>7.1f}  "
                      f"{', '.join(names)}")
        finally:
            cloud.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
