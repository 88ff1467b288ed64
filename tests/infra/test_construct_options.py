"""ImageVariants' own arguments, in an app's stack: EventBridge triggering, a VPC, two
constructs side by side, an app role granted the variants, and arguments refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgfan.cdk import SettingsError
from imgfan_core.errors import InvalidPresets
from imgfan_core.presets import load_presets_file

pytestmark = pytest.mark.synth

REPO_ROOT = Path(__file__).resolve().parents[2]
PRESETS = REPO_ROOT / "presets.json"


# aws-cdk-lib and the construct are imported inside the tests: at the top of the module, every
# pytest worker would load them, and start CDK's Node process, just to collect this file.


@pytest.fixture(scope="module")
def app_stack():
    from aws_cdk import App, Stack, assertions
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_s3 as s3

    from imgfan.cdk import ImageVariants

    app = App()
    stack = Stack(app, "AppStack", env={"account": "123456789012", "region": "eu-west-1"})
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    uploads = s3.Bucket.from_bucket_name(stack, "Uploads", "app-uploads")
    private = ImageVariants(stack, "Private", presets=PRESETS, source_bucket=uploads, source_prefix="photos/",
                            trigger="eventbridge", vpc=vpc,
                            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED))
    public = ImageVariants(stack, "Public", presets=load_presets_file(PRESETS).config, resizer_memory=2048)
    web = iam.Role(stack, "WebRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    public.grant_read_variants(web)
    return stack, private, public, assertions.Template.from_stack(stack).to_json()


def _resources(template: dict, cfn_type: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def test_eventbridge_trigger_forwards_this_sources_events_into_the_queue(app_stack):
    _, _private, _, template = app_stack
    rules = _resources(template, "AWS::Events::Rule")
    rule, = rules.values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail-type"] == ["Object Created", "Object Deleted"]
    assert pattern["detail"]["bucket"]["name"] == ["app-uploads"]
    keys = pattern["detail"]["object"]["key"]
    assert {"wildcard": "photos/*.jpg"} in keys and {"wildcard": "photos/*.JPG"} in keys
    queue_id = next(k for k in _resources(template, "AWS::SQS::Queue") if k.startswith("PrivateEventQueue"))
    target, = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    # S3 sends to EventBridge; no notification for the queue is configured on the bucket.
    notifications = [r["Properties"] for r in _resources(template, "Custom::S3BucketNotifications").values()]
    private_config = [n["NotificationConfiguration"] for n in notifications if n["BucketName"] == "app-uploads"]
    assert private_config == [{"EventBridgeConfiguration": {}}]
    policy = json.dumps(_resources(template, "AWS::SQS::QueuePolicy"))
    assert "events.amazonaws.com" in policy


def test_vpc_functions_run_in_the_given_subnets(app_stack):
    _, _private, _public, template = app_stack
    functions = _resources(template, "AWS::Lambda::Function")
    for name in ("Dispatcher", "Resizer", "Finalizer", "Cleaner"):
        in_vpc, = [f for k, f in functions.items() if k.startswith(f"Private{name}")]
        subnets = in_vpc["Properties"]["VpcConfig"]["SubnetIds"]
        assert len(subnets) == 2 and all("isolated" in json.dumps(s) for s in subnets)
        outside, = [f for k, f in functions.items() if k.startswith(f"Public{name}")]
        assert "VpcConfig" not in outside["Properties"]


def test_two_constructs_in_one_stack_keep_their_names_apart(app_stack):
    _, _, _, template = app_stack
    parameters = sorted(p["Properties"]["Name"] for p in _resources(template, "AWS::SSM::Parameter").values())
    assert parameters == ["/AppStack/Private/presets", "/AppStack/Public/presets"]
    outputs = set(template["Outputs"])
    assert {"PrivateQueueUrl", "PublicQueueUrl", "PrivateStateMachineArn", "PublicStateMachineArn"} <= outputs


def test_settings_arguments_reach_the_template(app_stack):
    _, _, public, template = app_stack
    resizer, = [f for k, f in _resources(template, "AWS::Lambda::Function").items() if k.startswith("PublicResizer")]
    assert resizer["Properties"]["MemorySize"] == 2048
    assert public.options.resizer_memory == 2048


def test_an_app_role_is_granted_reads_of_the_variants_only(app_stack):
    _, _, _public, template = app_stack
    policies = [p for k, p in _resources(template, "AWS::IAM::Policy").items() if k.startswith("WebRole")]
    statement, = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert statement["Action"] == "s3:GetObject"
    assert "PublicOutputBucket" in json.dumps(statement["Resource"])


def test_a_bad_argument_is_refused_by_its_name():
    from aws_cdk import App, Stack

    from imgfan.cdk import ImageVariants

    stack = Stack(App(), "Refused")
    with pytest.raises(SettingsError, match=r"resizer_memory: must be between 128 and 10240, got 64"):
        ImageVariants(stack, "Images", presets=PRESETS, resizer_memory=64)
    with pytest.raises(SettingsError, match=r"trigger: expected one of notifications, eventbridge"):
        ImageVariants(stack, "Again", presets=PRESETS, trigger="sns")


def test_a_prefix_given_twice_must_agree(tmp_path):
    from aws_cdk import App, Stack

    from imgfan.cdk import ImageVariants

    presets = tmp_path / "presets.json"
    document = json.loads(PRESETS.read_text())
    document["source"] = {"prefix": "uploads/"}
    presets.write_text(json.dumps(document))
    with pytest.raises(InvalidPresets, match=r"source_prefix is 'photos/' but the presets' source.prefix is 'uploads/'"):
        ImageVariants(Stack(App(), "Twice"), "Images", presets=presets, source_prefix="photos/")
