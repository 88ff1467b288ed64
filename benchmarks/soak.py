"""Soak: many uploads through the embedded cloud with faults on, then prove nothing went wrong.

It starts the embedded cloud in a process of its own (``soak.py serve``, which is what
``imgfan local up`` runs, without the foreground execution report) and, from this process,
like any S3 client:

1. **main**: N uploads (``--n``, 300 by default), real photos from ``src/imgfan/samples`` and
   ``tests/fixtures/engine`` with about 5 % bad files (not an image, a truncated JPEG, a
   decompression bomb), at most ``--window`` without a manifest at a time;
2. **re-uploads**: identical bytes again for 1 in 20 of them (a new event: renders again);
3. **deletions**: 1 in 20 others deleted (their outputs must go);
4. **burst**: ``--burst`` new uploads at once while StartExecution is throttled harder.

Duplicate deliveries, killed workers, S3 and Lambda errors come from the fault plan
(``--faults``, docs/fault-injection.md). Manifests are noticed through an S3 notification of the
output bucket to a queue of the soak's own. At the end it checks: a manifest per upload with
the right status, exactly one execution per distinct event, empty queues, no orphan or leftover
outputs (every object in a source's output folder is named by its current manifest or by the
one before), every variant a manifest names exists, and no function made a call its own role
does not allow (the embedded cloud's IAM audit, ``denied`` in ``GET /_imgfan/faults``). It
prints images/min of the main phase, upload-to-manifest latency percentiles, and the efficiency
against ``imgfan render``'s own CPU time on the same photos: engine CPU s/image x images /
(wall s x cores).

Exit status 0 only if every check passed. ``--n 1000`` runs in about ten minutes on 2 cores.

Usage: .venv/bin/python benchmarks/soak.py [--n 300] [--faults SPEC | --faults none] [--json]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import logging
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from imgfan.local.lambda_runtime import short_name

PHOTO_DIRS = (REPO / "src" / "imgfan" / "samples", REPO / "tests" / "fixtures" / "engine")
# Every 20th upload is bad, so about 5 %.
BAD_EVERY = 20
# What a soak injects unless told otherwise: every switch, at rates the pipeline must absorb.
DEFAULT_FAULTS = ("kill=0.02,idle-kill=0.03,latency=0.02,latency-seconds=0.3,lambda-error=0.01,"
                  "throttle-lambda=0.01,s3-error=0.01,throttle-start=0.02,duplicate=0.05,seed=7")
BURST_THROTTLE = 0.5
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}
MANIFEST = "manifest.json"


@dataclass
class Options:
    n: int = 300
    faults: str = DEFAULT_FAULTS
    window: int = 16
    burst: int | None = None  # default: n // 10, at least 10
    visibility: int = 30
    measure_engine: bool = True
    quiet: bool = False
    # The cloud's log (cloud.log) and the functions' logs (logs/) of the last run.
    state_dir: Path = REPO / ".imgfan-cache" / "soak"

    @property
    def burst_size(self) -> int:
        return self.burst if self.burst is not None else max(10, self.n // 10)


@dataclass
class Upload:
    key: str
    body: bytes
    expected: str  # the manifest status it must end with: complete | failed
    photo: str | None  # which photo (for the engine's CPU time); None for a bad file
    sent: list[float] = field(default_factory=list)  # wall clock of each upload
    done: list[float] = field(default_factory=list)  # wall clock of each manifest noticed
    deleted: bool = False
    previous_variants: set[str] = field(default_factory=set)

    @property
    def folder(self) -> str:
        return f"{self.key}/"


@dataclass
class Result:
    uploads: int = 0
    bad_files: int = 0
    reuploads: int = 0
    deletions: int = 0
    burst: int = 0
    lost: list[str] = field(default_factory=list)
    wrong_status: list[str] = field(default_factory=list)
    duplicate_executions: list[str] = field(default_factory=list)
    failed_executions: list[str] = field(default_factory=list)
    missing_executions: list[str] = field(default_factory=list)
    queue_left: int = 0
    dlq: int = 0
    orphan_outputs: list[str] = field(default_factory=list)
    leftover_outputs: list[str] = field(default_factory=list)
    missing_variants: list[str] = field(default_factory=list)
    # Calls a function made that its own role does not allow (the embedded cloud's IAM audit).
    denied: list[str] = field(default_factory=list)
    faults: dict[str, Any] = field(default_factory=dict)
    images_per_minute: float = 0.0
    latency_seconds: dict[str, float] = field(default_factory=dict)
    burst_latency_seconds: dict[str, float] = field(default_factory=dict)
    # Per function during the main phase: invocations per image and mean duration (ms).
    functions: dict[str, dict[str, float]] = field(default_factory=dict)
    engine_cpu_per_image: float | None = None
    efficiency: float | None = None
    cpu: dict[str, float] = field(default_factory=dict)
    s3_requests: dict[str, float] = field(default_factory=dict)

    @property
    def problems(self) -> int:
        lists = (self.lost, self.wrong_status, self.duplicate_executions, self.failed_executions,
                 self.missing_executions, self.orphan_outputs, self.leftover_outputs, self.missing_variants,
                 self.denied)
        return sum(len(items) for items in lists) + self.queue_left + self.dlq


# ---- the embedded cloud in a process of its own ---------------------------------------------


def serve(port: int, faults: str, state_dir: str, visibility: int) -> None:
    """``soak.py serve``: the embedded cloud and the deployed stack until stdin closes.

    The event queue's visibility timeout is set to ``visibility`` before the poller starts, so
    that batches that fail come back within the run rather than after the stack's 181 s (a
    receive already waiting when it changed would still hide its messages for 181 s).
    """
    from imgfan.local.cloud import EmbeddedCloud
    from imgfan.local.faults import FaultPlan

    # What the cloud logs (the poller's warnings about failed batches, ...) goes next to the
    # functions' logs, not between the soak's lines.
    logging.basicConfig(filename=Path(state_dir) / "cloud.log", level=logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    cloud = EmbeddedCloud(port=port, state_dir=Path(state_dir), faults=FaultPlan.parse(faults))
    try:
        cloud.start()
        outputs = cloud.deploy(progress=lambda message: None)
        cloud.client("sqs").set_queue_attributes(QueueUrl=outputs["QueueUrl"],
                                                 Attributes={"VisibilityTimeout": str(visibility)})
        cloud.start_poller()
        print("ready", flush=True)
        sys.stdin.read()
    finally:
        cloud.stop()


class CloudProcess:
    def __init__(self, faults: str, state_dir: Path, visibility: int):
        from imgfan.local.cloud import free_port

        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, __file__, "serve", "--port", str(self.port), "--faults", faults,
             "--state-dir", str(state_dir), "--visibility", str(visibility)],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            self.process.kill()
            raise RuntimeError(f"the embedded cloud did not start (exit {self.process.wait()}); see above")

    def client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(service, endpoint_url=self.endpoint, config=Config(max_pool_connections=32),
                            **CREDENTIALS)

    def faults(self, spec: str | None = None) -> dict[str, Any]:
        """The live fault plan and counts; with ``spec``, replace the plan first."""
        data = None if spec is None else json.dumps({"faults": spec}).encode()
        request = urllib.request.Request(f"{self.endpoint}/_imgfan/faults", data=data, method="POST" if data else "GET")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


# ---- CPU accounting --------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def _function_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/environ", "rb") as environ:
            for entry in environ.read().split(b"\0"):
                if entry.startswith(b"AWS_LAMBDA_FUNCTION_NAME="):
                    return short_name(entry.split(b"=", 1)[1].decode())
    except OSError:
        pass
    return "other"


def tree_cpu(root: int) -> dict[str, float]:
    """CPU seconds of ``root`` (the moto process, with workers it has reaped) and per function of
    its live workers."""
    fields = _stat(root)
    cpu = {"moto process": (int(fields[11]) + int(fields[12])) / _TICK,
           "workers that exited": (int(fields[13]) + int(fields[14])) / _TICK}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = _stat(int(pid))
            if int(fields[1]) == root:
                name = _function_of(int(pid))
                cpu[name] = cpu.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / _TICK
        except (OSError, IndexError):
            continue
    return cpu


def machine_busy() -> float:
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    return (sum(ticks[:3]) + sum(ticks[5:8])) / _TICK  # user, nice, system, irq, softirq, steal


class CpuWindow:
    """CPU used during one phase: by the cloud (per part), by this process, by the whole machine."""

    def __init__(self, cloud_pid: int):
        self.cloud_pid = cloud_pid
        self.cloud, self.own, self.machine = tree_cpu(cloud_pid), _own_cpu(), machine_busy()

    def close(self) -> dict[str, float]:
        cloud, own, machine = tree_cpu(self.cloud_pid), _own_cpu(), machine_busy()
        used = {name: cloud[name] - self.cloud.get(name, 0.0) for name in cloud}
        used = {name: seconds for name, seconds in used.items() if seconds > 0.005}
        total = sum(used.values())
        return {**used, "embedded cloud": total, "soak client": own - self.own,
                "other processes": max(0.0, machine - self.machine - total - (own - self.own))}


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def engine_cpu_per_photo(photos: list[Path], repeat: int = 3) -> float:
    """``imgfan render``'s CPU seconds per photo on these photos (its start-up included, shared),
    the least of ``repeat`` runs: other processes on the machine only ever add to it."""
    runs = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([sys.executable, "-m", "imgfan.cli", "render", *map(str, photos), "--out", out],
                           cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        runs.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(runs) / len(photos)


# ---- what to upload ----------------------------------------------------------------------------


def photos() -> list[Path]:
    found = [path for folder in PHOTO_DIRS for path in sorted(folder.iterdir())
             if path.suffix.lower() in (".jpg", ".jpeg", ".png") and "truncated" not in path.name
             and "decompression" not in path.name and path.stat().st_size > 10_000]
    return found


def bad_files() -> list[tuple[str, bytes]]:
    sample = (PHOTO_DIRS[0] / "nikon-with-gps.jpg").read_bytes()
    return [
        ("not-an-image.jpg", b"this is plain text, not a JPEG\n" * 20),
        ("truncated.jpg", sample[: len(sample) // 3]),
        ("bomb.gif", (PHOTO_DIRS[1] / "decompression_bomb.gif").read_bytes()),
    ]


def plan_uploads(count: int, first: int, prefix: str) -> list[Upload]:
    good, bad = photos(), bad_files()
    uploads = []
    for index in range(first, first + count):
        if index % BAD_EVERY == BAD_EVERY - 1:
            name, body = bad[(index // BAD_EVERY) % len(bad)]
            uploads.append(Upload(f"{prefix}/{index:05d}-{name}", body, "failed", None))
        else:
            path = good[index % len(good)]
            uploads.append(Upload(f"{prefix}/{index:05d}-{path.name}", path.read_bytes(), "complete", path.name))
    return uploads


# ---- noticing manifests --------------------------------------------------------------------------


class ManifestWatch:
    """The output bucket notifies a queue of ours of every manifest written, as an app would watch."""

    def __init__(self, cloud: CloudProcess, output_bucket: str):
        self.sqs = cloud.client("sqs")
        self.url = self.sqs.create_queue(QueueName="soak-manifests")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        cloud.client("s3").put_bucket_notification_configuration(
            Bucket=output_bucket,
            NotificationConfiguration={"QueueConfigurations": [{
                "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": MANIFEST}]}},
            }]},
        )

    def written(self, wait: float = 1.0) -> list[str]:
        """Source keys whose manifest was written since the last call (waiting up to ``wait``)."""
        messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=max(0, round(wait))).get("Messages", [])
        keys = []
        for message in messages:
            for record in json.loads(message["Body"]).get("Records", []):
                key = unquote_plus(record["s3"]["object"]["key"])
                keys.append(key[: -len(MANIFEST) - 1])
        if messages:
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        return keys


# ---- the phases ------------------------------------------------------------------------------------


class Soak:
    def __init__(self, cloud: CloudProcess, options: Options):
        self.cloud, self.options = cloud, options
        outputs = {o["OutputKey"]: o["OutputValue"]
                   for o in cloud.client("cloudformation").describe_stacks(StackName="Imgfan")["Stacks"][0]["Outputs"]}
        self.source, self.output = outputs["SourceBucketName"], outputs["OutputBucketName"]
        self.queue_url, self.dlq_url = outputs["QueueUrl"], outputs["DeadLetterQueueUrl"]
        # Renders and deletes run in two state machines.
        self.state_machines = (outputs["StateMachineArn"], outputs["DeleteStateMachineArn"])
        self.s3, self.sqs = cloud.client("s3"), cloud.client("sqs")
        self.stepfunctions = cloud.client("stepfunctions")
        self.watch = ManifestWatch(cloud, self.output)
        self.uploads: dict[str, Upload] = {}
        self.deletes = 0

    def say(self, message: str) -> None:
        if not self.options.quiet:
            print(message, flush=True)

    def upload(self, upload: Upload) -> None:
        self.uploads[upload.key] = upload
        self.s3.put_object(Bucket=self.source, Key=upload.key, Body=upload.body)
        upload.sent.append(time.time())

    def run_window(self, uploads: list[Upload], send, window: int) -> None:
        """Send each upload (``send``), at most ``window`` without a manifest, until all have one."""
        todo, waiting = list(reversed(uploads)), {}
        stalled_after = 3 * self.options.visibility + 120
        last_progress = time.monotonic()
        while todo or waiting:
            while todo and len(waiting) < window:
                upload = todo.pop()
                send(upload)
                waiting[upload.key] = upload
            for key in self.watch.written(wait=1):
                if key in waiting and len(waiting[key].done) < len(waiting[key].sent):
                    waiting.pop(key).done.append(time.time())
                    last_progress = time.monotonic()
            if time.monotonic() - last_progress > stalled_after:
                self.say(f"no manifest for {len(waiting)} uploads in {stalled_after} s; giving up on them")
                return

    def reupload(self, upload: Upload) -> None:
        manifest = json.loads(self.s3.get_object(Bucket=self.output, Key=upload.folder + MANIFEST)["Body"].read())
        upload.previous_variants = {v["key"] for v in manifest["variants"] if v.get("key")}
        self.upload(upload)

    def delete(self, uploads: list[Upload]) -> None:
        for upload in uploads:
            self.s3.delete_object(Bucket=self.source, Key=upload.key)
            upload.deleted = True
            self.deletes += 1
        deadline = time.monotonic() + 3 * self.options.visibility + 120
        remaining = list(uploads)
        while remaining and time.monotonic() < deadline:
            remaining = [u for u in remaining if self.s3.list_objects_v2(
                Bucket=self.output, Prefix=u.folder, MaxKeys=1).get("KeyCount", 0)]
            time.sleep(1)

    def burst(self, uploads: list[Upload], base_faults: str) -> None:
        throttled = _with_rate(base_faults, "throttle-start", BURST_THROTTLE)
        self.cloud.faults(throttled)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(self.upload, uploads))
        self.run_window(uploads, send=lambda upload: None, window=len(uploads))
        self.cloud.faults(base_faults)

    def wait_idle(self, timeout: float) -> None:
        """Until the event queue is empty and no execution runs (failed batches come back first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.queue_depth(self.queue_url) == 0 and not any(self.stepfunctions.list_executions(
                    stateMachineArn=arn, statusFilter="RUNNING", maxResults=1)["executions"]
                    for arn in self.state_machines):
                return
            time.sleep(1)

    def queue_depth(self, url: str) -> int:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                 "ApproximateNumberOfMessagesDelayed"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return sum(int(attributes.get(name, 0)) for name in names)


def _with_rate(spec: str, switch: str, rate: float) -> str:
    parts = [p for p in spec.split(",") if p and p != "none" and not p.startswith(f"{switch}=")]
    return ",".join([*parts, f"{switch}={rate}"])


# ---- the checks ----------------------------------------------------------------------------------


def check(soak: Soak, result: Result) -> None:
    folders = {upload.folder: upload for upload in soak.uploads.values()}
    present: dict[str, set[str]] = defaultdict(set)
    for key in _list_outputs(soak):
        owner = folders.get(key.rsplit("/", 1)[0] + "/")
        if owner is None or owner.deleted:
            result.orphan_outputs.append(key)
        else:
            present[owner.folder].add(key)
    for upload in soak.uploads.values():
        if not upload.deleted:
            check_outputs(soak, upload, present[upload.folder], result)
    check_executions(soak, result)
    result.queue_left = soak.queue_depth(soak.queue_url)
    result.dlq = soak.queue_depth(soak.dlq_url)


def check_outputs(soak: Soak, upload: Upload, present: set[str], result: Result) -> None:
    """Its manifest has the right status, names only variants that exist, and nothing else is left
    in its folder but the variants of the manifest before (the previous generation)."""
    manifest = _manifest(soak, upload)
    if manifest is None:
        result.lost.append(upload.key)
        return
    if manifest["status"] != upload.expected:
        result.wrong_status.append(f"{upload.key}: {manifest['status']}, expected {upload.expected}")
    written = {v["key"] for v in manifest["variants"] if v["status"] == "ok"}
    result.missing_variants += [f"{upload.key}: {key}" for key in sorted(written - present)]
    named = {v["key"] for v in manifest["variants"] if v.get("key")}
    result.leftover_outputs += sorted(present - named - upload.previous_variants - {upload.folder + MANIFEST})


def _list_outputs(soak: Soak) -> set[str]:
    pages = soak.s3.get_paginator("list_objects_v2").paginate(Bucket=soak.output)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def _manifest(soak: Soak, upload: Upload) -> dict | None:
    try:
        return json.loads(soak.s3.get_object(Bucket=soak.output, Key=upload.folder + MANIFEST)["Body"].read())
    except soak.s3.exceptions.NoSuchKey:
        return None


def check_executions(soak: Soak, result: Result) -> None:
    """Exactly one execution per distinct event: per upload one render of its own revision, per
    deletion one delete; none failed, but for bad files' executions, which fail on purpose."""
    from imgfan_core.errors import IMAGE_FAILED_ERROR_NAME

    paginator = soak.stepfunctions.get_paginator("list_executions")
    arns = [e["executionArn"] for machine in soak.state_machines
            for page in paginator.paginate(stateMachineArn=machine) for e in page["executions"]]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        described = list(pool.map(lambda arn: soak.stepfunctions.describe_execution(executionArn=arn), arns))
    events: Counter[tuple[str, str, str]] = Counter()
    per_key: dict[tuple[str, str], set[str]] = defaultdict(set)
    for execution in described:
        execution_input = json.loads(execution["input"])
        source = execution_input["source"]
        event = (execution_input["action"], source["key"], source["revision"])
        events[event] += 1
        per_key[event[:2]].add(event[2])
        # A bad file's execution fails on purpose (the finalizer's ImageFailed, after its manifest).
        bad_upload = execution["status"] == "FAILED" and execution.get("error") == IMAGE_FAILED_ERROR_NAME
        if execution["status"] != "SUCCEEDED" and not bad_upload:
            result.failed_executions.append(f"{execution['name']}: {execution['status']}")
    result.duplicate_executions = [f"{action} {key} {revision}: {count} executions"
                                   for (action, key, revision), count in events.items() if count > 1]
    for upload in soak.uploads.values():
        expected = {"render": len(upload.sent), "delete": int(upload.deleted)}
        for action, count in expected.items():
            found = len(per_key.get((action, upload.key), ()))
            if found != count:
                result.missing_executions.append(f"{upload.key}: {found} {action} events, expected {count}")


# ---- the run -------------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    if len(samples) == 1:
        return {"p50": samples[0], "p95": samples[0], "p99": samples[0]}
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98]}


