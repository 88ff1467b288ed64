"""``imgfan presets validate|diff|push|schema``: edit presets safely, then change live behaviour.

``push`` writes the SSM parameter the dispatcher reads through a Parameters cache, so new
presets apply to the next uploads without a redeploy. ``diff`` shows what a push would change
and how many existing manifests it would make stale (their presets_hash would differ).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from imgfan.commands import CommandError
from imgfan.live.presets_diff import REDEPLOY_REQUIRED, PresetsDiff, diff_configs
from imgfan_core.errors import InvalidPresets
from imgfan_core.presets import (
    SCHEMA_FILE,
    PresetsConfig,
    PresetsFile,
    check_output_location,
    json_schema_text,
    load_presets_file,
    presets_hash,
)

if TYPE_CHECKING:
    from imgfan.live import Stack

DEFAULT_PATH = "presets.json"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("presets", help="validate, diff and push the presets file")
    actions = parser.add_subparsers(dest="presets_action", metavar="ACTION", required=True)

    validate = actions.add_parser(
        "validate", help="check a presets file as 'push' would; exit 1 naming each problem",
        description="Check a presets file. With an endpoint (--endpoint-url or AWS_ENDPOINT_URL, e.g. the "
                    "embedded cloud) or --deployed, also check it against the deployed stack exactly as "
                    "'push' does: outputs overlapping the source bucket, settings that need a redeploy.",
    )
    _add_path(validate)
    validate.add_argument("--source-bucket", help="also refuse outputs that would land in this source bucket")
    validate.add_argument("--output-bucket", help="the output bucket the stack uses (with --source-bucket)")
    validate.add_argument("--deployed", action="store_true",
                          help="check against the deployed stack on AWS too (implied by an endpoint)")
    _add_live_arguments(validate)
    validate.set_defaults(handler=cmd_validate)

    diff = actions.add_parser("diff", help="compare the file with the live parameter; count stale manifests")
    _add_path(diff)
    _add_live_arguments(diff)
    diff.add_argument(
        "--bucket", help="output bucket to scan for manifests (default: live presets or stack output)"
    )
    diff.add_argument("--no-stale", action="store_true", help="skip scanning the output bucket for manifests")
    diff.add_argument(
        "--exit-code", action="store_true", help="exit 2 when the file differs from the live presets"
    )
    diff.set_defaults(handler=cmd_diff)

    push = actions.add_parser("push", help="validate the file, then overwrite the live parameter")
    _add_path(push)
    _add_live_arguments(push)
    push.add_argument("--source-bucket", help="source bucket name (default: stack output SourceBucketName)")
    push.add_argument("--output-bucket", help="output bucket name (default: stack output OutputBucketName)")
    push.add_argument(
        "--force",
        action="store_true",
        help=f"push even if {', '.join(REDEPLOY_REQUIRED)} changed (they need a redeploy to work)",
    )
    push.set_defaults(handler=cmd_push)

    _register_schema(actions)


def _register_schema(actions: argparse._SubParsersAction) -> None:
    schema = actions.add_parser(
        "schema", help=f"print the JSON Schema generated from the model ({SCHEMA_FILE})"
    )
    mode = schema.add_mutually_exclusive_group()
    mode.add_argument(
        "--write", metavar="PATH", nargs="?", const=SCHEMA_FILE, help=f"write it (default {SCHEMA_FILE})"
    )
    mode.add_argument(
        "--check", metavar="PATH", nargs="?", const=SCHEMA_FILE, help="exit 1 if PATH is out of date"
    )
    schema.set_defaults(handler=cmd_schema)


def _add_path(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", default=DEFAULT_PATH, metavar="PATH", help=f"default {DEFAULT_PATH}"
    )


def _add_live_arguments(parser: argparse.ArgumentParser) -> None:
    from imgfan.aws import add_cloud_arguments, add_presets_parameter_argument

    add_cloud_arguments(parser)
    add_presets_parameter_argument(parser)


# ---- validate / schema ------------------------------------------------------------------------


def _load(path: str) -> PresetsFile:
    """The file and its validated model; CommandError naming the file, then one line per bad field."""
    try:
        return load_presets_file(path)
    except InvalidPresets as exc:
        raise CommandError(str(exc)) from None


def _check_location(file: PresetsFile, source_bucket: str | None, output_bucket: str | None) -> None:
    """Refuse outputs that would land where the pipeline listens, in the file's own words."""
    try:
        check_output_location(file.config, source_bucket, output_bucket)
    except InvalidPresets as exc:
        # The loader's shape, so both refusals read alike: "{path} is invalid:", indented lines.
        raise CommandError(f"{file.path} is invalid:\n" + _indent(str(exc))) from None


