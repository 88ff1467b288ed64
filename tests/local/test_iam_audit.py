"""The IAM audit on its own: requests as botocore puts them on the wire, mapped to IAM actions and
resources, and evaluated against the roles of the real synthesized template (with source and
output prefixes, so that the ``s3:prefix`` conditions have something to refuse)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from werkzeug.test import EnvironBuilder

from imgfan.local.iam_audit import (
    Denial,
    IamAudit,
    PolicyNotUnderstood,
    conditions_hold,
    is_allowed,
    wire_request,
)
from imgfan.local.iam_calls import Call, calls_of
from tests import synth_contexts

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, REGION = "123456789012", "us-east-1"
SOURCE, OUTPUT = "imgfan-source", "imgfan-output"
STATE_MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Imgfan"
PARAMETER = "/imgfan/presets"
QUEUE = "imgfan-events"


# ---- requests as the SDK sends them ------------------------------------------------------------


class Captured(Exception):
    def __init__(self, request):
        self.request = request


def environ_of(service: str, operation: str, **params) -> dict:
    """The WSGI environ moto's server would get for this boto3 call (signed with a sandbox-like key)."""
    client = boto3.client(service, endpoint_url="http://127.0.0.1:4566", region_name=REGION,
                          aws_access_key_id="ASIA0000000000000000", aws_secret_access_key="local",
                          aws_session_token="local", config=Config(retries={"total_max_attempts": 1}))

    def capture(request, **kwargs):
        raise Captured(request)

    client.meta.events.register("before-send", capture)
    with pytest.raises(Captured) as sent:
        getattr(client, operation)(**params)
    request = sent.value.request
    url = urlsplit(request.url)
    body = request.body if isinstance(request.body, bytes) else (request.body or b"")
    headers = {name: value.decode() if isinstance(value, bytes) else value for name, value in request.headers.items()}
    environ = EnvironBuilder(method=request.method, path=url.path, query_string=url.query,
                             base_url="http://127.0.0.1:4566", headers=headers, data=body).get_environ()
    environ["RAW_URI"] = url.path + (f"?{url.query}" if url.query else "")  # as werkzeug's server sets it
    return environ


def calls(service: str, operation: str, **params) -> list[Call]:
    environ = environ_of(service, operation, **params)
    return calls_of(wire_request(environ, "s3" if service == "s3" else _signing_name(service)), ACCOUNT, REGION)


def _signing_name(service: str) -> str:
    return {"stepfunctions": "states"}.get(service, service)


def test_object_reads_writes_and_deletes_map_to_their_actions_on_the_object_arn():
    key = "uploads/a b/été.jpg"
    arn = f"arn:aws:s3:::{SOURCE}/{key}"
    assert calls("s3", "get_object", Bucket=SOURCE, Key=key) == [Call("s3:GetObject", arn)]
    assert calls("s3", "head_object", Bucket=SOURCE, Key=key) == [Call("s3:GetObject", arn)]
    assert calls("s3", "get_object", Bucket=SOURCE, Key=key, VersionId="v1") == [Call("s3:GetObjectVersion", arn)]
    assert calls("s3", "head_object", Bucket=SOURCE, Key=key, VersionId="v1") == [Call("s3:GetObjectVersion", arn)]
    assert calls("s3", "put_object", Bucket=SOURCE, Key=key, Body=b"x") == [Call("s3:PutObject", arn)]
    assert calls("s3", "delete_object", Bucket=SOURCE, Key=key) == [Call("s3:DeleteObject", arn)]


def test_copy_object_also_reads_its_source():
    copied = calls("s3", "copy_object", Bucket=OUTPUT, Key="variants/b", CopySource={"Bucket": SOURCE, "Key": "uploads/a"})
    assert copied == [Call("s3:PutObject", f"arn:aws:s3:::{OUTPUT}/variants/b"),
                      Call("s3:GetObject", f"arn:aws:s3:::{SOURCE}/uploads/a")]