def latencies(uploads: list[Upload]) -> list[float]:
    return [done - sent for upload in uploads for sent, done in zip(upload.sent, upload.done)]


def run(options: Options) -> Result:
    result = Result()
    engine = engine_cpu_per_photo(photos()) if options.measure_engine else None
    shutil.rmtree(options.state_dir, ignore_errors=True)
    options.state_dir.mkdir(parents=True)
    cloud = CloudProcess(options.faults, options.state_dir, options.visibility)
    try:
        soak = Soak(cloud, options)
        run_phases(soak, options, result, engine)
        soak.wait_idle(timeout=3 * options.visibility + 300)
        check(soak, result)
        result.faults = cloud.faults()
        result.denied = [_denial(d) for d in result.faults.get("denied", [])]
    finally:
        cloud.stop()
    return result


def _denial(denial: dict[str, Any]) -> str:
    keys = "".join(f" ({name}={value!r})" for name, value in sorted(denial.get("context", {}).items()))
    return f"IAM: {denial['function']} may not {denial['action']} on {denial['resource']}{keys}"


def run_phases(soak: Soak, options: Options, result: Result, engine: float | None) -> None:
    main = plan_uploads(options.n, 0, "soak")
    soak.say(f"main: {len(main)} uploads, at most {options.window} in flight")
    cpu, before = CpuWindow(soak.cloud.process.pid), soak.cloud.faults()
    started = time.monotonic()
    soak.run_window(main, send=soak.upload, window=options.window)
    wall = time.monotonic() - started
    result.cpu = {name: round(seconds / len(main), 3) for name, seconds in cpu.close().items()}
    after = soak.cloud.faults()
    result.functions = function_stats(before, after, len(main))
    result.s3_requests = s3_requests_per_image(before, after, len(main))
    result.images_per_minute = len(main) / wall * 60
    result.latency_seconds = percentiles(latencies(main))
    if engine is not None:
        rendered = sum(1 for upload in main if upload.photo)
        result.engine_cpu_per_image = engine
        result.efficiency = engine * rendered / (wall * (os.cpu_count() or 1))
    soak.wait_idle(timeout=3 * options.visibility + 300)

    good = [upload for upload in main if upload.photo]
    again, doomed = good[::BAD_EVERY], good[BAD_EVERY // 2 :: BAD_EVERY]
    soak.say(f"re-uploads: {len(again)}; deletions: {len(doomed)}")
    soak.run_window(again, send=soak.reupload, window=options.window)
    soak.delete(doomed)
    burst = plan_uploads(options.burst_size, options.n, "burst")
    soak.say(f"burst: {len(burst)} uploads at once, StartExecution throttled at {BURST_THROTTLE}")
    soak.burst(burst, options.faults)
    result.burst_latency_seconds = percentiles(latencies(burst))
    result.uploads = len(main) + len(burst)
    result.bad_files = sum(1 for upload in [*main, *burst] if not upload.photo)
    result.reuploads, result.deletions, result.burst = len(again), len(doomed), len(burst)


def function_stats(before: dict, after: dict, images: int) -> dict[str, dict[str, float]]:
    stats = {}
    for name, count in after["invocations"].items():
        invoked = count - before["invocations"].get(name, 0)
        if invoked:
            ms = after["invocation_ms"][name] - before["invocation_ms"].get(name, 0)
            stats[name] = {"per_image": round(invoked / images, 2), "mean_ms": round(ms / invoked)}
    return stats


def s3_requests_per_image(before: dict, after: dict, images: int) -> dict[str, float]:
    """S3 requests per image by function and method, e.g. "Resizer GET": each is a billed request on AWS."""
    counts: Counter[str] = Counter()
    for name, count in after.get("requests", {}).items():
        function, service, method = name.rsplit(" ", 2)
        if service == "s3":
            counts[f"{short_name(function)} {method}"] += count - before.get("requests", {}).get(name, 0)
    return {name: round(count / images, 2) for name, count in sorted(counts.items()) if count}


def report(result: Result, options: Options) -> str:
    lines = [
        (f"soak: {result.uploads} uploads ({result.bad_files} bad files), {result.reuploads} identical re-uploads, "
         f"{result.deletions} deletions, burst of {result.burst}; faults: {result.faults.get('faults', options.faults)}"),
        (f"  lost {len(result.lost)} | wrong status {len(result.wrong_status)} | duplicate executions "
         f"{len(result.duplicate_executions)} | missing or extra executions {len(result.missing_executions)} | "
         f"failed executions {len(result.failed_executions)} | queue {result.queue_left} | DLQ {result.dlq} | "
         f"orphan outputs {len(result.orphan_outputs)} | leftover outputs {len(result.leftover_outputs)} | "
         f"missing variants {len(result.missing_variants)} | calls its role denies {len(result.denied)}"),
        f"  injected: {_counts(result.faults.get('injected', {}))}",
        (f"  sandboxes: {_counts(result.faults.get('sandboxes', {}))}; "
         f"event source: {_counts(result.faults.get('event_source', {}))}"),
        (f"  main phase: {result.images_per_minute:.1f} images/min; upload->manifest {_seconds(result.latency_seconds)}"
         f"; burst {_seconds(result.burst_latency_seconds)}"),
        f"  CPU s/image during the main phase: {_counts(result.cpu)}",
        "  invocations per image, mean ms: " + ", ".join(
            f"{name} {stats['per_image']} x {stats['mean_ms']} ms" for name, stats in sorted(result.functions.items())),
        f"  S3 requests per image: {_counts(result.s3_requests)}",
    ]
    if result.efficiency is not None:
        lines.append(f"  efficiency {result.efficiency:.2f} (imgfan render: {result.engine_cpu_per_image:.3f} CPU s/image "
                     f"x images / (wall s x {os.cpu_count()} cores))")
    problems = [*result.lost, *result.wrong_status, *result.duplicate_executions, *result.missing_executions,
                *result.failed_executions, *result.orphan_outputs, *result.leftover_outputs, *result.missing_variants,
                *result.denied]
    lines += [f"  PROBLEM {item}" for item in problems[:20]]
    lines.append("OK" if result.problems == 0 else
                 f"FAILED: {result.problems} problems; logs in {options.state_dir}")
    return "\n".join(lines)


def _counts(counts: dict[str, Any]) -> str:
    return ", ".join(f"{name} {value}" for name, value in sorted(counts.items())) or "none"


def _seconds(cuts: dict[str, float]) -> str:
    return " ".join(f"{name} {value:.1f}s" for name, value in cuts.items()) or "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    serve_parser = sub.add_parser("serve", help=argparse.SUPPRESS)
    serve_parser.add_argument("--port", type=int, required=True)
    serve_parser.add_argument("--faults", default="")
    serve_parser.add_argument("--state-dir", required=True)
    serve_parser.add_argument("--visibility", type=int, required=True)
    parser.add_argument("--n", type=int, default=Options.n, help="uploads in the main phase (default 300)")
    parser.add_argument("--faults", default=DEFAULT_FAULTS, help="fault plan, or 'none' (default: every switch)")
    parser.add_argument("--window", type=int, default=Options.window, help="uploads in flight at most (default 16)")
    parser.add_argument("--burst", type=int, help="uploads in the burst (default n/10, at least 10)")
    parser.add_argument("--visibility", type=int, default=Options.visibility,
                        help="event queue visibility timeout for the run, seconds (default 30)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port, args.faults, args.state_dir, args.visibility)
        return 0
    options = Options(n=args.n, faults=args.faults, window=args.window, burst=args.burst,
                      visibility=args.visibility, quiet=args.json)
    result = run(options)
    print(json.dumps(asdict(result), indent=2) if args.json else report(result, options))
    return 0 if result.problems == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
