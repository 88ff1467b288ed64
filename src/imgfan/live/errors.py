"""What the live state can lack or hold wrong, as types; each message is the line users see.

AWS's own failures are not wrapped: they stay botocore's exceptions (``ClientError`` with its
error code, or a modeled one such as ``s3.exceptions.NoSuchBucket``). The types here are for
what imgfan itself expects to find and does not: a stack, an output, a parameter, a manifest.
"""

from __future__ import annotations


class LiveStateError(Exception):
    """Expected and fixable: the CLI prints the message as one line (plus indented details)."""


class StackNotFound(LiveStateError):
    """The stack does not exist where the CLI looked: not deployed, wrong name or wrong region."""

    def __init__(self, stack_name: str, where: str, cause: Exception, hint: str | None = None):
        self.stack_name, self.where, self.cause = stack_name, where, cause
        super().__init__(
            f"cannot read stack '{stack_name}' at {where}: {cause}. "
            + (hint or "Is the embedded cloud running ('imgfan local up'), or is the stack deployed?")
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
    """No manifest at the key; the generic reason, when nothing more precise is known."""

    def __init__(self, bucket: str, key: str, reason: str | None = None):
        self.bucket, self.key = bucket, key
        super().__init__(
            f"no manifest at s3://{bucket}/{key}: "
            + (reason or "the image is not processed yet, failed before the finalizer, or the key is "
               "misspelt ('imgfan executions list' shows recent runs)")
        )


class NoSuchSource(NoManifest):
    def __init__(self, bucket: str, key: str, manifest_bucket: str, manifest_key: str, near: list[str]):
        self.source_bucket, self.source_key, self.near = bucket, key, near
        hint = f"; did you mean {_quoted(near)}?" if near else ""
        super().__init__(manifest_bucket, manifest_key, f"there is no source s3://{bucket}/{key}{hint}")


class NotWatched(NoManifest):
    """The source exists but S3 sends no event for it: outside the prefix or an unwatched suffix."""

    def __init__(self, key: str, manifest_bucket: str, manifest_key: str, why: str):
        self.source_key, self.why = key, why
        super().__init__(
            manifest_bucket, manifest_key,
            f"{why}, so uploading it started nothing; 'imgfan backfill --prefix {key}' renders it anyway",
        )


class StillRendering(NoManifest):
    def __init__(self, manifest_bucket: str, manifest_key: str, execution_name: str):
        self.execution_name = execution_name
        super().__init__(
            manifest_bucket, manifest_key,
            f"execution {execution_name} is still running; see 'imgfan executions show {execution_name}'",
        )


class FailedBeforeManifest(NoManifest):
    def __init__(self, manifest_bucket: str, manifest_key: str, execution_name: str, status: str,
                 error: str | None):
        self.execution_name, self.status, self.error = execution_name, status, error
        failure = f" with {error}" if error else ""
        super().__init__(
            manifest_bucket, manifest_key,
            f"execution {execution_name} ended {status}{failure} before the finalizer wrote one; "
            f"see 'imgfan executions show {execution_name}'",
        )


class NeverStarted(NoManifest):
    def __init__(self, manifest_bucket: str, manifest_key: str, source_url: str):
        self.source_url = source_url
        super().__init__(
            manifest_bucket, manifest_key,
            f"no execution has started for {source_url}; its event may be in the dead-letter queue "
            "('imgfan dlq list'), or 'imgfan backfill' starts one",
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


class NoMatchingExecution(LiveStateError):
    """Nothing by that name, ARN, key or name prefix."""

    def __init__(self, target: str, near: list[str]):
        self.target, self.near = target, near
        hint = f"; did you mean {_quoted(near)}?" if near else "; see 'imgfan executions list'"
        super().__init__(f"no execution or source key matches {target!r}{hint}")


class AmbiguousExecution(LiveStateError):
    def __init__(self, target: str, names: list[str]):
        self.target, self.names = target, names
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        super().__init__(f"{target!r} starts {len(names)} execution names: {shown}; give more of the name")


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def _quoted(names: list[str]) -> str:
    return " or ".join(repr(name) for name in names)
