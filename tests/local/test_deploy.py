"""The one workaround for moto's CloudFormation and DefinitionSubstitutions, tested on its own."""

from __future__ import annotations

import json

import pytest

from imgfan.local.deploy import DeployError, inline_definition_substitutions, substitute_definition

ASL = '{"StartAt":"A","States":{"A":{"Type":"Map","MaxConcurrency":${MaxConcurrency},' \
      '"ItemSelector":{"p.$":"$$.Map.Item.Value"},"Resource":"${FnArn}","End":true}}}'


def resolve(value, values):
    """Evaluate the Fn::Join the way CloudFormation would, with GetAtt replaced by ``values``."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(resolve(p, values) for p in parts)
    return values[json.dumps(value, sort_keys=True)]


def test_substitutions_become_a_join_that_keeps_double_dollar_paths():
    get_att = {"Fn::GetAtt": ["Fn", "Arn"]}
    joined = substitute_definition(ASL, {"MaxConcurrency": "4", "FnArn": get_att})
    text = resolve(joined, {json.dumps(get_att, sort_keys=True): "arn:aws:lambda:us-east-1:1:function:f"})
    definition = json.loads(text)
    assert definition["States"]["A"]["MaxConcurrency"] == 4
    assert definition["States"]["A"]["Resource"] == "arn:aws:lambda:us-east-1:1:function:f"
    assert definition["States"]["A"]["ItemSelector"]["p.$"] == "$$.Map.Item.Value"


def test_template_state_machines_lose_their_substitutions():
    template = {"Resources": {
        "Machine": {"Type": "AWS::StepFunctions::StateMachine",
                    "Properties": {"DefinitionString": ASL, "DefinitionSubstitutions": {"MaxConcurrency": "2", "FnArn": "x"}}},
        "Other": {"Type": "AWS::S3::Bucket", "Properties": {}},
    }}
    result = inline_definition_substitutions(template)
    properties = result["Resources"]["Machine"]["Properties"]
    assert "DefinitionSubstitutions" not in properties
    assert json.loads(resolve(properties["DefinitionString"], {}))["States"]["A"]["MaxConcurrency"] == 2
    assert result["Resources"]["Other"] == template["Resources"]["Other"]
    assert "DefinitionSubstitutions" in template["Resources"]["Machine"]["Properties"], "the input is not mutated"


def test_definition_from_an_s3_asset_is_read_from_the_cloud_assembly(tmp_path):
    (tmp_path / "asset.abc.json").write_text(ASL)
    (tmp_path / "Stack.assets.json").write_text(json.dumps({"files": {"abc": {
        "source": {"path": "asset.abc.json", "packaging": "file"},
        "destinations": {"d": {"bucketName": "b", "objectKey": "abc.json"}}}}}))
    template = {"Resources": {"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "DefinitionS3Location": {"Bucket": "b", "Key": "abc.json"},
        "DefinitionSubstitutions": {"MaxConcurrency": "3", "FnArn": "arn"}}}}}
    properties = inline_definition_substitutions(template, tmp_path)["Resources"]["Machine"]["Properties"]
    assert "DefinitionS3Location" not in properties
    assert json.loads(resolve(properties["DefinitionString"], {}))["States"]["A"]["Resource"] == "arn"


def test_a_definition_asset_missing_from_the_assembly_is_a_clear_error(tmp_path):
    (tmp_path / "Stack.assets.json").write_text(json.dumps({"files": {}}))
    template = {"Resources": {"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "DefinitionS3Location": {"Bucket": "b", "Key": "missing.json"}}}}}
    with pytest.raises(DeployError, match="missing.json"):
        inline_definition_substitutions(template, tmp_path)