def test_delete_objects_needs_delete_object_on_each_key_of_its_body():
    found = calls("s3", "delete_objects", Bucket=OUTPUT,
                  Delete={"Objects": [{"Key": "variants/a/1.webp"}, {"Key": "other/2.webp"},
                                      {"Key": "variants/a/3.webp", "VersionId": "v3"}], "Quiet": True})
    assert found == [Call("s3:DeleteObject", f"arn:aws:s3:::{OUTPUT}/variants/a/1.webp"),
                     Call("s3:DeleteObject", f"arn:aws:s3:::{OUTPUT}/other/2.webp"),
                     Call("s3:DeleteObjectVersion", f"arn:aws:s3:::{OUTPUT}/variants/a/3.webp")]


def test_listings_are_authorized_on_the_bucket_with_the_prefix_as_s3_prefix():
    listed = calls("s3", "list_objects_v2", Bucket=OUTPUT, Prefix="variants/a.jpg/")
    assert listed == [Call("s3:ListBucket", f"arn:aws:s3:::{OUTPUT}")]
    assert listed[0].context == {"s3:prefix": "variants/a.jpg/"}
    assert calls("s3", "list_objects_v2", Bucket=OUTPUT)[0].context == {"s3:prefix": ""}
    versions = calls("s3", "list_object_versions", Bucket=OUTPUT, Prefix="variants/")
    assert [(c.action, c.resource, c.context) for c in versions] == [
        ("s3:ListBucketVersions", f"arn:aws:s3:::{OUTPUT}", {"s3:prefix": "variants/"})]
    assert calls("s3", "head_bucket", Bucket=OUTPUT)[0].context == {}


def test_json_protocols_name_their_resource_in_the_body():
    assert calls("stepfunctions", "start_execution", stateMachineArn=STATE_MACHINE, input="{}") == [
        Call("states:StartExecution", STATE_MACHINE)]
    assert calls("ssm", "get_parameter", Name=PARAMETER) == [
        Call("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{PARAMETER}")]
    entries = [{"Source": "imgfan", "DetailType": "x", "Detail": "{}"},
               {"Source": "imgfan", "DetailType": "x", "Detail": "{}", "EventBusName": "apps"}]
    assert calls("events", "put_events", Entries=entries) == [
        Call("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"),
        Call("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/apps")]
    url = f"http://127.0.0.1:4566/{ACCOUNT}/{QUEUE}"
    assert calls("sqs", "delete_message", QueueUrl=url, ReceiptHandle="r") == [
        Call("sqs:DeleteMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE}")]


def test_the_body_moto_reads_is_the_body_the_audit_read():
    environ = environ_of("s3", "delete_objects", Bucket=OUTPUT, Delete={"Objects": [{"Key": "variants/a"}]})
    sent = environ["wsgi.input"].read()
    environ = environ_of("s3", "delete_objects", Bucket=OUTPUT, Delete={"Objects": [{"Key": "variants/a"}]})
    wire_request(environ, "s3")
    assert environ["wsgi.input"].read() == sent


# ---- the synthesized roles ------------------------------------------------------------------------


def _resolve(value, resources):
    """CloudFormation's intrinsics as deployed into ACCOUNT/REGION with the physical names above."""
    if isinstance(value, list):
        return [_resolve(item, resources) for item in value]
    if not isinstance(value, dict):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_resolve(part, resources) for part in parts)
    if "Ref" in value or "Fn::GetAtt" in value:
        return _physical(value.get("Ref") or value["Fn::GetAtt"][0], resources)
    return {name: _resolve(item, resources) for name, item in value.items()}


def _physical(logical_id: str, resources) -> str:
    pseudo = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}
    if logical_id in pseudo:
        return pseudo[logical_id]
    kind = resources[logical_id]["Type"]
    if kind == "AWS::S3::Bucket":
        return f"arn:aws:s3:::{SOURCE if logical_id.startswith('Source') else OUTPUT}"
    names = {"AWS::StepFunctions::StateMachine": STATE_MACHINE, "AWS::SSM::Parameter": PARAMETER,
             "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{logical_id}",
             "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{logical_id}:*"}
    return names.get(kind, f"arn:aws:unknown:::{logical_id}")


