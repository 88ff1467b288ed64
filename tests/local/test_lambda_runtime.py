"""The local Lambda runtime, through moto's Lambda API over HTTP like any client would call it."""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from imgfan.local.faults import FaultPlan

pytestmark = pytest.mark.cloud

REPO_ROOT = Path(__file__).resolve().parents[2]

HANDLER_SOURCE = '''
import os, sys, time

def handler(event, context):
    if event.get("raise"):
        raise ValueError(event["raise"])
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("exit"):
        os._exit(3)
    result = {"env": {k: os.environ.get(k) for k in event.get("env", [])},
              "remaining_ms": context.get_remaining_time_in_millis(),
              "pid": os.getpid()}
    if event.get("import"):
        module = __import__(event["import"])
        result["module_file"] = module.__file__
        result["module_version"] = getattr(module, "__version__", None)
        result["module_cached"] = getattr(module, "__cached__", None)
        result["writes_bytecode"] = not sys.dont_write_bytecode
    if event.get("s3"):
        import boto3, botocore.config, botocore.exceptions
        s3 = boto3.client("s3", config=botocore.config.Config(retries={"total_max_attempts": 1}))
        try:
            s3.list_buckets()
            result["s3"] = "ok"
        except botocore.exceptions.ClientError as exc:
            result["s3"] = exc.response["Error"]["Code"]
    return result
'''


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("probe.py", source)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def lambda_client(cloud):
    return cloud.client("lambda")


@pytest.fixture(scope="module")
def role_arn(cloud):
    iam = cloud.client("iam")
    name = f"probe-role-{uuid.uuid4().hex[:8]}"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    # What the probe handler calls (ListBuckets), so the embedded cloud's IAM audit lets it pass.
    allowed = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets",
                                                       "Resource": "*"}]}
    iam.put_role_policy(RoleName=name, PolicyName="probe", PolicyDocument=json.dumps(allowed))
    return arn


def make_function(lambda_client, role_arn, env=None, timeout=5, layers=None) -> str:
    name = f"probe-{uuid.uuid4().hex[:10]}"
    lambda_client.create_function(
        FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="probe.handler",
        Code={"ZipFile": _zip(HANDLER_SOURCE)}, Timeout=timeout,
        Environment={"Variables": env or {}}, Layers=layers or [],
    )
    return name


def invoke(lambda_client, name, event):
    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps(event))
    return response.get("FunctionError"), json.loads(response["Payload"].read())


def test_each_function_sees_only_its_own_environment(lambda_client, role_arn, monkeypatch):
    monkeypatch.setenv("IMGFAN_HOST_ONLY", "leak")
    first = make_function(lambda_client, role_arn, env={"ONLY_FIRST": "1"})
    second = make_function(lambda_client, role_arn, env={"ONLY_SECOND": "2"})
    keys = ["ONLY_FIRST", "ONLY_SECOND", "IMGFAN_HOST_ONLY", "AWS_LAMBDA_FUNCTION_NAME"]

    error, first_result = invoke(lambda_client, first, {"env": keys})
    assert error is None
    error, second_result = invoke(lambda_client, second, {"env": keys})
    assert error is None

    assert first_result["env"] == {"ONLY_FIRST": "1", "ONLY_SECOND": None, "IMGFAN_HOST_ONLY": None,
                                   "AWS_LAMBDA_FUNCTION_NAME": first}
    assert second_result["env"] == {"ONLY_FIRST": None, "ONLY_SECOND": "2", "IMGFAN_HOST_ONLY": None,
                                    "AWS_LAMBDA_FUNCTION_NAME": second}
    assert first_result["pid"] != second_result["pid"]
    assert 0 < first_result["remaining_ms"] <= 5000


def test_workers_stay_warm_between_invocations(lambda_client, role_arn, cloud):
    name = make_function(lambda_client, role_arn)
    pids = {invoke(lambda_client, name, {})[1]["pid"] for _ in range(4)}
    assert os.getpid() not in pids
    assert len(pids) <= 2, "sequential invocations should reuse a warm worker"
    assert cloud.counts()["invocations"][name] == 4
    assert cloud.counts()["invocation_ms"][name] > 0


def test_a_handler_exception_is_a_function_error_named_after_the_exception(lambda_client, role_arn):
    name = make_function(lambda_client, role_arn)
    error, payload = invoke(lambda_client, name, {"raise": "bad input"})
    assert error is not None
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "bad input"
    assert invoke(lambda_client, name, {})[0] is None, "the worker survives a handler exception"


def test_a_timeout_is_a_function_error_and_the_next_invocation_gets_a_fresh_worker(lambda_client, role_arn):
    name = make_function(lambda_client, role_arn, timeout=1)
    error, payload = invoke(lambda_client, name, {"sleep": 5})
    assert error is not None
    assert payload["errorType"] == "Sandbox.Timedout"
    assert "timed out after 1.00 seconds" in payload["errorMessage"]
    error, _ = invoke(lambda_client, name, {})
    assert error is None


