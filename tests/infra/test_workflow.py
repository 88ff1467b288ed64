"""State machine, notifications, alarms and outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests import synth_contexts

pytestmark = pytest.mark.synth

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_FILE = REPO_ROOT / "statemachine" / "imgfan.asl.json"
DELETE_ASL_FILE = REPO_ROOT / "statemachine" / "delete.asl.json"


def _substitute(text: str, values: dict[str, str]) -> str:
    missing = set(re.findall(r"\$\{(\w+)\}", text)) - set(values)
    assert not missing, f"no substitution for {missing}"
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text)


def _definition_asset(cfn, location: dict) -> str:
    """The file that DefinitionS3Location names, as cdk deploy uploads it (found by object key)."""
    manifest = json.loads((cfn.assembly / "Imgfan.assets.json").read_text())
    sources = [asset["source"] for asset in manifest["files"].values()
               if any(d["objectKey"] == location["Key"] for d in asset["destinations"].values())]
    assert len(sources) == 1, f"expected one asset with object key {location['Key']}, found {sources}"
    assert sources[0].get("packaging", "file") == "file"
    return (cfn.assembly / sources[0]["path"]).read_text(encoding="utf-8")


def test_definition_is_the_asl_file_after_substitution(any_variant):
    presets = any_variant.presets
    _, sm = any_variant.state_machine()
    props = sm["Properties"]
    assert "DefinitionString" not in props, "DefinitionBody.from_file ships the ASL as an S3 asset"
    location = props["DefinitionS3Location"]
    assert location["Bucket"] == {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}
    definition = _definition_asset(any_variant, location)
    assert definition == ASL_FILE.read_text(encoding="utf-8"), "the asset is the ASL file byte for byte"
    substitutions = props["DefinitionSubstitutions"]
    # Each function ARN placeholder points at the right function; tokens become readable markers.
    for placeholder, name in (("ResizerFunctionArn", "resizer"), ("FinalizerFunctionArn", "finalizer")):
        assert substitutions[placeholder] == {"Fn::GetAtt": [any_variant.function(name)[0], "Arn"]}
    assert substitutions["MaxConcurrency"] == str(presets["max_concurrency"])
    markers = {k: f"arn:aws:lambda:region:account:function:{k}" for k in ("ResizerFunctionArn", "FinalizerFunctionArn")}
    markers |= {k: v for k, v in substitutions.items() if isinstance(v, str)}
    # What runs is checked against the embedded cloud in tests/cloud/test_deployed_definition.py.
    deployed = json.loads(_substitute(definition, markers))
    assert deployed["States"]["RenderVariants"]["MaxConcurrency"] == presets["max_concurrency"]
    assert deployed["StartAt"] == "Analyze", "a render pays for no Choice state before its work"
    assert "CleanerFunctionArn" not in substitutions  # the render machine never deletes


def test_deletes_run_in_a_state_machine_of_their_own(any_variant):
    _, sm = any_variant.state_machine("delete")
    props = sm["Properties"]
    assert _definition_asset(any_variant, props["DefinitionS3Location"]) == DELETE_ASL_FILE.read_text(encoding="utf-8")
    substitutions = props["DefinitionSubstitutions"]
    assert substitutions["CleanerFunctionArn"] == {"Fn::GetAtt": [any_variant.function("cleaner")[0], "Arn"]}
    assert not {"ResizerFunctionArn", "FinalizerFunctionArn"} & set(substitutions)
    markers = {"CleanerFunctionArn": "arn:aws:lambda:region:account:function:cleaner"}
    markers |= {k: v for k, v in substitutions.items() if isinstance(v, str)}
    deployed = json.loads(_substitute(DELETE_ASL_FILE.read_text(encoding="utf-8"), markers))
    # One billed transition per delete that succeeds: the task itself ends the execution.
    assert deployed["StartAt"] == "DeleteOutputs" and deployed["States"]["DeleteOutputs"]["End"] is True
    assert set(deployed["States"]) == {"DeleteOutputs", "OutputsNotDeleted"}
    assert props["StateMachineType"] == any_variant.state_machine()[1]["Properties"]["StateMachineType"]


def test_standard_is_the_default_and_express_logs_everything(standard, express):
    _, std = standard.state_machine()
    assert std["Properties"]["StateMachineType"] == "STANDARD"
    assert std["Properties"]["TracingConfiguration"] == {"Enabled": True}
    groups = set()
    for kind in ("render", "delete"):
        _, exp = express.state_machine(kind)
        assert exp["Properties"]["StateMachineType"] == "EXPRESS"
        logging = exp["Properties"]["LoggingConfiguration"]
        assert logging["Level"] == "ALL"
        assert logging["IncludeExecutionData"] is True
        group = logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
        assert express.resources[group]["Properties"]["RetentionInDays"] == 30
        groups.add(express.flatten(express.resources[group]["Properties"]["LogGroupName"]))
    assert len(groups) == 2, "each state machine logs to a group of its own"


@pytest.mark.parametrize("name", ["standard", "hardened"])
def test_notifications_cover_created_and_removed_for_each_suffix_in_both_cases(request, name):
    standard = request.getfixturevalue(name)
    presets = standard.presets
    _, custom = standard.one("Custom::S3BucketNotifications")
    props = custom["Properties"]
    assert props["BucketName"] == {"Ref": standard.logical_id("SourceBucket", "AWS::S3::Bucket")}
    queue_arn = {"Fn::GetAtt": [standard.logical_id("EventQueue", "AWS::SQS::Queue"), "Arn"]}
    seen = set()
    for config in props["NotificationConfiguration"]["QueueConfigurations"]:
        assert config["QueueArn"] == queue_arn
        rules = {r["Name"]: r["Value"] for r in config["Filter"]["Key"]["FilterRules"]}
        assert rules.get("prefix", "") == presets["source"]["prefix"]
        seen.add((config["Events"][0], rules["suffix"]))
    expected = {(event, spelling) for event in ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
                for suffix in presets["source"]["suffixes"] for spelling in (suffix.lower(), suffix.upper())}
    assert seen == expected
    assert not any("Notification" in k and "Output" in k for k in standard.resources)


def test_presets_parameter_holds_the_presets_file(standard):
    _, parameter = standard.one("AWS::SSM::Parameter")
    props = parameter["Properties"]
    assert props["Type"] == "String"
    assert props["Name"] == "/Imgfan/presets"
    assert json.loads(props["Value"]) == json.loads((REPO_ROOT / "presets.json").read_text())


def _alarm_metrics(cfn):
    """Alarms by (namespace, metric); a metric-math alarm by ("math", its expression)."""
    alarms = {}
    for alarm in cfn.of_type("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if "Metrics" in props:
            [expression] = [m["Expression"] for m in props["Metrics"] if "Expression" in m]
            alarms[("math", expression)] = props
        else:
            alarms[(props.get("Namespace"), props.get("MetricName"))] = props
    return alarms


def test_alarms_watch_the_dlq_executions_and_the_resizer(any_variant):
    alarms = _alarm_metrics(any_variant)
    dlq = alarms[("AWS/SQS", "ApproximateNumberOfMessagesVisible")]
    assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [
        any_variant.logical_id("DeadLetterQueue", "AWS::SQS::Queue"), "QueueName"]}}]
    assert (dlq["Threshold"], dlq["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    state_machine = any_variant.state_machine()[0]
    timed_out = alarms[("AWS/States", "ExecutionsTimedOut")]
    assert timed_out["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": state_machine}}]
    assert (timed_out["Threshold"], timed_out["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    # Pipeline failures: failed executions minus the bad uploads, which fail on purpose.
    pipeline = alarms[("math", "failed - FILL(bad, 0)")]
    inputs = {m["Id"]: m["MetricStat"]["Metric"] for m in pipeline["Metrics"] if "MetricStat" in m}
    assert inputs["failed"]["MetricName"] == "ExecutionsFailed"
    assert inputs["failed"]["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": state_machine}}]
    assert (inputs["bad"]["Namespace"], inputs["bad"]["MetricName"]) == ("Imgfan", "ImagesFailed")
    assert (pipeline["Threshold"], pipeline["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    deletes = alarms[("AWS/States", "ExecutionsFailed")]
    assert deletes["Dimensions"] == [{"Name": "StateMachineArn",
                                      "Value": {"Ref": any_variant.state_machine("delete")[0]}}]
    assert (deletes["Threshold"], deletes["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    bad = alarms[("Imgfan", "ImagesFailed")]
    assert bad["Dimensions"] == [{"Name": "service", "Value": "imgfan-finalizer"}]
    assert (bad["Threshold"], bad["ComparisonOperator"]) == (10, "GreaterThanOrEqualToThreshold")
    resizer = any_variant.function("resizer")[0]
    for metric in ("Errors", "Throttles"):
        alarm = alarms[("AWS/Lambda", metric)]
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": resizer}}]
    errors = alarms[("AWS/Lambda", "Errors")]
    assert (errors["Threshold"], errors["ComparisonOperator"]) == (5, "GreaterThanOrEqualToThreshold")
    assert len(alarms) == 7


def test_alarms_notify_the_topic_only_when_asked(standard, hardened):
    assert all("AlarmActions" not in a for a in _alarm_metrics(standard).values())
    topic, _ = hardened.one("AWS::SNS::Topic")
    for alarm in _alarm_metrics(hardened).values():
        assert alarm["AlarmActions"] == [{"Ref": topic}]
    _, subscription = hardened.one("AWS::SNS::Subscription")
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ops@example.com"


def test_stack_outputs_are_exactly_the_cli_contract(any_variant):
    outputs = any_variant.template["Outputs"]
    cdn = {"CdnDomainName"} if any_variant.of_type("AWS::CloudFront::Distribution") else set()
    assert set(outputs) == {"SourceBucketName", "OutputBucketName", "QueueUrl", "DeadLetterQueueUrl",
                            "StateMachineArn", "DeleteStateMachineArn", "PresetsParameterName",
                            "StateMachineConsoleUrl"} | cdn
    state_machine = any_variant.state_machine()[0]
    assert outputs["StateMachineArn"]["Value"] == {"Ref": state_machine}
    assert outputs["DeleteStateMachineArn"]["Value"] == {"Ref": any_variant.state_machine("delete")[0]}
    url = any_variant.flatten(outputs["StateMachineConsoleUrl"]["Value"])
    assert url == (f"https://<AWS::Region>.console.aws.amazon.com/states/home?region=<AWS::Region>"
                   f"#/statemachines/view/<{state_machine}>")


def test_a_source_bucket_named_in_presets_is_used_not_created(synth_cfn):
    cfn = synth_cfn(synth_contexts.EXISTING_BUCKET)
    assert [k for k in cfn.of_type("AWS::S3::Bucket") if k.startswith("SourceBucket")] == []
    _, custom = cfn.one("Custom::S3BucketNotifications")
    assert custom["Properties"]["BucketName"] == "my-existing-photos"
    assert custom["Properties"]["Managed"] is False  # merges with the bucket's existing notifications
    _, resizer = cfn.function("resizer")
    reads = [r for actions, resources, _ in cfn.statements(cfn.role_of(resizer))
             if "s3:GetObject" in actions for r in resources]
    assert reads == ["arn:<AWS::Partition>:s3:::my-existing-photos/in/*"]
    reports = list(cfn.assembly.glob("AwsSolutions-*NagReport.csv"))
    assert "Non-Compliant" not in reports[0].read_text()
