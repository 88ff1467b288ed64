"""Least privilege, statement by statement: every role's exact actions and resources."""

from __future__ import annotations

import json

import pytest

from tests import synth_contexts

pytestmark = pytest.mark.synth

XRAY_WRITE = (("xray:PutTelemetryRecords", "xray:PutTraceSegments"), ("*",), "")


def _ids(cfn):
    return {
        "source": cfn.logical_id("SourceBucket", "AWS::S3::Bucket"),
        "output": cfn.logical_id("OutputBucket", "AWS::S3::Bucket"),
        "queue": cfn.logical_id("EventQueue", "AWS::SQS::Queue"),
        "state_machine": cfn.state_machine()[0],
        "delete_state_machine": cfn.state_machine("delete")[0],
        "parameter": cfn.one("AWS::SSM::Parameter")[0],
    }


def _function_statements(cfn, name):
    _logical_id, props = cfn.function(name)
    role = cfn.role_of(props)
    role_props = cfn.resources[role]["Properties"]
    assert "ManagedPolicyArns" not in role_props, f"{name}: managed policies grant more than it needs"
    assert "Policies" not in role_props
    log_group = cfn.flatten(props["LoggingConfig"]["LogGroup"]).strip("<>")
    return set(cfn.statements(role)), log_group


def _prefixes(cfn):
    return cfn.presets.get("source", {}).get("prefix", ""), cfn.presets.get("output", {}).get("prefix", "")


def _kms(cfn, actions):
    keys = list(cfn.of_type("AWS::KMS::Key"))
    return {((*actions,), (f"<{keys[0]}.Arn>",), "")} if keys else set()


@pytest.fixture(params=["standard", "hardened"])
def variant(request):
    return request.getfixturevalue(request.param)


def test_dispatcher_may_consume_its_queue_start_the_state_machine_and_read_presets(variant):
    ids = _ids(variant)
    statements, log_group = _function_statements(variant, "dispatcher")
    assert statements == {
        (("logs:CreateLogStream", "logs:PutLogEvents"), (f"<{log_group}.Arn>",), ""),
        XRAY_WRITE,
        (("states:StartExecution",), tuple(sorted((f"<{ids['delete_state_machine']}>", f"<{ids['state_machine']}>"))),
         ""),
        (("ssm:GetParameter",),
         (f"arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter<{ids['parameter']}>",), ""),
        (("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
          "sqs:ReceiveMessage"), (f"<{ids['queue']}.Arn>",), ""),
    }


def test_resizer_may_read_sources_and_write_variants_only(variant):
    ids = _ids(variant)
    source_prefix, output_prefix = _prefixes(variant)
    statements, log_group = _function_statements(variant, "resizer")
    assert statements == {
        (("logs:CreateLogStream", "logs:PutLogEvents"), (f"<{log_group}.Arn>",), ""),
        XRAY_WRITE,
        (("s3:GetObject", "s3:GetObjectVersion"), (f"<{ids['source']}.Arn>/{source_prefix}*",), ""),
        # A listing of the key tells a deleted source (permanent) from a denial.
        (("s3:ListBucket",), (f"<{ids['source']}.Arn>",),
         json.dumps({"StringLike": {"s3:prefix": [f"{source_prefix}*"]}}, sort_keys=True)),
        (("s3:PutObject",), (f"<{ids['output']}.Arn>/{output_prefix}*",), ""),
    } | _kms(variant, ("kms:Decrypt", "kms:GenerateDataKey"))


DEFAULT_BUS = ("arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default",)


def _listing(bucket_id, prefix):
    return (("s3:ListBucket",), (f"<{bucket_id}.Arn>",),
            json.dumps({"StringLike": {"s3:prefix": [f"{prefix}*"]}}, sort_keys=True))


def test_finalizer_may_check_its_source_and_manage_only_its_outputs_and_events(variant):
    ids = _ids(variant)
    source_prefix, output_prefix = _prefixes(variant)
    statements, log_group = _function_statements(variant, "finalizer")
    assert statements == {
        (("logs:CreateLogStream", "logs:PutLogEvents"), (f"<{log_group}.Arn>",), ""),
        XRAY_WRITE,
        # HEAD of the source: is it still the object this execution rendered?
        (("s3:GetObject",), (f"<{ids['source']}.Arn>/{source_prefix}*",), ""),
        _listing(ids["source"], source_prefix),
        # Read the manifest it replaces, write the new one, sweep old generations.
        (("s3:DeleteObject", "s3:GetObject", "s3:PutObject"), (f"<{ids['output']}.Arn>/{output_prefix}*",), ""),
        _listing(ids["output"], output_prefix),
        (("events:PutEvents",), DEFAULT_BUS, ""),
    } | _kms(variant, ("kms:Decrypt", "kms:GenerateDataKey"))