def test_a_crashed_worker_is_a_function_error(lambda_client, role_arn):
    name = make_function(lambda_client, role_arn)
    error, payload = invoke(lambda_client, name, {"exit": True})
    assert error is not None
    assert payload["errorType"] == "Runtime.ExitError"
    assert invoke(lambda_client, name, {})[0] is None


@pytest.fixture(scope="module")
def with_stack_layer(lambda_client, role_arn, pipeline) -> str:
    """A probe function carrying the deployed stack's shared layer."""
    dispatcher = next(f for f in lambda_client.list_functions()["Functions"] if "Dispatcher" in f["FunctionName"])
    layer_arns = [layer["Arn"] for layer in dispatcher["Layers"]]
    assert layer_arns, "the stack's functions must carry the shared layer"
    return make_function(lambda_client, role_arn, layers=layer_arns)


def test_the_shared_package_comes_from_the_deployed_layer_not_the_working_tree(lambda_client, with_stack_layer):
    error, payload = invoke(lambda_client, with_stack_layer, {"import": "imgfan_core"})
    assert error is None
    module_file = payload["module_file"]
    assert "/layers/" in module_file and "/python/imgfan_core/" in module_file
    assert not module_file.startswith(os.path.join(os.getcwd(), "src"))


def test_sandboxes_share_the_layer_s_bytecode_instead_of_each_compiling_it(lambda_client, with_stack_layer):
    error, payload = invoke(lambda_client, with_stack_layer, {"import": "botocore"})
    assert error is None, payload
    assert payload["writes_bytecode"]
    cached = Path(payload["module_cached"])
    assert cached.parent.name == "__pycache__" and cached.parent.parent == Path(payload["module_file"]).parent
    assert cached.is_file(), "the sandbox left no bytecode for the next one to load"


def _layer_pins() -> dict[str, str]:
    lines = (REPO_ROOT / "src" / "imgfan" / "cdk" / "layer_requirements.txt").read_text().splitlines()
    return {name.lower(): version for name, _, version in (line.partition("==") for line in lines)
            if version and not name.startswith("#")}


@pytest.mark.parametrize("package", ["boto3", "botocore", "s3transfer"])
def test_the_aws_sdk_comes_from_the_deployed_layer_at_its_pinned_version(lambda_client, with_stack_layer, package):
    error, payload = invoke(lambda_client, with_stack_layer, {"import": package})
    assert error is None, payload
    assert "/layers/" in payload["module_file"] and f"/python/{package}/" in payload["module_file"]
    assert payload["module_version"] == _layer_pins()[package]


def test_a_layer_package_built_for_another_machine_comes_from_the_host_at_the_same_pin(lambda_client,
                                                                                        with_stack_layer):
    import site
    import sysconfig

    if sysconfig.get_config_var("EXT_SUFFIX") == ".cpython-312-aarch64-linux-gnu.so":
        pytest.skip("this host can load the layer's own Pillow build")
    error, payload = invoke(lambda_client, with_stack_layer, {"import": "PIL"})
    assert error is None, payload
    assert any(payload["module_file"].startswith(path) for path in site.getsitepackages())
    assert payload["module_version"] == _layer_pins()["pillow"]


# ---- Lambda fidelity: dead sandboxes --------------------------------------------------------------


def wait_until_dead(pid: int) -> None:
    """Until the killed worker has exited (a zombie until the runtime reaps it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return
        time.sleep(0.05)
    raise AssertionError(f"worker {pid} did not exit")


def test_a_worker_that_died_while_idle_is_replaced_and_the_next_invocation_succeeds(lambda_client, role_arn):
    name = make_function(lambda_client, role_arn)
    for _ in range(3):
        error, first = invoke(lambda_client, name, {})
        assert error is None
        os.kill(first["pid"], signal.SIGKILL)
        wait_until_dead(first["pid"])
        error, second = invoke(lambda_client, name, {})
        assert error is None, second
        assert second["pid"] != first["pid"]


def test_a_worker_that_dies_during_the_invocation_fails_it_with_runtime_exit_error(lambda_client, role_arn):
    name = make_function(lambda_client, role_arn, timeout=30)
    pid = invoke(lambda_client, name, {})[1]["pid"]  # the warm worker the next invocation reuses
    outcome = {}
    slow = threading.Thread(target=lambda: outcome.update(result=invoke(lambda_client, name, {"sleep": 20})))
    slow.start()
    wait_until_asleep_in_handler(pid)
    os.kill(pid, signal.SIGKILL)
    slow.join(timeout=60)
    error, payload = outcome["result"]
    assert error is not None
    assert payload["errorType"] == "Runtime.ExitError"
    assert payload["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    assert invoke(lambda_client, name, {})[0] is None


def wait_until_asleep_in_handler(pid: int) -> None:
    """Until the worker sleeps in time.sleep (the handler), not in a read of its request pipe."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/wchan") as wchan:
            if "nanosleep" in wchan.read():
                return
        time.sleep(0.05)
    raise AssertionError(f"worker {pid} never got into its handler")


