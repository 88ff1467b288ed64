"""cdk-nag (AwsSolutions) suppressions. Each one names exactly what it covers and why it is
acceptable; the tests fail on any unsuppressed error, so a new finding needs a new reason here."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct, IConstruct

try:
    from cdk_nag import NagPackSuppression, NagSuppressions
except ImportError:  # an app that does not run cdk-nag needs no suppressions
    NagPackSuppression = NagSuppressions = None  # type: ignore[assignment,misc]

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
VPC_REASON = (
    "Lambda in a VPC needs AWSLambdaVPCAccessExecutionRole's ec2:*NetworkInterface* actions to attach and "
    "detach its network interfaces; CDK adds the policy with vpc=, and those EC2 actions have no resource-level "
    "scoping (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions)."
)
# Logical ids carry the construct's id in front ("ImagesSourceBucket…") unless it is "Default".
OBJECT_ARN = r"/^Resource::(<[A-Za-z0-9]*(Source|Output)Bucket[0-9A-F]+\.Arn>|arn:<AWS::Partition>:s3:::[^/]+)\/.*\*$/g"
FUNCTION_VERSIONS = r"/^Resource::<[A-Za-z0-9]*(Resizer|Finalizer|Cleaner)[0-9A-F]+\.Arn>:\*$/g"
NOTIFICATIONS_HANDLER_REASON = (
    "CDK's own S3 bucket-notifications custom resource (runs once per deployment to configure notifications); "
    "its role and the AWSLambdaBasicExecutionRole managed policy are created by aws-cdk-lib and cannot be "
    "customised."
)


def _suppress(scope: Construct, path: str, rule: str, reason: str, applies_to: list | None = None) -> None:
    """Suppress ``rule`` on the resource at ``path`` below ``scope``, if the resource exists."""
    node: IConstruct | None = scope
    for part in path.split("/"):
        node = node.node.try_find_child(part) if node is not None else None
    if node is None:
        return
    suppression = NagPackSuppression(id=rule, reason=reason, applies_to=applies_to)
    NagSuppressions.add_resource_suppressions(node, [suppression])


def apply_suppressions(images: Any) -> None:
    """Every suppression an ``ImageVariants`` needs, each with its reason. A no-op when cdk-nag is
    not installed: the suppressions are cdk-nag's own metadata, read only when it runs."""
    if NagSuppressions is None:
        return
    options = images.options
    for fn in ("Dispatcher", "Resizer", "Finalizer", "Cleaner"):
        _suppress(images, f"{fn}/Resource", "AwsSolutions-L1", RUNTIME_REASON)
        _suppress(images, f"{fn}Role/DefaultPolicy/Resource", "AwsSolutions-IAM5", XRAY_REASON, ["Resource::*"])
        if images.in_vpc:
            _suppress(images, f"{fn}Role/Resource", "AwsSolutions-IAM4", VPC_REASON,
                      ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"])
    for fn in ("Resizer", "Finalizer", "Cleaner"):
        _suppress(images, f"{fn}Role/DefaultPolicy/Resource", "AwsSolutions-IAM5", OBJECTS_REASON,
                  [{"regex": OBJECT_ARN}])
    for machine in ("StateMachine", "DeleteStateMachine"):
        _suppress(images, f"{machine}/Role/DefaultPolicy/Resource", "AwsSolutions-IAM5", XRAY_REASON, ["Resource::*"])
        _suppress(images, f"{machine}/Role/DefaultPolicy/Resource", "AwsSolutions-IAM5", VERSIONS_REASON,
                  [{"regex": FUNCTION_VERSIONS}])
        if options.workflow_type != "EXPRESS":
            _suppress(images, f"{machine}/Resource", "AwsSolutions-SF1",
                      "Standard workflows keep the full execution history (every state's input and output) in "
                      "Step Functions for 90 days, which the console shows; copying it to CloudWatch Logs would "
                      "double the cost without adding information. Express workflows log ALL (see workflowType).")
    if not options.access_logs:
        for bucket in ("SourceBucket", "OutputBucket"):
            _suppress(images, f"{bucket}/Resource", "AwsSolutions-S1",
                      "Server access logging was switched off on purpose with the setting access_logs=False "
                      "(e.g. a throwaway test account); by default both created buckets are logged.")
    if options.cdn:
        for rule, reason in CDN_REASONS.items():
            _suppress(images, "Cdn/Resource", rule, reason)
    stack = Stack.of(images)
    for child in stack.node.children:
        if child.node.id.startswith("BucketNotificationsHandler"):
            _suppress(stack, f"{child.node.id}/Role/Resource", "AwsSolutions-IAM4", NOTIFICATIONS_HANDLER_REASON)


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

