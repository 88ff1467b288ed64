"""Error types whose *class names* are part of the state machine's contract.

A Lambda function error reaches Step Functions as ``Error = type(exc).__name__``. The ASL
retries the transient names and records the permanent ones without retrying. Its ``ErrorEquals``
lists are ``${TransientErrors}`` and ``${PermanentErrors}``, which the CDK stack fills from the
two tuples at the end of this module, so they are written once (tests/infra/test_asl_errors.py
checks the definition against this module).
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
# Worth retrying with backoff: ours, plus what Lambda and Step Functions raise when an invocation
# itself fails (throttled, the sandbox crashed or timed out, the service blinked).
TRANSIENT_ERROR_NAMES = (
    TransientError.__name__,
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.Unknown",
    "Sandbox.Timedout",
    "Runtime.ExitError",
    "States.Timeout",
)


class InvalidPresets(ImgfanError):
    """The presets document is invalid; the message names the field and the fix."""
