"""Deploy a CDK cloud assembly into the embedded cloud, the way ``cdk deploy`` would.

``cdk deploy`` uploads file assets to the bootstrap bucket, then creates the stack from the
template. We do the same against moto. moto's CloudFormation has one gap that matters here:
it ignores a state machine's ``DefinitionSubstitutions``. :func:`inline_definition_substitutions`
is the single workaround: it rewrites them into an equivalent ``Fn::Sub``, which moto resolves.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from imgfan.local.asset_zips import zipped_asset
from imgfan_core.stack_names import construct_outputs

# What `cdk bootstrap` creates with the default qualifier; the template names both.
BOOTSTRAP_QUALIFIER = "hnb659fds"
BOOTSTRAP_VERSION_PARAMETER = f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version"
BOOTSTRAP_VERSION = "30"


class DeployError(RuntimeError):
    pass


def inline_definition_substitutions(template: dict[str, Any], assembly_dir: Path | None = None) -> dict[str, Any]:
    """Return a copy of ``template`` whose state machines carry no DefinitionSubstitutions.

    CloudFormation applies DefinitionSubstitutions as plain ``${Name}`` replacements in the
    definition string. We express the same thing as an ``Fn::Join`` of the string's pieces and
    the substituted values. (Not ``Fn::Sub``: moto implements it with ``string.Template``, which
    turns the ASL's ``$$.Map.Item.Value`` into ``$.Map.Item.Value``.) ``DefinitionBody.from_file``
    ships the definition as an S3 asset (DefinitionS3Location), which moto does not read either,
    so the definition is inlined from the cloud assembly's copy of that asset.
    """
    result = copy.deepcopy(template)
    for resource in result.get("Resources", {}).values():
        if resource.get("Type") != "AWS::StepFunctions::StateMachine":
            continue
        properties = resource.get("Properties", {})
        location = properties.pop("DefinitionS3Location", None)
        if location is not None:
            properties["DefinitionString"] = _definition_from_assets(assembly_dir, location)
        substitutions = properties.pop("DefinitionSubstitutions", None)
        if substitutions:
            properties["DefinitionString"] = substitute_definition(properties["DefinitionString"], substitutions)
    return result


def substitute_definition(definition: Any, substitutions: dict[str, Any]) -> Any:
    """``definition`` with each ``${Name}`` replaced by ``substitutions[Name]`` (any CFN value)."""
    if not isinstance(definition, str):
        raise DeployError("a state machine with DefinitionSubstitutions must have a literal DefinitionString")
    pattern = re.compile(r"\$\{(" + "|".join(re.escape(name) for name in substitutions) + r")\}")
    parts: list[Any] = []
    position = 0
    for match in pattern.finditer(definition):
        parts.append(definition[position:match.start()])
        parts.append(substitutions[match.group(1)])
        position = match.end()
    parts.append(definition[position:])
    return {"Fn::Join": ["", [p for p in parts if p != ""]]}


def leave_out_cloudfront(template: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``template`` without CloudFront, which moto's CloudFormation cannot create.

    Its resources go, with the outputs and bucket-policy statements that name them; functions
    lose the public base URL that pointed at the distribution (see serve_from_local_s3).
    """
    result = copy.deepcopy(template)
    resources = result.get("Resources", {})
    gone = {name for name, resource in resources.items() if resource["Type"].startswith("AWS::CloudFront::")}
    for name in gone:
        del resources[name]
    result["Outputs"] = {k: v for k, v in result.get("Outputs", {}).items() if not _mentions(v, gone)}
    for resource in resources.values():
        if resource["Type"] == "AWS::S3::BucketPolicy":
            document = resource["Properties"]["PolicyDocument"]
            document["Statement"] = [st for st in document["Statement"] if not _mentions(st, gone)]
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        for name, value in variables.items():
            if _mentions(value, gone):
                variables[name] = ""
    return result


def serve_from_local_s3(template: dict[str, Any], endpoint_url: str) -> dict[str, Any]:
    """Point every function's PUBLIC_BASE_URL at the embedded S3's path-style URL of its output
    bucket, so the URLs in local manifests and events open in a browser."""
    result = copy.deepcopy(template)
    for resource in result.get("Resources", {}).values():
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        if resource["Type"] == "AWS::Lambda::Function" and "PUBLIC_BASE_URL" in variables:
            variables["PUBLIC_BASE_URL"] = {"Fn::Join": ["", [endpoint_url.rstrip("/") + "/", variables["OUTPUT_BUCKET"]]]}
    return result


def let_browsers_read(session_clients: Any, bucket: str) -> None:
    """Anonymous GET on the output bucket, as the CDN gives on AWS, so local manifest URLs open.

    Locally only: on AWS the bucket stays private and CloudFront reads it through origin access
    control. The embedded cloud listens on 127.0.0.1 unless told otherwise.
    """
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "EmbeddedCloudStandsInForTheCdn", "Effect": "Allow", "Principal": "*",
        # moto checks a HEAD against "s3:HeadObject" (AWS needs only s3:GetObject), so `curl -I` works too.
        "Action": ["s3:GetObject", "s3:HeadObject"], "Resource": f"arn:aws:s3:::{bucket}/*",
    }]}
    session_clients("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def _mentions(value: Any, names: set[str]) -> bool:
    if isinstance(value, dict):
        if value.get("Ref") in names:
            return True
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and attribute[0] in names:
            return True
        return any(_mentions(v, names) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, names) for v in value)
    return False


