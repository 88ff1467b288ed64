"""Error types whose *class names* are part of the state machine's contract.

A Lambda function error reaches Step Functions as ``Error = type(exc).__name__``. The ASL
waits out the transient names, retries the crash names a few times and records the permanent
ones without retrying. Its ``ErrorEquals`` lists are ``${TransientErrors}``, ``${CrashErrors}``
and ``${PermanentErrors}``, which the CDK stack fills from the tuples at the end of this module,
so they are written once (tests/infra/test_asl_errors.py checks the definition against them).
"""


class ImgfanError(Exception):
    """Base of every error imgfan raises on purpose."""


class PermanentImageError(ImgfanError):
    """The input can never produce this variant; retrying is pointless."""

    reason = "permanent"


class NotAnImage(PermanentImageError):
    reason = "not-an-image"


class CorruptImage(PermanentImageError):
    reason = "corrupt"


class ImageTooLarge(PermanentImageError):
    reason = "too-large"


class UnsupportedImage(PermanentImageError):
    reason = "unsupported"


class SourceMissing(PermanentImageError):
    """The source object (or the version named in the event) no longer exists."""

    reason = "source-missing"


class SourceSuperseded(PermanentImageError):
    """The object was replaced by a newer upload before this execution read it.

    The newer upload has an execution of its own, which renders it; this one stops, and its
    finalizer writes no manifest over the newer one's.
    """

    reason = "superseded"


class InvalidFocus(PermanentImageError):
    """The source's ``focus`` metadata is not two fractions ``"x,y"`` between 0 and 1."""

    reason = "invalid-focus"


class InvalidOverlay(PermanentImageError):
    """A preset's overlay picture cannot be used: not an image, corrupt or too large."""

    reason = "invalid-overlay"


class TransientError(ImgfanError):
    """Worth retrying with backoff: throttling, a timeout, a dependency that blinked."""


PERMANENT_ERROR_NAMES = tuple(
    cls.__name__
    for cls in (
        NotAnImage, CorruptImage, ImageTooLarge, UnsupportedImage, SourceMissing, SourceSuperseded,
        InvalidFocus, InvalidOverlay,
    )
)
# Failures whose cause lies outside the image: throttling, a service that blinked, our own
# TransientError (S3 SlowDown, a lost race). However long they last, the image is fine, so the
# state machine waits them out with capped, jittered backoff (imgfan/cdk/retry.py sets how long).
# The Lambda names are those of AWS's recommended retrier for Lambda tasks, plus the throttle:
# https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html
TRANSIENT_ERROR_NAMES = (
    TransientError.__name__,
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
# The sandbox died or ran out of time. That can be a machine's bad luck, or the image itself
# (memory, a pathological decode): a few quick retries, never the long wait, so one poison
# upload cannot keep an execution retrying for hours.
CRASH_ERROR_NAMES = (
    "Lambda.Unknown",
    "Sandbox.Timedout",
    "Runtime.ExitError",
    "States.Timeout",
)


class ImageFailed(ImgfanError):
    """Raised by the finalizer *after* it wrote a ``failed`` manifest and sent its event, so that
    the execution ends failed (the Finalize Catch goes to the Fail state ``ImageFailed``) without a
    Choice state after Finalize: one billed transition fewer per upload. The message is the
    manifest's error type and message. Never retried: the manifest is already written."""


# The ASL names this error in Finalize's Retry and Catch (tests/infra/test_asl_errors.py).
IMAGE_FAILED_ERROR_NAME = ImageFailed.__name__


class InvalidPresets(ImgfanError):
    """The presets document is invalid; the message names the field and the fix."""

    @classmethod
    def unreadable(cls, path: object, exc: OSError) -> "InvalidPresets":
        return cls(f"{path}: cannot read: {exc.strerror or exc}")
