"""Step Functions' Lambda tasks reach the Lambda service in-process instead of over loopback HTTP.

moto's interpreter builds a boto3 Lambda client for every task and calls Invoke on
``http://localhost:$MOTO_PORT``. Measured on the soak (docs/capacity.md), that round trip cost
about 5 ms of botocore in the interpreter plus 3 ms of werkzeug, Flask and moto in the server per
invocation, seven invocations per image, all in the one process that also runs every other
service. ``InProcessLambdaClient`` answers the same Invoke the way moto's ``LambdaResponse.invoke``
does: the function looked up by name or ARN in moto's Lambda backend and run through its
``invoke`` (so by the local Lambda runtime), the payload as a stream, ``FunctionError`` when the
function failed, and the fault plan's Lambda API faults as the ``ClientError`` boto3 would raise.
The Task's history (``{"StatusCode": 200, "Payload": ...}``) is what it was over HTTP.
"""

from __future__ import annotations

import inspect
import io
import json
import uuid
from typing import Any

from botocore.exceptions import ClientError
from moto.awslambda.models import lambda_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

from imgfan.local.api_faults import function_name_of, invoke_fault
from imgfan.local.faults import FaultInjector

# Lambda's limit for a synchronous response; moto's HTTP handler enforces the same.
MAX_RESPONSE_BYTES = 6_000_000
_ORIGINAL_CLIENT_FOR = lambda_eval_utils.boto_client_for


class InProcessLambdaClient:
    def __init__(self, region: str, faults: FaultInjector):
        self.region = region
        self.faults = faults

    def invoke(self, FunctionName: str, Payload: bytes = b"", Qualifier: str | None = None,
               InvocationType: str = "RequestResponse", **_: Any) -> dict[str, Any]:
        fault = invoke_fault(self.faults, function_name_of(FunctionName))
        if fault is not None:
            raise fault.client_error("Invoke")
        parts = FunctionName.split(":")
        account = parts[4] if FunctionName.startswith("arn:") and len(parts) > 4 else DEFAULT_ACCOUNT_ID
        response_headers: dict[str, str] = {}
        try:
            payload = lambda_backends[account][self.region].invoke(
                FunctionName, Qualifier, Payload, {"x-amz-invocation-type": InvocationType}, response_headers)
        except JsonRESTError as exc:  # e.g. ResourceNotFoundException: what boto3 raises for moto's answer
            raise ClientError({"Error": {"Code": exc.error_type, "Message": exc.message},
                               "ResponseMetadata": {"HTTPStatusCode": exc.code, "RequestId": uuid.uuid4().hex}},
                              "Invoke") from None
        response: dict[str, Any] = {"StatusCode": 200}
        if len(payload) > MAX_RESPONSE_BYTES:
            response_headers["x-amz-function-error"] = "Unhandled"
            payload = json.dumps({"errorType": "Function.ResponseSizeTooLarge",
                                  "errorMessage": "Response payload size exceeded maximum allowed payload size"
                                                  " (6291556 bytes)."}).encode()
        if "x-amz-function-error" in response_headers:
            response["FunctionError"] = response_headers["x-amz-function-error"]
        response["Payload"] = io.BytesIO(payload)
        return response


def install(faults: FaultInjector) -> None:
    """Every Lambda task of the state machines in this process invokes through the in-process client."""
    assert_hooks_present()
    clients: dict[str, InProcessLambdaClient] = {}

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        if service != "lambda":
            return _ORIGINAL_CLIENT_FOR(region=region, service=service, state_credentials=state_credentials)
        if region not in clients:
            clients[region] = InProcessLambdaClient(region, faults)
        return clients[region]

    lambda_eval_utils.boto_client_for = boto_client_for


def assert_hooks_present() -> None:
    for function in (lambda_eval_utils._invoke_lambda_function, lambda_eval_utils.exec_lambda_function):
        source = inspect.getsource(function)
        if "boto_client_for(" not in source or ".invoke(**parameters)" not in source:
            raise RuntimeError(f"moto's {function.__name__} no longer gets its Lambda client from boto_client_for "
                               "and calls invoke(**parameters); the in-process Lambda client cannot hook in")