def cmd_validate(args: argparse.Namespace) -> int:
    from imgfan.live import Stack

    file = _load(args.path)
    _check_location(file, args.source_bucket, args.output_bucket)
    checked = "(not checked against a deployed stack: pass --deployed, or --endpoint-url for the embedded cloud)"
    if args.deployed or args.endpoint_url:
        stack = Stack.from_args(args)
        _refuse_what_push_refuses(stack, file, args)
        checked = f"and pushable to stack {stack.name} at {stack.cloud.endpoint_url or 'AWS'}"
    print(f"{args.path}: valid, {len(file.config.presets)} presets, presets_hash {presets_hash(file.config)} "
          + checked)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    text = json_schema_text()
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
        print(f"wrote {args.write}")
    elif args.check:
        try:
            current = Path(args.check).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{args.check}: cannot read: {exc.strerror or exc}") from None
        if current != text:
            raise CommandError(
                f"{args.check} is out of date; run 'imgfan presets schema --write {args.check}'"
            )
        print(f"{args.check}: up to date")
    else:
        sys.stdout.write(text)
    return 0


# ---- push -------------------------------------------------------------------------------------


def cmd_push(args: argparse.Namespace) -> int:
    from imgfan.live import Stack, write_presets

    file = _load(args.path)
    stack = Stack.from_args(args)
    changes = _refuse_what_push_refuses(stack, file, args)
    name = stack.presets_parameter(args.parameter_name)
    version = write_presets(stack.client("ssm"), name, file.document)
    for line in changes.lines():
        print(line)
    print(f"pushed {args.path} to {name} (version {version}, presets_hash {presets_hash(file.config)})")
    _print_what_happens_next(stack, changes)
    return 0


def _refuse_what_push_refuses(stack: Stack, file: PresetsFile, args: argparse.Namespace) -> PresetsDiff:
    """What push checks against the deployed stack; CommandError for what it refuses."""
    from imgfan_core.stack_names import Output

    name = stack.presets_parameter(args.parameter_name)
    source_bucket = args.source_bucket or _deployed(stack, Output.SOURCE_BUCKET, args.parameter_name)
    output_bucket = args.output_bucket or _deployed(stack, Output.OUTPUT_BUCKET, args.parameter_name)
    _check_location(file, source_bucket, output_bucket)
    if source_bucket:
        _check_overlays_exist(stack, file, source_bucket)
    changes = diff_configs(_replaceable_live_config(stack, name), file.config)
    blocked = changes.redeploy_required()
    if blocked and not getattr(args, "force", False):
        raise CommandError(
            f"{', '.join(blocked)} changed; the deployed stack's permissions and wiring cover only the old "
            "value, so every write would fail. Redeploy instead (cdk deploy, or restart 'imgfan local up "
            f"--presets {file.path}'), or pass --force to push"
        )
    return changes


