"""The AWS API errors that fault injection answers with, and which request gets one.

Each error is what the service sends on the wire, so callers see exactly the exception they
would get from AWS: ``ThrottlingException`` from StartExecution, ``TooManyRequestsException``
and ``ServiceException`` from Lambda Invoke, ``SlowDown`` and ``InternalError`` from S3.
``fault_middleware`` answers them over HTTP; ``moto.stepfunctions_lambda`` raises them in-process.
S3's ``AccessDenied`` replaces moto's ``NoSuchKey`` for a missing key (``missing-key-403``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from http import HTTPStatus

from botocore.exceptions import ClientError

from imgfan.local.faults import FaultInjector

Response = tuple[str, list[tuple[str, str]], bytes]


@dataclass(frozen=True)
class ApiFault:
    status: int
    code: str
    message: str
    protocol: str  # "json" (Step Functions), "rest-json" (Lambda) or "rest-xml" (S3)

    def http(self) -> Response:
        status = f"{self.status} {HTTPStatus(self.status).phrase}"
        request_id = uuid.uuid4().hex
        if self.protocol == "rest-xml":
            body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{self.code}</Code>'
                    f"<Message>{self.message}</Message><RequestId>{request_id}</RequestId></Error>")
            return status, [("Content-Type", "application/xml")], body.encode()
        if self.protocol == "json":
            document = {"__type": self.code, "message": self.message}
            return status, [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", request_id)], \
                json.dumps(document).encode()
        headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id),
                   ("x-amzn-ErrorType", self.code)]
        return status, headers, json.dumps({"Type": "User" if self.status < 500 else "Service",
                                            "message": self.message}).encode()

    def client_error(self, operation: str) -> ClientError:
        """The exception boto3 raises for this response."""
        return ClientError({"Error": {"Code": self.code, "Message": self.message},
                            "ResponseMetadata": {"HTTPStatusCode": self.status, "RequestId": uuid.uuid4().hex}},
                           operation)


# "(injected)" so that nobody reading a log or a manifest takes them for a real outage.
THROTTLED_START = ApiFault(400, "ThrottlingException", "Rate exceeded (injected)", "json")
THROTTLED_INVOKE = ApiFault(429, "TooManyRequestsException", "Rate Exceeded. (injected)", "rest-json")
FAILED_INVOKE = ApiFault(500, "ServiceException", "Internal error (injected)", "rest-json")
S3_SLOW_DOWN = ApiFault(503, "SlowDown", "Please reduce your request rate. (injected)", "rest-xml")
S3_INTERNAL_ERROR = ApiFault(500, "InternalError", "We encountered an internal error. Please try again. (injected)",
                             "rest-xml")
# What S3 answers a GET or HEAD of a missing key when the caller lacks s3:ListBucket
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions").
S3_ACCESS_DENIED = ApiFault(403, "AccessDenied", "Access Denied (injected)", "rest-xml")


def start_execution_fault(faults: FaultInjector) -> ApiFault | None:
    return THROTTLED_START if faults.roll("throttle-start") else None


def invoke_fault(faults: FaultInjector, function_name: str) -> ApiFault | None:
    if faults.roll("throttle-lambda", function_name):
        return THROTTLED_INVOKE
    return FAILED_INVOKE if faults.roll("lambda-error", function_name) else None


def s3_fault(faults: FaultInjector, function_name: str) -> ApiFault | None:
    if not faults.roll("s3-error", function_name):
        return None
    return S3_SLOW_DOWN if faults.uniform("s3-error", 0, 1) < 0.5 else S3_INTERNAL_ERROR


def says_key_missing(method: str, query: str, status: str, body: bytes) -> bool:
    """Whether moto's answer to an S3 GET or HEAD is that the key does not exist.

    A GET's 404 names its error (not NoSuchBucket or NoSuchVersion, which are not about the key);
    a HEAD's has no body, so only one that names no version counts.
    """
    if not status.startswith("404"):
        return False
    if method == "HEAD":
        return "versionId=" not in query
    return method == "GET" and b"<Code>NoSuchKey</Code>" in body


def function_name_of(reference: str) -> str:
    """NAME from NAME, NAME:qualifier, or arn:aws:lambda:region:account:function:NAME[:qualifier]."""
    parts = reference.split(":")
    return parts[6] if reference.startswith("arn:") and len(parts) > 6 else parts[0]