def _definition_from_assets(assembly_dir: Path | None, location: dict[str, Any]) -> str:
    key = location.get("Key")
    if assembly_dir is None:
        raise DeployError("the state machine definition is an S3 asset; the cloud assembly is needed to inline it")
    for manifest_path in assembly_dir.glob("*.assets.json"):
        for asset in json.loads(manifest_path.read_text()).get("files", {}).values():
            if any(d.get("objectKey") == key for d in asset["destinations"].values()):
                return (assembly_dir / asset["source"]["path"]).read_text()
    raise DeployError(f"no asset in {assembly_dir} provides the state machine definition {key}")


def _substitute(value: str, account: str, region: str) -> str:
    return (value.replace("${AWS::AccountId}", account).replace("${AWS::Region}", region)
            .replace("${AWS::Partition}", "aws"))


def upload_assets(session_clients: Any, assembly_dir: Path, stack_name: str, account: str, region: str,
                  progress=print, zip_cache: Path | None = None) -> int:
    """Upload every file asset of the stack to its bootstrap-bucket destination; returns the count.
    Directory assets are zipped, reusing zips in ``zip_cache`` (imgfan.local.asset_zips)."""
    s3 = session_clients("s3")
    manifest_path = assembly_dir / f"{stack_name}.assets.json"
    manifest = json.loads(manifest_path.read_text())
    count = 0
    for asset in manifest.get("files", {}).values():
        source = assembly_dir / asset["source"]["path"]
        body = zipped_asset(source, zip_cache) if asset["source"].get("packaging") == "zip" else source.read_bytes()
        for destination in asset["destinations"].values():
            bucket = _substitute(destination["bucketName"], account, region)
            key = _substitute(destination["objectKey"], account, region)
            _ensure_bucket(s3, bucket, region)
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            count += 1
    progress(f"uploaded {count} assets to the bootstrap bucket")
    return count


def _ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception:  # noqa: BLE001 - head_bucket raises ClientError 404 for a missing bucket
        kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **kwargs)


def bootstrap(session_clients: Any) -> None:
    """The part of `cdk bootstrap` the template checks: the bootstrap version parameter."""
    session_clients("ssm").put_parameter(
        Name=BOOTSTRAP_VERSION_PARAMETER, Value=BOOTSTRAP_VERSION, Type="String", Overwrite=True
    )


def deploy_stack(session_clients: Any, assembly_dir: Path, stack_name: str, account: str, region: str,
                 progress=print, timeout: float = 300, check=lambda: None,
                 endpoint_url: str | None = None, zip_cache: Path | None = None) -> dict[str, str]:
    """Create (or replace) the stack from the synthesized template; returns its outputs."""
    bootstrap(session_clients)
    upload_assets(session_clients, assembly_dir, stack_name, account, region, progress, zip_cache)
    template = json.loads((assembly_dir / f"{stack_name}.template.json").read_text())
    template = leave_out_cloudfront(inline_definition_substitutions(template, assembly_dir))
    if endpoint_url:
        template = serve_from_local_s3(template, endpoint_url)
    body = json.dumps(template)

    cloudformation = session_clients("cloudformation")
    existing = {s["StackName"] for s in cloudformation.list_stacks()["StackSummaries"]
                if s["StackStatus"] != "DELETE_COMPLETE"}
    if stack_name in existing:
        cloudformation.delete_stack(StackName=stack_name)
    progress(f"creating stack {stack_name}")
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=body,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    deadline = time.monotonic() + timeout
    while True:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        status = stack["StackStatus"]
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
            break
        if status.endswith("FAILED") or "ROLLBACK" in status:
            raise DeployError(f"stack {stack_name} ended in {status}: {stack.get('StackStatusReason', '')}")
        check()
        if time.monotonic() > deadline:
            raise DeployError(f"stack {stack_name} still {status} after {timeout:.0f}s")
        time.sleep(0.5)
    return construct_outputs({o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])})


def default_account_region() -> tuple[str, str]:
    return os.environ.get("MOTO_ACCOUNT_ID", "123456789012"), os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
