"""What IAM authorizes for a request on the wire: its actions, resources and condition keys.

One request can need several authorizations (DeleteObjects: ``s3:DeleteObject`` on each key in
its body; CopyObject: ``s3:PutObject`` on the target and ``s3:GetObject`` on the source), so a
request maps to a list of :class:`Call`. The tables follow the Service Authorization Reference,
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html (and
list_awsstepfunctions.html, list_awssystemsmanager.html, list_amazoneventbridge.html,
list_amazonsqs.html), and each S3 operation's "Permissions" section in the API reference.

An operation these tables do not know maps to ``service:Operation`` on ``*``: a role that scopes
that action to resources then shows up as denied, which is the conservative answer for an audit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree import ElementTree

PARTITION = "aws"


@dataclass(frozen=True)
class Call:
    """One authorization: ``action`` on ``resource`` with the request's condition keys."""

    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def describe(self) -> str:
        keys = "".join(f" ({name}={value!r})" for name, value in sorted(self.context.items()))
        return f"{self.action} on {self.resource}{keys}"


@dataclass(frozen=True)
class WireRequest:
    """The parts of a signed request that decide its authorization."""

    service: str  # the signing name of the credential scope: s3, states, ssm, events, sqs, ...
    method: str
    path: str  # percent-decoded
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    host: str = ""


def needs_body(method: str, query_string: str, headers: dict[str, str]) -> bool:
    """Whether the body names what is authorized (read only then: S3 uploads can be large)."""
    query = parse_qs(query_string, keep_blank_values=True)
    return "x-amz-target" in headers or (method == "POST" and "delete" in query)


def calls_of(request: WireRequest, account: str, region: str) -> list[Call]:
    if request.service == "s3":
        return s3_calls(request)
    target = request.headers.get("x-amz-target")
    if target:
        return json_calls(request.service, target.rpartition(".")[2], _json(request.body), account, region)
    invoked = re.match(r"^/2015-03-31/functions/([^/]+)/invocations$", request.path)
    if request.service == "lambda" and invoked:
        name = invoked.group(1)
        arn = name if name.startswith("arn:") else f"arn:{PARTITION}:lambda:{region}:{account}:function:{name}"
        return [Call("lambda:InvokeFunction", arn)]
    return [Call(f"{request.service}:{request.method} {request.path}", "*")]


# ---- S3 (REST) ---------------------------------------------------------------------------------

_OBJECT_ACTIONS = {"GET": "s3:GetObject", "HEAD": "s3:GetObject", "PUT": "s3:PutObject", "DELETE": "s3:DeleteObject"}
_VERSION_ACTIONS = {"s3:GetObject": "s3:GetObjectVersion", "s3:DeleteObject": "s3:DeleteObjectVersion"}
# Bucket sub-resources (query keys) and the action each method of them needs.
_BUCKET_SUBRESOURCES = {
    "versions": {"GET": "s3:ListBucketVersions"},
    "uploads": {"GET": "s3:ListBucketMultipartUploads"},
    "location": {"GET": "s3:GetBucketLocation"},
    "notification": {"GET": "s3:GetBucketNotification", "PUT": "s3:PutBucketNotification"},
    "policy": {"GET": "s3:GetBucketPolicy", "PUT": "s3:PutBucketPolicy", "DELETE": "s3:DeleteBucketPolicy"},
    "cors": {"GET": "s3:GetBucketCORS", "PUT": "s3:PutBucketCORS"},
}
_LISTING_ACTIONS = ("s3:ListBucket", "s3:ListBucketVersions")


def bucket_and_key(request: WireRequest) -> tuple[str, str]:
    """Path-style (``/bucket/key``, what botocore uses for an IP endpoint) or virtual-hosted."""
    host = request.host.split(":")[0]
    virtual = re.match(r"^(.+?)\.(s3[.-][^/]*amazonaws\.com|localhost)$", host)
    if virtual and not virtual.group(1).startswith("s3"):
        return virtual.group(1), request.path.lstrip("/")
    bucket, _, key = request.path.lstrip("/").partition("/")
    return bucket, key


def s3_calls(request: WireRequest) -> list[Call]:
    bucket, key = bucket_and_key(request)
    if not bucket:
        return [Call("s3:ListAllMyBuckets", "*")]
    if key:
        return _object_calls(request, f"arn:{PARTITION}:s3:::{bucket}/{key}", bucket)
    return _bucket_calls(request, f"arn:{PARTITION}:s3:::{bucket}")


