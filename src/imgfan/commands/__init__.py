"""One module per top-level command; each exposes ``register(subparsers)``.

A command handler returns an exit code. Expected failures raise ``CommandError`` with a
one-line message: the CLI prints it and exits non-zero, never with a traceback.
"""


class CommandError(Exception):
    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code
