"""AWS security rules on the synthesized template: cdk-nag, cfn-lint, encryption, TLS, public access."""

from __future__ import annotations

import csv
import json

import pytest

pytestmark = pytest.mark.synth


def test_cdk_nag_reports_no_unsuppressed_errors(any_variant):
    reports = list(any_variant.assembly.glob("AwsSolutions-*NagReport.csv"))
    assert reports, "cdk-nag did not run (context nag=true should add AwsSolutionsChecks)"
    rows = list(csv.DictReader(reports[0].open()))
    assert rows, "empty cdk-nag report"
    failing = [f"{r['Rule ID']} {r['Resource ID']}" for r in rows
               if r["Compliance"] == "Non-Compliant" and r["Rule Level"] == "Error"]
    assert failing == []
    errors = [entry for entries in json.loads((any_variant.assembly / "Imgfan.metadata.json").read_text()).values()
              for entry in entries if entry["type"] == "aws:cdk:error"]
    assert errors == []


def test_every_nag_suppression_carries_a_reason(any_variant):
    suppressed = 0
    for resource in any_variant.resources.values():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            suppressed += 1
            assert len(rule["reason"].split()) >= 8, f"{rule['id']}: reason too thin: {rule['reason']!r}"
    assert suppressed > 0


def test_cfn_lint_finds_no_errors(any_variant):
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(any_variant.path, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    errors = [f"{m.rule.id} {m.message}" for m in matches if m.rule.id.startswith("E")]
    assert errors == []


def _buckets(cfn):
    return cfn.of_type("AWS::S3::Bucket")


def test_buckets_block_public_access_and_are_encrypted(any_variant):
    buckets = _buckets(any_variant)
    assert len(buckets) == 3  # source, output, access logs
    for logical_id, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True}, logical_id
        rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
        assert rule["SSEAlgorithm"] in ("AES256", "aws:kms"), logical_id
        assert props.get("OwnershipControls", {}).get("Rules") == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_buckets_enforce_tls(any_variant):
    policies = {json.dumps(p["Properties"]["Bucket"]): p["Properties"]["PolicyDocument"]["Statement"]
                for p in any_variant.of_type("AWS::S3::BucketPolicy").values()}
    for logical_id in _buckets(any_variant):
        statements = policies[json.dumps({"Ref": logical_id})]
        assert any(st["Effect"] == "Deny" and st["Action"] == "s3:*"
                   and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for st in statements), logical_id


def test_data_buckets_log_access_to_the_logs_bucket(standard):
    logs_bucket = standard.logical_id("AccessLogsBucket", "AWS::S3::Bucket")
    for name in ("SourceBucket", "OutputBucket"):
        props = standard.resources[standard.logical_id(name, "AWS::S3::Bucket")]["Properties"]
        assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_bucket}
    # The logs bucket does not log itself (that would loop); it expires old logs instead.
    logs_props = standard.resources[logs_bucket]["Properties"]
    assert "LoggingConfiguration" not in logs_props
    assert logs_props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 90


def test_default_encryption_is_s3_managed_and_kms_by_context(standard, hardened):
    for name in ("SourceBucket", "OutputBucket"):
        default = standard.resources[standard.logical_id(name, "AWS::S3::Bucket")]["Properties"]
        assert default["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
        kms = hardened.resources[hardened.logical_id(name, "AWS::S3::Bucket")]["Properties"]
        rule = kms["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        key_id, key = hardened.one("AWS::KMS::Key")
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert key["Properties"]["EnableKeyRotation"] is True
    assert standard.of_type("AWS::KMS::Key") == {}


def test_data_buckets_are_retained_by_default(standard):
    for name in ("SourceBucket", "OutputBucket"):
        bucket = standard.resources[standard.logical_id(name, "AWS::S3::Bucket")]
        assert bucket["DeletionPolicy"] == "Retain"


def test_queues_are_encrypted_tls_only_with_a_dlq(any_variant):
    queues = any_variant.of_type("AWS::SQS::Queue")
    assert len(queues) == 2
    for props in (q["Properties"] for q in queues.values()):
        assert props["SqsManagedSseEnabled"] is True
    secured = set()
    for policy in any_variant.of_type("AWS::SQS::QueuePolicy").values():
        for st in policy["Properties"]["PolicyDocument"]["Statement"]:
            if st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}:
                secured.update(json.dumps(q) for q in policy["Properties"]["Queues"])
    assert secured == {json.dumps({"Ref": q}) for q in queues}

    dlq_id = any_variant.logical_id("DeadLetterQueue", "AWS::SQS::Queue")
    queue = any_variant.resources[any_variant.logical_id("EventQueue", "AWS::SQS::Queue")]["Properties"]
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]}, "maxReceiveCount": 5}
    assert any_variant.resources[dlq_id]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_queue_visibility_is_at_least_six_dispatcher_timeouts(standard, hardened):
    for cfn in (standard, hardened):
        queue = cfn.resources[cfn.logical_id("EventQueue", "AWS::SQS::Queue")]["Properties"]
        _, dispatcher = cfn.function("dispatcher")
        assert queue["VisibilityTimeout"] >= 6 * dispatcher["Timeout"]
    assert hardened.function("dispatcher")[1]["Timeout"] == 20


def test_alarm_topic_enforces_tls(hardened):
    _, _topic = hardened.one("AWS::SNS::Topic")
    policies = hardened.of_type("AWS::SNS::TopicPolicy")
    assert any(st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for p in policies.values() for st in p["Properties"]["PolicyDocument"]["Statement"])
