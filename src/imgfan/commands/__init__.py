"""One module per top-level command; each exposes ``register(subparsers)``.

A command handler returns an exit code. Commands share nothing but this package and the
modules below them (``imgfan.live`` for the deployed state); they never import each other.
Two modules here are no command but what only commands use: ``progress`` (the progress lines
of long commands) and ``contact_sheet`` (the HTML page ``imgfan demo`` leaves).
Expected failures raise ``CommandError`` with a one-line message, or come up as the live
layer's and botocore's own exceptions: ``imgfan.cli`` prints each as one line and exits
non-zero, never with a traceback.
"""


class CommandError(Exception):
    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def context_pair(text: str) -> tuple[str, str]:
    """``-c key=value`` (a CDK context setting) as used by ``synth`` and ``local up``."""
    import argparse

    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key, value