def test_cleaner_may_check_its_source_and_only_list_and_delete_under_the_output_prefix_and_tell(variant):
    ids = _ids(variant)
    source_prefix, output_prefix = _prefixes(variant)
    statements, log_group = _function_statements(variant, "cleaner")
    assert statements == {
        (("logs:CreateLogStream", "logs:PutLogEvents"), (f"<{log_group}.Arn>",), ""),
        XRAY_WRITE,
        # HEAD of the source: is the image really gone, or did only an old version go?
        (("s3:GetObject",), (f"<{ids['source']}.Arn>/{source_prefix}*",), ""),
        _listing(ids["source"], source_prefix),
        _listing(ids["output"], output_prefix),
        (("s3:DeleteObject",), (f"<{ids['output']}.Arn>/{output_prefix}*",), ""),
        (("events:PutEvents",), DEFAULT_BUS, ""),
    }


def test_only_the_resizer_reads_source_objects_and_the_finalizer_and_cleaner_only_check_them(standard):
    source = _ids(standard)["source"]
    statements, _ = _function_statements(standard, "dispatcher")
    assert not any(source in r for _, resources, _ in statements for r in resources)
    for name in ("finalizer", "cleaner"):
        statements, _ = _function_statements(standard, name)
        on_source = {actions for actions, resources, _ in statements if any(source in r for r in resources)}
        assert on_source == {("s3:GetObject",), ("s3:ListBucket",)}, name


def test_a_named_event_bus_is_the_only_one_the_functions_may_put_to(synth_cfn):
    cfn = synth_cfn(synth_contexts.EVENT_BUS)
    for name in ("finalizer", "cleaner"):
        statements, _ = _function_statements(cfn, name)
        puts = [resources for actions, resources, _ in statements if actions == ("events:PutEvents",)]
        assert puts == [("arn:aws:events:eu-west-1:111122223333:event-bus/apps",)]
        variables = cfn.function(name)[1]["Environment"]["Variables"]
        assert variables["EVENT_BUS_NAME"] == "arn:aws:events:eu-west-1:111122223333:event-bus/apps"


@pytest.mark.parametrize(("kind", "names"), [("render", ("resizer", "finalizer")), ("delete", ("cleaner",))])
def test_each_state_machine_may_invoke_only_its_own_functions(any_variant, kind, names):
    _, sm = any_variant.state_machine(kind)
    role = sm["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    functions = sorted(any_variant.function(n)[0] for n in names)
    invoke = sorted(r for actions, resources, _ in any_variant.statements(role)
                    if actions == ("lambda:InvokeFunction",) for r in resources)
    assert invoke == sorted([f"<{f}.Arn>" for f in functions] + [f"<{f}.Arn>:*" for f in functions])
    other = {actions for actions, _, _ in any_variant.statements(role)} - {("lambda:InvokeFunction",)}
    allowed_other = {
        ("xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"),
        # Express only: vended log delivery to CloudWatch Logs.
        ("logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups",
         "logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries",
         "logs:PutResourcePolicy", "logs:UpdateLogDelivery"),
    }
    assert other <= allowed_other


def _all_statements(cfn):
    for logical_id, policy in cfn.of_type("AWS::IAM::Policy").items():
        for st in policy["Properties"]["PolicyDocument"]["Statement"]:
            yield logical_id, st
    for logical_id, role in cfn.of_type("AWS::IAM::Role").items():
        for inline in role["Properties"].get("Policies", []):
            for st in inline["PolicyDocument"]["Statement"]:
                yield logical_id, st


def test_no_wildcard_actions_anywhere(any_variant):
    for logical_id, st in _all_statements(any_variant):
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        assert all("*" not in action for action in actions), (logical_id, actions)


def test_resource_star_only_for_actions_without_resource_level_permissions(any_variant):
    needs_star = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                  "xray:GetSamplingTargets", "logs:CreateLogDelivery", "logs:GetLogDelivery",
                  "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries",
                  "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
                  # CDK's bucket-notifications custom resource (configures the notification once).
                  "s3:PutBucketNotification"}
    for logical_id, st in _all_statements(any_variant):
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        if "*" in resources:
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            assert set(actions) <= needs_star, (logical_id, actions)
    project_roles = [any_variant.role_of(any_variant.function(n)[1])
                     for n in ("dispatcher", "resizer", "finalizer", "cleaner")]
    for role in project_roles:
        star = [actions for actions, resources, _ in any_variant.statements(role) if "*" in resources]
        assert star == [XRAY_WRITE[0]], role
