"""The pipeline under injected faults, end to end over HTTP with boto3.

The cloud runs in a process of its own (``benchmarks/soak.py serve``, what `imgfan local up`
runs), so that its faults and its shortened queue visibility timeout (10 s, so that returned
batches come back within a test) touch nothing of the suite's shared cloud. Each test sets the
plan it needs through ``/_imgfan/faults`` and leaves none behind.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from benchmarks import soak
from tests.sqs_events import s3_notification, sqs_record
from tests.waits import wait_for

pytestmark = pytest.mark.cloud

PHOTO = (REPO / "src" / "imgfan" / "samples" / "nikon-with-gps.jpg").read_bytes()


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    cloud = soak.CloudProcess("none", tmp_path_factory.mktemp("faulty-cloud"), visibility=10)
    try:
        yield soak.Soak(cloud, soak.Options(visibility=10, quiet=True))
    finally:
        cloud.stop()


@pytest.fixture
def faults(pipeline):
    before = len(pipeline.cloud.faults()["denied"])
    yield pipeline.cloud.faults
    # This cloud is not the suite's: its IAM audit is read here (docs/deploy/iam.md).
    denied = [soak._denial(d) for d in pipeline.cloud.faults("none")["denied"][before:]]
    assert denied == [], "calls that the function's own role does not allow"


def upload(pipeline, key: str) -> None:
    pipeline.upload(soak.Upload(key, PHOTO, "complete", "nikon-with-gps.jpg"))


def manifest(pipeline, key: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = soak._manifest(pipeline, pipeline.uploads[key])
        if found is not None:
            return found
        time.sleep(0.3)
    raise AssertionError(f"no manifest for {key} within {timeout} s")


def executions_of(pipeline, key: str) -> list[dict]:
    found = []
    listed = [e for machine in pipeline.state_machines
              for e in pipeline.stepfunctions.list_executions(stateMachineArn=machine)["executions"]]
    for execution in listed:
        described = pipeline.stepfunctions.describe_execution(executionArn=execution["executionArn"])
        if json.loads(described["input"])["source"]["key"] == key:
            found.append(described)
    return found


def injected_since(pipeline, before: dict, switch: str) -> int:
    return pipeline.cloud.faults()["injected"].get(switch, 0) - before["injected"].get(switch, 0)


def task_failures(pipeline, execution_arn: str) -> list[str]:
    events = pipeline.stepfunctions.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]


def handed_back(pipeline) -> int:
    """Records the dispatcher returned to the queue. A failed record is a batch item failure when
    other records of its batch succeeded; when every record of a batch failed (one upload alone in
    its batch), Powertools' BatchProcessor raises BatchProcessingError instead and the whole batch
    returns: the same for the record, counted as a function error. Which one a test sees depends
    on what the poller batched it with (the bucket's s3:TestEvent, or nothing)."""
    tally = pipeline.cloud.faults()["event_source"]
    return tally.get("item_failures", 0) + tally.get("function_errors", 0)


def test_throttled_start_execution_hands_the_record_back_and_it_comes_back(pipeline, faults):
    key = "throttle/one.jpg"
    before = handed_back(pipeline)
    faults("throttle-start=1")
    upload(pipeline, key)
    wait_for("the dispatcher to hand the record back", lambda: handed_back(pipeline) > before)
    assert executions_of(pipeline, key) == []
    faults("none")  # the record comes back after the visibility timeout and is handed over

    assert manifest(pipeline, key)["status"] == "complete"
    # The manifest is written before the finalizer returns: the execution may still be running.
    [execution] = wait_for("the execution to end",
                           lambda: [e for e in executions_of(pipeline, key) if e["status"] != "RUNNING"])
    assert execution["status"] == "SUCCEEDED"
    pipeline.wait_idle(timeout=60)
    assert pipeline.queue_depth(pipeline.dlq_url) == 0
    assert pipeline.cloud.faults()["injected"]["throttle-start"] >= 1


def test_a_resizer_killed_mid_invocation_fails_with_runtime_exit_error_and_is_retried(pipeline, faults):
    key = "killed/photo.jpg"
    faults("kill=1,functions=Resizer")
    upload(pipeline, key)
    result = manifest(pipeline, key)
    faults("none")
    assert result["status"] == "failed"
    assert {v["error"]["type"] for v in result["variants"]} == {"Runtime.ExitError"}
    [execution] = executions_of(pipeline, key)
    ended = wait_for("the execution to end", lambda: [
        e for e in executions_of(pipeline, key) if e["status"] != "RUNNING"])
    assert [e["status"] for e in ended] == ["FAILED"]
    failures = task_failures(pipeline, execution["executionArn"])
    # Analyze: the first attempt and the three retries of a crash, all killed; the catch-all
    # retrier does not apply once the crash one has run out (as on AWS). Then Finalize writes the
    # failed manifest and raises ImageFailed, once.
    assert failures == ["Runtime.ExitError"] * 4 + ["ImageFailed"]


def test_workers_that_die_while_idle_never_fail_an_invocation(pipeline, faults):
    keys = ["idle-deaths/a.jpg", "idle-deaths/b.jpg"]
    before = pipeline.cloud.faults()
    faults("idle-kill=1")
    for key in keys:
        upload(pipeline, key)
    results = [manifest(pipeline, key) for key in keys]
    # The manifest is written before the finalizer returns, and a worker dies only after it has
    # answered: count once both executions have ended.
    ended = [wait_for(f"the execution of {key} to end",
                      lambda key=key: [e for e in executions_of(pipeline, key) if e["status"] != "RUNNING"])[0]
             for key in keys]
    # Each of the 7 invocations per image (analyze, 5 presets, finalize) left its worker dead.
    wait_for("an idle death after each of the 14 invocations",
             lambda: injected_since(pipeline, before, "idle-kill") >= 2 * 7)
    after = pipeline.cloud.faults()
    faults("none")
    assert [r["status"] for r in results] == ["complete", "complete"]
    for execution in ended:
        assert execution["status"] == "SUCCEEDED"
        assert task_failures(pipeline, execution["executionArn"]) == []
    assert after["event_source"].get("function_errors", 0) == before["event_source"].get("function_errors", 0)
    # The next invocation of a function found a dead worker and replaced it.
    assert after["sandboxes"]["idle_deaths_replaced"] > before["sandboxes"].get("idle_deaths_replaced", 0)


@pytest.mark.parametrize(("switch", "error"), [
    ("throttle-lambda", "Lambda.TooManyRequestsException"),
    ("lambda-error", "Lambda.ServiceException"),
])
def test_lambda_api_errors_are_retried_by_the_state_machine(pipeline, faults, switch, error):
    key = f"{switch}/photo.jpg"
    faults(f"{switch}=1,functions=Resizer")
    upload(pipeline, key)
    wait_for(f"two {switch} faults", lambda: pipeline.cloud.faults()["injected"].get(switch, 0) >= 2)
    faults("none")
    assert manifest(pipeline, key)["status"] == "complete"
    [execution] = executions_of(pipeline, key)
    failures = task_failures(pipeline, execution["executionArn"])
    assert failures[:2] == [error, error]


def test_duplicate_deliveries_start_one_execution_per_event(pipeline, faults):
    keys = ["duplicates/a.jpg", "duplicates/b.jpg"]
    before = pipeline.cloud.faults()["event_source"].get("delivered_twice", 0)
    faults("duplicate=1")
    for key in keys:
        upload(pipeline, key)
    for key in keys:
        manifest(pipeline, key)
    pipeline.wait_idle(timeout=60)
    delivered_twice = pipeline.cloud.faults()["event_source"]["delivered_twice"] - before
    faults("none")
    assert delivered_twice >= len(keys)
    assert [len(executions_of(pipeline, key)) for key in keys] == [1, 1]
    assert pipeline.queue_depth(pipeline.dlq_url) == 0


def test_a_warm_resizer_reads_each_source_from_s3_once(pipeline, faults):
    """Analyze and every preset read the same revision: each resizer sandbox GETs it once, and
    the request counts of ``/_imgfan/faults`` show it."""
    key = "cached/photo.jpg"
    before = pipeline.cloud.faults()
    upload(pipeline, key)
    assert manifest(pipeline, key)["status"] == "complete"
    after = pipeline.cloud.faults()

    def delta(counts: str, function: str, method: str = "") -> int:
        """How much a count of ``function`` (keyed by full name, then " METHOD" for S3) grew."""
        return sum(count - before[counts].get(name, 0) for name, count in after[counts].items()
                   if name.endswith(method) and soak.short_name(name.removesuffix(method)) == function)

    invocations = delta("invocations", "Resizer")
    gets = delta("requests", "Resizer", " s3 GET")
    workers = (os.cpu_count() or 1) + 1  # the embedded cloud's pool size per function
    assert invocations == 6  # analyze and 5 presets
    assert 1 <= gets <= min(workers, invocations - 1)
    assert delta("requests", "Resizer", " s3 PUT") == 5


def test_warm_dispatchers_read_the_presets_once_per_cache_period(pipeline, faults):
    """However many batches arrive, each warm dispatcher calls SSM GetParameter at most once per
    presetsCacheSeconds: what keeps a burst under SSM's 40 calls a second."""
    functions = pipeline.cloud.client("lambda")
    [dispatcher] = [f for f in functions.list_functions()["Functions"] if soak.short_name(f["FunctionName"]) == "Dispatcher"]
    cache_seconds = int(dispatcher["Environment"]["Variables"]["PRESETS_CACHE_SECONDS"])
    record = sqs_record(s3_notification(pipeline.source, "presets-reads/notes.txt", size=1, eTag="e",
                                        sequencer="01"))
    workers = (os.cpu_count() or 1) + 1  # the embedded cloud's pool size per function
    batches = 4 * workers
    before, started = pipeline.cloud.faults(), time.monotonic()
    for _ in range(batches):
        response = functions.invoke(FunctionName=dispatcher["FunctionName"], Payload=json.dumps({"Records": [record]}))
        assert json.loads(response["Payload"].read()) == {"batchItemFailures": []}
    periods = 1 + int((time.monotonic() - started) // cache_seconds)
    after = pipeline.cloud.faults()
    reads = sum(count - before["requests"].get(name, 0) for name, count in after["requests"].items()
                if name.endswith(" ssm GetParameter") and soak.short_name(name.split(" ")[0]) == "Dispatcher")
    # Uncached, each batch would read them: the .txt key is skipped only after the presets are loaded.
    assert reads <= workers * periods < batches


def test_a_fault_plan_given_at_start_spares_the_deployment_and_then_applies(tmp_path):
    """A custom resource killed mid-deploy would fail the whole stack: faults start once it is up."""
    cloud = soak.CloudProcess("kill=1,seed=7", tmp_path, visibility=10)
    try:
        described = cloud.faults()
    finally:
        cloud.stop()
    assert described["faults"] == "kill=1.0,seed=7"
    assert described["injected"].get("kill", 0) == 0
    assert described["sandboxes"]["cold_starts"] >= 1  # the bucket-notifications handler ran
