"""API faults at the embedded cloud's HTTP door, and its control endpoint, over HTTP with boto3."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from imgfan.local.faults import FaultPlan

pytestmark = pytest.mark.cloud

NO_RETRIES = Config(retries={"total_max_attempts": 1})


@pytest.fixture
def faults(cloud):
    yield lambda spec: cloud.faults.set_plan(FaultPlan.parse(spec))
    cloud.faults.set_plan(FaultPlan())


def client(cloud, service: str):
    import boto3

    return boto3.client(service, endpoint_url=cloud.endpoint_url, region_name=cloud.region, config=NO_RETRIES,
                        aws_access_key_id="test", aws_secret_access_key="test")


def error_of(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_start_execution_is_throttled_as_step_functions_throttles(cloud, faults):
    stepfunctions = client(cloud, "stepfunctions")
    arn = f"arn:aws:states:{cloud.region}:{cloud.account}:stateMachine:no-such-machine"
    faults("throttle-start=1")
    assert error_of(lambda: stepfunctions.start_execution(stateMachineArn=arn, name="x")) == (
        "ThrottlingException", 400)
    faults("none")
    assert error_of(lambda: stepfunctions.start_execution(stateMachineArn=arn, name="x"))[0] == "StateMachineDoesNotExist"


def test_lambda_invoke_is_throttled_or_fails_for_the_named_functions_only(cloud, faults):
    lambda_client = client(cloud, "lambda")
    faults("throttle-lambda=1,functions=victim")
    assert error_of(lambda: lambda_client.invoke(FunctionName="victim-fn")) == ("TooManyRequestsException", 429)
    arn = f"arn:aws:lambda:{cloud.region}:{cloud.account}:function:victim-fn:live"
    assert error_of(lambda: lambda_client.invoke(FunctionName=arn))[0] == "TooManyRequestsException"
    # Not named: the request reaches moto, which does not know the function.
    assert error_of(lambda: lambda_client.invoke(FunctionName="bystander"))[0] == "ResourceNotFoundException"
    faults("lambda-error=1,functions=victim")
    assert error_of(lambda: lambda_client.invoke(FunctionName="victim-fn")) == ("ServiceException", 500)


def test_s3_requests_of_callers_that_are_not_functions_are_never_failed(cloud, faults):
    faults("s3-error=1")
    client(cloud, "s3").list_buckets()


def control(cloud, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(f"{cloud.endpoint_url}/_imgfan/faults", method="POST" if body else "GET",
                                     data=json.dumps(body).encode() if body else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_control_endpoint_reports_and_replaces_the_plan(cloud, faults):
    status, state = control(cloud, {"faults": "duplicate=0.25,seed=4"})
    assert status == 200
    assert state["faults"] == "duplicate=0.25,seed=4"
    assert cloud.faults.plan == FaultPlan(duplicate=0.25, seed=4)
    assert {"injected", "sandboxes", "invocations", "invocation_ms", "event_source"} <= state.keys()

    status, state = control(cloud, {"faults": "kil=1"})
    assert status == 400
    assert "unknown fault switch 'kil'; did you mean 'kill'?" in state["message"]
    assert cloud.faults.plan == FaultPlan(duplicate=0.25, seed=4), "a refused plan changes nothing"
    assert control(cloud)[1]["faults"] == "duplicate=0.25,seed=4"
