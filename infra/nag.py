"""cdk-nag (AwsSolutions) suppressions. Each one names exactly what it covers and why it is
acceptable; the tests fail on any unsuppressed error, so a new finding needs a new reason here."""

from __future__ import annotations

from aws_cdk import Stack
from cdk_nag import NagPackSuppression, NagSuppressions

RUNTIME_REASON = (
    "Python 3.12 is pinned on purpose: the shared layer's native wheels (Pillow, pillow-heif, "
    "pydantic-core) are fetched and tested for cp312 on arm64; moving the runtime means rebuilding "
    "and re-testing the layer for the new ABI."
)
XRAY_REASON = (
    "X-Ray tracing (and, for Express workflows, CloudWatch Logs vended log delivery) only accepts "
    "Resource '*': xray:PutTraceSegments/PutTelemetryRecords/GetSampling* and logs:*LogDelivery "
    "have no resource-level permissions. The tests assert '*' appears with no other actions."
)
OBJECTS_REASON = (
    "Object-level access must cover every key under the configured prefix (keys are chosen by "
    "uploaders); the wildcard is only the key part, scoped to one bucket and its presets prefix."
)
VERSIONS_REASON = (
    "CDK's grantInvoke adds '<function ARN>:*' so that qualified invocations (versions/aliases) of "
    "the functions each state machine runs work; the action is only lambda:InvokeFunction."
)
OBJECT_ARN = r"/^Resource::(<(Source|Output)Bucket[0-9A-F]+\.Arn>|arn:<AWS::Partition>:s3:::[^/]+)\/.*\*$/g"
FUNCTION_VERSIONS = r"/^Resource::<(Resizer|Finalizer|Cleaner)[0-9A-F]+\.Arn>:\*$/g"


def _suppress(stack: Stack, path: str, rule: str, reason: str, applies_to: list | None = None) -> None:
    node = stack.node.try_find_child(path.split("/")[0])
    if node is None:
        return
    full = f"/{stack.stack_name}/{path}"
    suppression = NagPackSuppression(id=rule, reason=reason, applies_to=applies_to)
    NagSuppressions.add_resource_suppressions_by_path(stack, full, [suppression])


def apply_suppressions(stack: Stack) -> None:
    for fn in ("Dispatcher", "Resizer", "Finalizer", "Cleaner"):
        _suppress(stack, f"{fn}/Resource", "AwsSolutions-L1", RUNTIME_REASON)
        _suppress(stack, f"{fn}Role/DefaultPolicy/Resource", "AwsSolutions-IAM5", XRAY_REASON, ["Resource::*"])
    for fn in ("Resizer", "Finalizer", "Cleaner"):
        _suppress(stack, f"{fn}Role/DefaultPolicy/Resource", "AwsSolutions-IAM5", OBJECTS_REASON,
                  [{"regex": OBJECT_ARN}])
    for machine in ("StateMachine", "DeleteStateMachine"):
        _suppress(stack, f"{machine}/Role/DefaultPolicy/Resource", "AwsSolutions-IAM5", XRAY_REASON, ["Resource::*"])
        _suppress(stack, f"{machine}/Role/DefaultPolicy/Resource", "AwsSolutions-IAM5", VERSIONS_REASON,
                  [{"regex": FUNCTION_VERSIONS}])
        if stack.settings.workflow_type != "EXPRESS":
            _suppress(stack, f"{machine}/Resource", "AwsSolutions-SF1",
                      "Standard workflows keep the full execution history (every state's input and output) in "
                      "Step Functions for 90 days, which the console shows; copying it to CloudWatch Logs would "
                      "double the cost without adding information. Express workflows log ALL (see workflowType).")
    if not stack.settings.access_logs:
        for bucket in ("SourceBucket", "OutputBucket"):
            _suppress(stack, f"{bucket}/Resource", "AwsSolutions-S1",
                      "Server access logging was switched off on purpose with the context setting "
                      "accessLogs=false (e.g. a throwaway test account); the default stack logs both buckets.")
    if stack.settings.cdn:
        _suppress_cdn(stack)
    for child in stack.node.children:
        if child.node.id.startswith("BucketNotificationsHandler"):
            _suppress(stack, f"{child.node.id}/Role/Resource", "AwsSolutions-IAM4",
                      "CDK's own S3 bucket-notifications custom resource (runs once per deployment to "
                      "configure notifications); its role and the AWSLambdaBasicExecutionRole managed policy "
                      "are created by aws-cdk-lib and cannot be customised.")


CDN_REASONS = {
    "AwsSolutions-CFR1": "Variants are public web images for the application's own pages, served the same "
                         "everywhere; a geo restriction would be the application's policy, not imgfan's. Add one on "
                         "the distribution if yours needs it.",
    "AwsSolutions-CFR2": "The distribution serves only GET/HEAD of immutable, cached objects from a private bucket "
                         "(nothing to inject into, no origin compute to exhaust); a WAF web ACL adds a monthly fee "
                         "per distribution. Attach one if your traffic needs rate limiting.",
    "AwsSolutions-CFR3": "CloudFront standard logging writes with ACLs, which every imgfan bucket disables "
                         "(BucketOwnerEnforced); S3 server access logs of the output bucket already record each "
                         "origin read. Turn on CloudFront's CloudWatch-based logging if you need edge logs.",
    "AwsSolutions-CFR4": "With the default *.cloudfront.net certificate CloudFront fixes the viewer policy at "
                         "TLSv1; the stack asks for TLSv1.2_2021, which applies as soon as a custom domain with "
                         "an ACM certificate is added. Viewers are HTTPS only either way.",
}


def _suppress_cdn(stack: Stack) -> None:
    for rule, reason in CDN_REASONS.items():
        _suppress(stack, "Cdn/Resource", rule, reason)
