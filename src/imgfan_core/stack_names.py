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


# Unique among the output names (StateMachineArn ends DeleteStateMachineArn, QueueUrl
# DeadLetterQueueUrl), so it tells where one construct's outputs begin.
_MARKER = Output.PRESETS_PARAMETER
OUTPUT_NAMES = tuple(value for name, value in vars(Output).items() if name.isupper())


class AmbiguousOutputs(LookupError):
    pass


def construct_outputs(outputs: dict[str, str]) -> dict[str, str]:
    """One ``ImageVariants``' outputs by their plain names (``QueueUrl``).

    The repository's stack names them plainly; a construct with id ``Images`` in an app's stack
    names them ``ImagesQueueUrl`` (imgfan.cdk.construct). A stack with several constructs is
    refused by name, since the CLI would not know which pipeline is meant.
    """
    prefixes = sorted(key[: -len(_MARKER)] for key in outputs if key.endswith(_MARKER))
    if len(prefixes) > 1:
        raise AmbiguousOutputs(
            f"the stack holds {len(prefixes)} imgfan pipelines ({', '.join(p or '(unnamed)' for p in prefixes)}); "
            "imgfan's commands work with a stack that holds one")
    prefix = prefixes[0] if prefixes else ""
    found = {name: outputs[prefix + name] for name in OUTPUT_NAMES if prefix + name in outputs}
    return found or dict(outputs)
