"""``imgfan``: the command-line entry point. Commands live in ``imgfan.commands``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

from imgfan.commands import CommandError

# Modules are imported lazily by name so that `imgfan render` does not pay for boto3/moto/CDK.
COMMAND_MODULES = {
    "demo": "imgfan.commands.demo",
    "local": "imgfan.commands.local",
    "render": "imgfan.commands.render",
    "presets": "imgfan.commands.presets",
    "manifest": "imgfan.commands.manifest",
    "executions": "imgfan.commands.executions",
    "backfill": "imgfan.commands.backfill",
    "dlq": "imgfan.commands.dlq",
    "synth": "imgfan.commands.synth",
}

DESCRIPTION = """\
Turn every image uploaded to an S3 bucket into web-ready variants (one per preset in
presets.json) and a manifest.json that describes them. Runs on AWS, or on the embedded
cloud on this machine with no AWS account.

start here:
  imgfan demo                 the whole pipeline on sample photos, end to end
  imgfan local up             keep the embedded cloud running, with a web console
  imgfan render photo.jpg --out variants/   the resize engine alone, no cloud
"""

EPILOG = """\
Commands that talk to AWS take --endpoint-url (default $AWS_ENDPOINT_URL), --profile and
--region. 'imgfan COMMAND --help' describes each command.
"""

# 128 + SIGPIPE: what a shell reports for a program whose reader went away (`imgfan ... | head`).
EXIT_CLOSED_PIPE = 141


def imgfan_version() -> str:
    # Imported here: importlib.metadata costs every command's start-up, and only --version needs it.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("imgfan")
    except PackageNotFoundError:
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked for."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the version and exit", **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(f"imgfan {imgfan_version()}")
        parser.exit()


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imgfan", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMAND_MODULES.items():
        if selected is not None and name != selected:
            subparsers.add_parser(name, help=f"see 'imgfan {name} --help'")
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    first = next((a for a in argv if not a.startswith("-")), None)
    if first in COMMAND_MODULES:
        selected: str | None = first
    elif "--version" in argv:
        # No command module at all: the AWS commands import boto3, 0.3 s for a version string.
        selected = ""
    else:
        selected = None  # the top-level help lists every command's own summary
    parser = build_parser(selected)
    args = parser.parse_args(argv)
    try:
        code = int(args.handler(args) or 0)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _closed_pipe()
    except Exception as exc:
        failure = expected_failure(exc, getattr(args, "endpoint_url", None))
        if failure is None:
            raise
        message, exit_code = failure
        print(f"imgfan {args.command}: {message}", file=sys.stderr)
        return exit_code


def _closed_pipe() -> int:
    """The reader of stdout went away: stop quietly, as other command-line tools do.

    Python would otherwise report the failed flush of stdout again at exit.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_CLOSED_PIPE


def expected_failure(exc: Exception, endpoint_url: str | None = None) -> tuple[str, int] | None:
    """The message and exit code of a failure the user can act on; None for a bug (traceback).

    Commands raise CommandError, the live-state layer its own types, and AWS calls botocore's
    exceptions, which arrive here unchanged: this is the one place they become a line of text.
    """
    if isinstance(exc, CommandError):
        return str(exc), exc.exit_code
    from botocore.exceptions import BotoCoreError, ClientError

    from imgfan.aws import explain_setup_error
    from imgfan.live import LiveStateError

    if isinstance(exc, LiveStateError):
        return str(exc), 1
    setup = explain_setup_error(exc, endpoint_url)
    if setup is not None:
        return setup, 1
    # imgfan.aws.attempting notes what was being done; without a note, the API call names it.
    notes = getattr(exc, "__notes__", None)
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        what = notes[0] if notes else exc.operation_name
        return f"{what}: {error.get('Code', 'error')}: {error.get('Message', exc)}", 1
    if isinstance(exc, BotoCoreError):
        return (f"{notes[0]}: {exc}" if notes else str(exc)), 1
    return None


if __name__ == "__main__":
    sys.exit(main())