def _object_calls(request: WireRequest, arn: str, bucket: str) -> list[Call]:
    query, method = request.query, request.method
    # Multipart uploads are authorized as s3:PutObject, but for abort and listing the parts.
    if "uploadId" in query or (method == "POST" and "uploads" in query):
        actions = {"DELETE": "s3:AbortMultipartUpload", "GET": "s3:ListMultipartUploadParts"}
        return [Call(actions.get(method, "s3:PutObject"), arn)]
    if query.keys() - {"versionId", "partNumber", "x-id"} or method not in _OBJECT_ACTIONS:
        subresource = ",".join(sorted(query)) or method
        return [Call(f"s3:{method} object?{subresource}", arn)]
    action = _OBJECT_ACTIONS[method]
    if "versionId" in query:
        action = _VERSION_ACTIONS.get(action, action)
    calls = [Call(action, arn)]
    if method == "PUT" and "x-amz-tagging" in request.headers:
        calls.append(Call("s3:PutObjectTagging", arn))
    copy_source = request.headers.get("x-amz-copy-source")
    if method == "PUT" and copy_source:
        # CopyObject reads the source: s3:GetObject on it (API_CopyObject.html, "Permissions").
        source, _, version = unquote(copy_source).lstrip("/").partition("?versionId=")
        calls.append(Call("s3:GetObjectVersion" if version else "s3:GetObject", f"arn:{PARTITION}:s3:::{source}"))
    return calls


def _bucket_calls(request: WireRequest, arn: str) -> list[Call]:
    query, method = request.query, request.method
    if method == "POST" and "delete" in query:
        return delete_objects_calls(arn, request.body)
    if method == "HEAD" and not query:
        # HeadBucket is authorized as s3:ListBucket, with no s3:prefix (API_HeadBucket.html).
        return [Call("s3:ListBucket", arn)]
    named = [name for name in query if name in _BUCKET_SUBRESOURCES]
    if named:
        action = _BUCKET_SUBRESOURCES[named[0]].get(method, f"s3:{method} bucket?{named[0]}")
    elif method == "GET" and query.keys() <= {"list-type", "prefix", "delimiter", "max-keys", "continuation-token",
                                              "start-after", "encoding-type", "fetch-owner", "marker"}:
        action = "s3:ListBucket"  # ListObjectsV2 (list-type=2) or ListObjects
    else:
        return [Call(f"s3:{method} bucket?{','.join(sorted(query))}", arn)]
    if action in _LISTING_ACTIONS:
        # s3:prefix is always in a listing's context, "" when the request names no prefix, so
        # that a StringLike "photos/*" condition refuses an unprefixed listing
        # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html).
        return [Call(action, arn, {"s3:prefix": query.get("prefix", [""])[0]})]
    return [Call(action, arn)]


def delete_objects_calls(bucket_arn: str, body: bytes) -> list[Call]:
    """DeleteObjects needs s3:DeleteObject on every key it names, s3:DeleteObjectVersion for a
    key with a VersionId (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html,
    "Permissions")."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return [Call("s3:DeleteObject", f"{bucket_arn}/?")]  # moto will refuse the request as well
    calls = []
    for entry in root.iter():
        if _local(entry.tag) != "Object":
            continue
        fields = {_local(child.tag): child.text or "" for child in entry}
        action = "s3:DeleteObjectVersion" if fields.get("VersionId") else "s3:DeleteObject"
        calls.append(Call(action, f"{bucket_arn}/{fields.get('Key', '')}"))
    return calls


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# ---- JSON protocols (X-Amz-Target) --------------------------------------------------------------


def json_calls(service: str, operation: str, body: dict[str, Any], account: str, region: str) -> list[Call]:
    action = f"{service}:{operation}"
    if service == "states":
        return [Call(action, body.get("stateMachineArn") or body.get("executionArn") or "*")]
    if service == "ssm" and operation in ("GetParameter", "GetParameters", "GetParametersByPath"):
        names = body.get("Names") or [body.get("Name") or body.get("Path") or ""]
        return [Call(action, _parameter_arn(name, account, region)) for name in names]
    if service == "events" and operation == "PutEvents":
        buses = dict.fromkeys(entry.get("EventBusName") or "default" for entry in body.get("Entries", []))
        return [Call(action, _bus_arn(bus, account, region)) for bus in buses or ["default"]]
    if service == "sqs" and body.get("QueueUrl"):
        return [Call(action, _queue_arn(body["QueueUrl"], region))]
    return [Call(action, "*")]


def _parameter_arn(name: str, account: str, region: str) -> str:
    if name.startswith("arn:"):
        return name
    # A hierarchical name's own slash joins it: parameter/imgfan/presets (list_awssystemsmanager.html).
    return f"arn:{PARTITION}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def _bus_arn(bus: str, account: str, region: str) -> str:
    return bus if bus.startswith("arn:") else f"arn:{PARTITION}:events:{region}:{account}:event-bus/{bus}"


def _queue_arn(url: str, region: str) -> str:
    account, _, name = urlsplit(url).path.strip("/").partition("/")
    return f"arn:{PARTITION}:sqs:{region}:{account}:{name}"


def _json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}