def _check_overlays_exist(stack: Stack, file: PresetsFile, source_bucket: str) -> None:
    """Every overlay picture the file names must be in the source bucket: else each of those
    presets' variants would fail (InvalidOverlay) on every upload until someone uploads it."""
    from imgfan.live.sources import source_exists

    s3 = stack.client("s3")
    missing = [f"presets[{index}].overlay.image (preset '{preset.name}'): s3://{source_bucket}/{preset.overlay.image} "
               "does not exist; upload the picture first, or fix the key"
               for index, preset in enumerate(file.config.presets)
               if preset.overlay is not None and not source_exists(s3, source_bucket, preset.overlay.image)]
    if missing:
        raise CommandError(f"{file.path} is invalid:\n" + _indent("\n".join(missing)))


def _print_what_happens_next(stack: Stack, changes: PresetsDiff) -> None:
    """When the new presets apply, and what becomes of the variants of removed presets."""
    cache = stack.presets_cache_seconds()
    within = f"within {cache} s (the dispatcher's presets cache, -c presetsCacheSeconds)" if cache is not None \
        else "once the dispatcher's presets cache expires (-c presetsCacheSeconds, 30 s by default)"
    print(f"new uploads use these presets {within}; existing images keep their variants until re-rendered "
          "('imgfan backfill --only-stale')")
    if changes.removed:
        print(
            f"removed presets ({', '.join(changes.removed)}): their variants stay until each image has rendered "
            "twice more (the finalizer keeps the previous manifest's variants for readers of that manifest); "
            "'imgfan backfill --prune' re-renders every image, so running it twice removes them"
        )


def _deployed(stack: Stack, output_name: str, explicit_parameter: str | None) -> str | None:
    """A stack output, or None when the user addressed the parameter directly and there is no stack."""
    from imgfan.live import MissingOutput, StackNotFound

    try:
        return stack.output(output_name)
    except (StackNotFound, MissingOutput):
        if explicit_parameter:
            return None
        raise


def _replaceable_live_config(stack: Stack, name: str) -> PresetsConfig | None:
    """The live model to diff against; a broken live value is what push is for, so it only warns."""
    from imgfan.live import InvalidLivePresets, read_live_config

    try:
        return read_live_config(stack.client("ssm"), name)
    except InvalidLivePresets as exc:
        print(f"warning: live parameter {name} is invalid and will be replaced:", file=sys.stderr)
        print(_indent(exc.problems), file=sys.stderr)
        return None


# ---- diff -------------------------------------------------------------------------------------


def cmd_diff(args: argparse.Namespace) -> int:
    from imgfan.live import Stack, read_live_config

    file = _load(args.path)
    stack = Stack.from_args(args)
    name = stack.presets_parameter(args.parameter_name)
    live = read_live_config(stack.client("ssm"), name)
    changes = diff_configs(live, file.config)
    print(f"{args.path} vs parameter {name}")
    for line in changes.lines():
        print(line)
    if not args.no_stale:
        # Existing manifests live where the *live* presets put them.
        _print_stale_count(stack, args.bucket, live or file.config, file.config)
    if changes.differs:
        print("if pushed:")
        _print_what_happens_next(stack, changes)
    return 2 if args.exit_code and changes.differs else 0


def _print_stale_count(stack: Stack, bucket: str | None, where: PresetsConfig, new: PresetsConfig) -> None:
    """How many manifests carry a presets_hash other than the new file's for their source key
    (only the presets that apply to a key count); unreadable ones count too."""
    from imgfan.live import manifest_hashes
    from imgfan_core.keys import MANIFEST_NAME

    bucket = bucket or stack.output_bucket_for(where)
    prefix = where.output.prefix
    hashes = manifest_hashes(stack.client("s3"), bucket, prefix)
    source_key = lambda manifest_key: manifest_key[len(prefix):-len("/" + MANIFEST_NAME)]
    stale = sum(1 for key, digest in hashes.items() if digest != presets_hash(new, source_key(key)))
    print(
        f"manifests in s3://{bucket}/{prefix}: {len(hashes)}, stale after push: {stale} "
        f"(presets_hash other than {presets_hash(new)}; 'imgfan backfill --only-stale' re-renders them)"
    )


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
