"""One module per top-level command; each exposes ``register(subparsers)``.

A command handler returns an exit code. Commands share nothing but this package and the
modules below them (``imgfan.live`` for the deployed state); they never import each other.
Expected failures raise ``CommandError`` with a one-line message, or come up as the live
layer's and botocore's own exceptions: ``imgfan.cli`` prints each as one line and exits
non-zero, never with a traceback.
"""


class CommandError(Exception):
    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code
