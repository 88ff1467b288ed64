"""API faults at the HTTP door of the embedded cloud, in front of moto's WSGI application.

Injected before moto sees the request, so that a fault looks to the caller exactly as the AWS
error does on the wire (``api_faults``): S3 errors for requests that functions make, throttled
StartExecution, throttled or failed Lambda Invoke. A function is recognised by the access key it
signs with (each sandbox has its own, see ``lambda_runtime``). One fault is made after moto has
answered: ``missing-key-403`` turns its 404 for a missing key into S3's 403 AccessDenied.

``GET /_imgfan/faults`` answers the live plan, what was injected, and what the sandboxes and the
event source did (cold starts, dead workers replaced, batches, item failures, ...);
``POST /_imgfan/faults`` with ``{"faults": "kill=0.1"}`` replaces the plan while running.

With an ``audit`` (``iam_audit``), every function-signed request is first checked against the
function's role; denials are recorded (``denied`` in the control answer), and answered 403 only
if the audit enforces.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from imgfan.local.api_faults import (
    S3_ACCESS_DENIED,
    Response,
    function_name_of,
    invoke_fault,
    s3_fault,
    says_key_missing,
    start_execution_fault,
)
from imgfan.local.faults import FaultInjector, FaultPlan
from imgfan.local.iam_audit import IamAudit
from imgfan.local.tally import Tally

CONTROL_PATH = "/_imgfan/faults"
_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/aws4_request")


def invoked_function(environ: dict[str, Any]) -> str | None:
    """The function name of a Lambda Invoke request, else None."""
    match = _INVOKE_PATH.match(environ.get("PATH_INFO", ""))
    if match is None or environ.get("REQUEST_METHOD") != "POST":
        return None
    return function_name_of(unquote(match.group(1)))


def signer(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(access key, service) of a SigV4-signed request."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return (match.group(1), match.group(2)) if match else None


def _json(status: str, document: Any) -> Response:
    return status, [("Content-Type", "application/json")], json.dumps(document).encode()


class FaultMiddleware:
    def __init__(self, app: Callable, faults: FaultInjector, function_for_access_key: Callable[[str], str | None],
                 counts: Callable[[], dict[str, dict[str, int]]], audit: IamAudit | None = None):
        self.app = app
        self.audit = audit
        self.faults = faults
        self.function_for_access_key = function_for_access_key
        self.counts = counts
        # AWS requests the functions make, per "function service operation" (e.g. "...-Resizer-... s3 GET",
        # "...-Dispatcher-... ssm GetParameter"): each is a billed request on AWS, or a quota's unit.
        self.requests = Tally()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == CONTROL_PATH:
            response = self._control(environ)
        else:
            caller = self._count(environ)
            fault = self.audit.check(environ, *caller) if self.audit and caller else None
            fault = fault or self._fault_for(environ, caller)
            if fault is None and self._may_deny_missing_keys(environ, caller):
                return self._moto_or_denied(environ, start_response, caller[0])
            if fault is None:
                return self.app(environ, start_response)
            _drain(environ)
            response = fault.http()
        status, headers, body = response
        start_response(status, [*headers, ("Content-Length", str(len(body))), ("Connection", "close")])
        return [body]

    def _fault_for(self, environ: dict[str, Any], caller: tuple[str, str] | None):
        if environ.get("HTTP_X_AMZ_TARGET") == "AWSStepFunctions.StartExecution":
            return start_execution_fault(self.faults)
        function = invoked_function(environ)
        if function is not None:
            return invoke_fault(self.faults, function)
        if caller is not None and caller[1] == "s3":
            return s3_fault(self.faults, caller[0])
        return None

    def _may_deny_missing_keys(self, environ: dict[str, Any], caller: tuple[str, str] | None) -> bool:
        plan = self.faults.plan
        return (caller is not None and caller[1] == "s3" and environ.get("REQUEST_METHOD") in ("GET", "HEAD")
                and plan.missing_key_403 > 0 and plan.applies_to(caller[0]))

    def _moto_or_denied(self, environ: dict[str, Any], start_response: Callable,
                        function: str) -> Iterable[bytes]:
        """moto's answer; but if it says the key does not exist, S3's 403 AccessDenied instead,
        rolled only for such answers so that the switch's n-th decision is its n-th missing key."""
        status, headers, body = _answer_of(self.app, environ)
        method = environ["REQUEST_METHOD"]
        if says_key_missing(method, environ.get("QUERY_STRING", ""), status, body) \
                and self.faults.roll("missing-key-403", function):
            status, headers, body = S3_ACCESS_DENIED.http()
            # A HEAD's answer never has a body: the SDK reads the error from the status ("403").
            body = b"" if method == "HEAD" else body
            headers = [*headers, ("Content-Length", str(len(body)))]
        start_response(status, headers)
        return [body]

    def _count(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """(function, service) of a request a function signed, counted; None for other callers."""
        signed = signer(environ)
        function = self.function_for_access_key(signed[0]) if signed else None
        if function is None:
            return None
        # JSON protocols name the operation in X-Amz-Target; for S3 the method says enough.
        operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2] or environ.get("REQUEST_METHOD")
        self.requests.add(f"{function} {signed[1]} {operation}")
        return function, signed[1]

    def _control(self, environ: dict[str, Any]) -> Response:
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                request = json.loads(_drain(environ) or b"{}")
                self.faults.set_plan(FaultPlan.parse(request["faults"]))
            except (ValueError, KeyError, TypeError) as exc:  # FaultSpecError is a ValueError
                return _json("400 Bad Request", {"message": f'expected {{"faults": "name=value,..."}}: {exc}'})
        denied = self.audit.snapshot() if self.audit else []
        return _json("200 OK", {**self.faults.describe(), **self.counts(), "requests": self.requests.snapshot(),
                                "denied": denied})


def _answer_of(app: Callable, environ: dict[str, Any]) -> Response:
    """Run the WSGI ``app`` to the end and keep its whole answer, to look at before sending it."""
    answer: dict[str, Any] = {}
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
        answer.update(status=status, headers=headers)
        return written.append

    chunks = app(environ, start_response)
    try:
        rest = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return answer["status"], answer["headers"], b"".join(written) + rest


def _drain(environ: dict[str, Any]) -> bytes:
    """Read the request body we answer without moto, so the connection's next request starts clean."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        return stream.read(int(length))
    return stream.read() if environ.get("wsgi.input_terminated") else b""