# ---- fault switches of the sandboxes ------------------------------------------------------------


@pytest.fixture
def faults(cloud):
    """Set the session cloud's fault plan for one test; no faults afterwards."""
    def apply(spec: str) -> None:
        cloud.faults.set_plan(FaultPlan.parse(spec))

    yield apply
    cloud.faults.set_plan(FaultPlan())


def test_kill_fails_the_invocation_it_hits_and_only_that_function(lambda_client, role_arn, faults):
    victim, bystander = make_function(lambda_client, role_arn), make_function(lambda_client, role_arn)
    faults(f"kill=1,functions={victim}")
    for _ in range(3):
        error, payload = invoke(lambda_client, victim, {"sleep": 1})
        assert error is not None and payload["errorType"] == "Runtime.ExitError"
        assert "signal: killed" in payload["errorMessage"]
    assert invoke(lambda_client, bystander, {})[0] is None
    faults("none")
    assert invoke(lambda_client, victim, {})[0] is None


def test_idle_kill_never_fails_an_invocation(lambda_client, role_arn, faults, cloud):
    name = make_function(lambda_client, role_arn)
    faults(f"idle-kill=1,functions={name}")
    replaced_before = cloud.runtime.tally.snapshot().get("idle_deaths_replaced", 0)
    pids = []
    for _ in range(6):
        error, payload = invoke(lambda_client, name, {})
        assert error is None, payload
        pids.append(payload["pid"])
    assert len(set(pids)) == 6, "each worker was killed after its invocation"
    assert cloud.runtime.tally.snapshot()["idle_deaths_replaced"] - replaced_before >= 5


def test_latency_counts_against_the_function_timeout(lambda_client, role_arn, faults):
    name = make_function(lambda_client, role_arn, timeout=1)
    faults(f"latency=1,latency-seconds=3,functions={name}")
    _error, payload = invoke(lambda_client, name, {})
    assert payload["errorType"] == "Sandbox.Timedout"
    faults("none")
    assert invoke(lambda_client, name, {})[0] is None


def test_s3_errors_reach_only_the_functions_the_plan_names(lambda_client, role_arn, faults, cloud):
    victim, bystander = make_function(lambda_client, role_arn), make_function(lambda_client, role_arn)
    faults(f"s3-error=1,functions={victim}")
    codes = [invoke(lambda_client, victim, {"s3": True})[1]["s3"] for _ in range(10)]
    assert set(codes) == {"SlowDown", "InternalError"}
    assert invoke(lambda_client, bystander, {"s3": True})[1]["s3"] == "ok"
    cloud.client("s3").list_buckets()  # callers that are not functions are never touched


# ---- Step Functions' in-process Lambda client ---------------------------------------------------


def test_state_machines_invoke_lambda_in_process_as_over_http(cloud, lambda_client, role_arn, faults):
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    name = make_function(lambda_client, role_arn)
    client = lambda_eval_utils.boto_client_for(region=cloud.region, service="lambda")
    response = client.invoke(FunctionName=name, Payload=json.dumps({"env": ["AWS_LAMBDA_FUNCTION_NAME"]}).encode())
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert json.loads(response["Payload"].read())["env"] == {"AWS_LAMBDA_FUNCTION_NAME": name}

    failed = client.invoke(FunctionName=name, Payload=json.dumps({"raise": "nope"}).encode())
    assert failed["FunctionError"] and json.loads(failed["Payload"].read())["errorType"] == "ValueError"

    with pytest.raises(ClientError) as missing:
        client.invoke(FunctionName="no-such-function", Payload=b"{}")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"

    faults(f"throttle-lambda=1,functions={name}")
    with pytest.raises(ClientError) as throttled:
        client.invoke(FunctionName=name, Payload=b"{}")
    assert throttled.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_profiling_writes_each_worker_s_handler_profile(lambda_client, role_arn, tmp_path, monkeypatch):
    import pstats

    monkeypatch.setenv("IMGFAN_PROFILE_DIR", str(tmp_path))
    name = make_function(lambda_client, role_arn)  # its workers start with the variable set
    pids = {invoke(lambda_client, name, {})[1]["pid"] for _ in range(20)}
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written and all(path.startswith(f"{name}-") for path in written)
    assert {int(path.removesuffix(".pstats").rsplit("-", 1)[1]) for path in written} <= pids
    profiled = pstats.Stats(str(tmp_path / written[0])).stats
    assert any(function == "handler" and file.endswith("probe.py") for file, _, function in profiled)
