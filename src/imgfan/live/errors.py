"""What the live state can lack or hold wrong, as types; each message is the line users see.

AWS's own failures are not wrapped: they stay botocore's exceptions (``ClientError`` with its
error code, or a modeled one such as ``s3.exceptions.NoSuchBucket``). The types here are for
what imgfan itself expects to find and does not: a stack, an output, a parameter, a manifest.
"""

from __future__ import annotations


class LiveStateError(Exception):
    """Expected and fixable: the CLI prints the message as one line (plus indented details)."""


class StackNotFound(LiveStateError):
    """The stack cannot be read: not deployed, wrong name, endpoint down or access denied."""

    def __init__(self, stack_name: str, where: str, cause: Exception):
        self.stack_name, self.where, self.cause = stack_name, where, cause
        super().__init__(
            f"cannot read stack '{stack_name}' at {where}: {cause}. "
            "Is the embedded cloud running ('imgfan local up'), or is the stack deployed?"
        )


class MissingOutput(LiveStateError):
    def __init__(self, stack_name: str, output: str):
        self.stack_name, self.output = stack_name, output
        super().__init__(f"stack '{stack_name}' has no output '{output}'")


class NoPresetsParameter(LiveStateError):
    """Nothing pushed yet: ``diff`` and ``push`` treat it as empty, other commands cannot go on."""

    def __init__(self, parameter: str):
        self.parameter = parameter
        super().__init__(f"parameter {parameter} does not exist; run 'imgfan presets push' first")


class InvalidLivePresets(LiveStateError):
    """The parameter no longer validates (a hand edit, an older imgfan)."""

    def __init__(self, parameter: str, problems: str):
        self.parameter, self.problems = parameter, problems
        super().__init__(f"live parameter {parameter} is invalid:\n{_indent(problems)}")


class NoManifest(LiveStateError):
    def __init__(self, bucket: str, key: str):
        self.bucket, self.key = bucket, key
        super().__init__(
            f"no manifest at s3://{bucket}/{key}: the image is not processed yet, failed before the "
            "finalizer, or the key is misspelt ('imgfan executions list' shows recent runs)"
        )


class UnreadableManifest(LiveStateError):
    def __init__(self, bucket: str, key: str):
        self.bucket, self.key = bucket, key
        super().__init__(f"s3://{bucket}/{key} is not JSON")


class NoExecution(LiveStateError):
    def __init__(self, arn: str):
        self.arn = arn
        # Execution ARNs end with ':{name}', and names cannot contain ':'.
        self.name = arn.rsplit(":", 1)[-1]
        super().__init__(f"no execution {self.name!r}; see 'imgfan executions list'")


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