@pytest.fixture(scope="module")
def roles() -> dict[str, list[dict]]:
    """Per function (imgfan-<name>): its role's policy documents, resolved."""
    from imgfan.synth import synthesize, template_path

    resources = json.loads(template_path(synthesize(synth_contexts.PREFIXED, quiet=True)).read_text())["Resources"]
    documents: dict[str, list[dict]] = {}
    for props in (r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::Function"):
        service = props.get("Environment", {}).get("Variables", {}).get("POWERTOOLS_SERVICE_NAME")
        role = props["Role"]["Fn::GetAtt"][0]
        documents[service] = [_resolve(policy["Properties"]["PolicyDocument"], resources)
                              for policy in resources.values() if policy["Type"] == "AWS::IAM::Policy"
                              and {"Ref": role} in policy["Properties"]["Roles"]]
    return documents


def allowed(roles, function: str, found: list[Call]) -> list[bool]:
    return [is_allowed(roles[f"imgfan-{function}"], call) for call in found]


@pytest.mark.synth
def test_the_resizer_reads_sources_under_the_prefix_only(roles):
    assert allowed(roles, "resizer", calls("s3", "get_object", Bucket=SOURCE, Key="uploads/a.jpg")) == [True]
    version = calls("s3", "get_object", Bucket=SOURCE, Key="uploads/a.jpg", VersionId="1")
    assert allowed(roles, "resizer", version) == [True]
    assert allowed(roles, "resizer", calls("s3", "get_object", Bucket=SOURCE, Key="private/a.jpg")) == [False]
    assert allowed(roles, "resizer", calls("s3", "get_object", Bucket=OUTPUT, Key="variants/a.jpg/x.webp")) == [False]
    assert allowed(roles, "resizer", calls("s3", "put_object", Bucket=OUTPUT, Key="variants/a.jpg/x.webp")) == [True]
    assert allowed(roles, "resizer", calls("s3", "put_object", Bucket=SOURCE, Key="uploads/a.jpg")) == [False]


@pytest.mark.synth
def test_listing_is_allowed_only_for_prefixes_the_s3_prefix_condition_names(roles):
    assert allowed(roles, "resizer", calls("s3", "list_objects_v2", Bucket=SOURCE, Prefix="uploads/a.jpg")) == [True]
    assert allowed(roles, "resizer", calls("s3", "list_objects_v2", Bucket=SOURCE, Prefix="private/")) == [False]
    assert allowed(roles, "resizer", calls("s3", "list_objects_v2", Bucket=SOURCE)) == [False]
    assert allowed(roles, "resizer", calls("s3", "head_bucket", Bucket=SOURCE)) == [False]
    # The finalizer's two listing statements have different prefixes; neither vetoes the other.
    assert allowed(roles, "finalizer", calls("s3", "list_objects_v2", Bucket=OUTPUT, Prefix="variants/a/")) == [True]
    assert allowed(roles, "finalizer", calls("s3", "list_objects_v2", Bucket=SOURCE, Prefix="uploads/a")) == [True]
    assert allowed(roles, "finalizer", calls("s3", "list_objects_v2", Bucket=OUTPUT, Prefix="uploads/a")) == [False]


@pytest.mark.synth
def test_delete_objects_is_judged_key_by_key(roles):
    found = calls("s3", "delete_objects", Bucket=OUTPUT,
                  Delete={"Objects": [{"Key": "variants/a/1.webp"}, {"Key": "elsewhere/2.webp"}]})
    assert allowed(roles, "cleaner", found) == [True, False]
    assert allowed(roles, "resizer", found) == [False, False]


@pytest.mark.synth
def test_the_dispatcher_starts_its_state_machine_and_reads_its_parameter_only(roles):
    start = calls("stepfunctions", "start_execution", stateMachineArn=STATE_MACHINE, input="{}")
    other = calls("stepfunctions", "start_execution", stateMachineArn=STATE_MACHINE + "-other", input="{}")
    assert allowed(roles, "dispatcher", start + other) == [True, False]
    assert allowed(roles, "dispatcher", calls("ssm", "get_parameter", Name=PARAMETER)) == [True]
    assert allowed(roles, "dispatcher", calls("ssm", "get_parameter", Name="/other")) == [False]
    assert allowed(roles, "finalizer", start) == [False]
    events = calls("events", "put_events", Entries=[{"Source": "imgfan", "DetailType": "x", "Detail": "{}"}])
    assert allowed(roles, "finalizer", events) == [True]
    assert allowed(roles, "dispatcher", events) == [False]


# ---- the evaluator ---------------------------------------------------------------------------------


def test_string_like_wildcards_and_a_missing_key():
    condition = {"StringLike": {"s3:prefix": ["a/*", "b?"]}}
    assert conditions_hold(condition, {"s3:prefix": "a/x/y"})
    assert conditions_hold(condition, {"S3:Prefix": "bc"})
    assert not conditions_hold(condition, {"s3:prefix": "bcd"})
    assert not conditions_hold(condition, {"s3:prefix": "a.x"}), "only * and ? are wildcards"
    assert not conditions_hold(condition, {})
    with pytest.raises(PolicyNotUnderstood, match="NumericLessThan"):
        conditions_hold({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "5"})


def test_an_explicit_deny_wins_and_an_unmatched_allow_is_an_implicit_deny():
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    deny = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret/*"}
    documents = [{"Statement": [read]}, {"Statement": deny}]
    assert is_allowed(documents, Call("s3:GetObject", "arn:aws:s3:::b/public/k"))
    assert not is_allowed(documents, Call("s3:GetObject", "arn:aws:s3:::b/secret/k"))
    assert not is_allowed(documents, Call("s3:PutObject", "arn:aws:s3:::b/public/k"))


def test_a_denial_names_function_action_and_resource(monkeypatch):
    from imgfan.local import iam_audit

    policy = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/in/*"}]}
    monkeypatch.setattr(iam_audit, "role_documents", lambda function, account, region: [policy])
    audit = IamAudit(ACCOUNT, REGION)
    assert audit.check(environ_of("s3", "get_object", Bucket="b", Key="in/k"), "Imgfan-Fn", "s3") is None
    assert audit.check(environ_of("s3", "get_object", Bucket="b", Key="out/k"), "Imgfan-Fn", "s3") is None
    assert audit.since(0) == (1, [Denial("Imgfan-Fn", "s3:GetObject", "arn:aws:s3:::b/out/k")])
    assert "Imgfan-Fn may not s3:GetObject on arn:aws:s3:::b/out/k" in audit.since(0)[1][0].describe()
    audit.enforce = True
    assert audit.check(environ_of("s3", "get_object", Bucket="b", Key="out/k"), "Imgfan-Fn", "s3").status == 403
    total, newer = audit.since(1)
    assert total == 2 and [d.resource for d in newer] == ["arn:aws:s3:::b/out/k"]


def test_a_request_the_audit_cannot_map_is_a_denial_not_a_failed_call(monkeypatch):
    from imgfan.local import iam_audit

    monkeypatch.setattr(iam_audit, "role_documents", lambda function, account, region: [])
    environ = environ_of("s3", "delete_objects", Bucket=OUTPUT, Delete={"Objects": [{"Key": "variants/a"}]})
    environ["CONTENT_LENGTH"] = "not a number"
    audit = IamAudit(ACCOUNT, REGION)
    assert audit.check(environ, "Imgfan-Fn", "s3") is None
    [denial] = audit.since(0)[1]
    assert denial.action == "s3:?" and "ValueError" in dict(denial.context)["audit-error"]
