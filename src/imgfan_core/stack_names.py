"""Names that the CDK stack declares and the CLI and embedded cloud read: spelled once, here.

Not used by the Lambda functions; it lives in the shared package because ``infra/`` (the CDK
app) and ``imgfan`` (the CLI) both import ``imgfan_core`` and nothing else in common.
"""

STACK_NAME = "Imgfan"


class Output:
    """CloudFormation output names of the stack."""

    SOURCE_BUCKET = "SourceBucketName"
    OUTPUT_BUCKET = "OutputBucketName"
    QUEUE_URL = "QueueUrl"
    DEAD_LETTER_QUEUE_URL = "DeadLetterQueueUrl"
    # Renders (ObjectCreated); deletes (ObjectRemoved) run in a state machine of their own.
    STATE_MACHINE_ARN = "StateMachineArn"
    DELETE_STATE_MACHINE_ARN = "DeleteStateMachineArn"
    PRESETS_PARAMETER = "PresetsParameterName"
    CONSOLE_URL = "StateMachineConsoleUrl"
    # Only with -c cdn=true.
    CDN_DOMAIN_NAME = "CdnDomainName"
