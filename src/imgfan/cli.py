"""``imgfan``: the command-line entry point. Commands live in ``imgfan.commands``."""

from __future__ import annotations

import argparse
import importlib
import sys

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


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imgfan", description=__doc__)
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
    parser = build_parser(first if first in COMMAND_MODULES else None)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        failure = expected_failure(exc)
        if failure is None:
            raise
        message, exit_code = failure
        print(f"imgfan {args.command}: {message}", file=sys.stderr)
        return exit_code


def expected_failure(exc: Exception) -> tuple[str, int] | None:
    """The message and exit code of a failure the user can act on; None for a bug (traceback).

    Commands raise CommandError, the live-state layer its own types, and AWS calls botocore's
    exceptions, which arrive here unchanged: this is the one place they become a line of text.
    """
    if isinstance(exc, CommandError):
        return str(exc), exc.exit_code
    from botocore.exceptions import BotoCoreError, ClientError

    from imgfan.live import LiveStateError

    if isinstance(exc, LiveStateError):
        return str(exc), 1
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
