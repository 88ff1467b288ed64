"""``imgfan presets validate|diff|push|schema``: edit presets safely, then change live behaviour.

``push`` writes the SSM parameter the dispatcher reads through a Parameters cache, so new
presets apply to the next uploads without a redeploy. ``diff`` shows what a push would change
and how many existing manifests it would make stale (their presets_hash would differ).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgfan.commands import CommandError
from imgfan_core.errors import InvalidPresets
from imgfan_core.keys import MANIFEST_NAME
from imgfan_core.presets import (
    SCHEMA_FILE,
    PresetsConfig,
    check_output_location,
    json_schema_text,
    parse_presets,
    presets_hash,
)

DEFAULT_PATH = "presets.json"
# Standard-tier SSM parameters hold 4 KB; beyond that only the Advanced tier fits.
_STANDARD_TIER_MAX = 4096
_STALE_SCAN_WORKERS = 16
# Settings the deployed stack baked in at synth time. Buckets and the output prefix scope the IAM
# grants, so pushing a change would make every write fail with AccessDenied: push refuses it.
REDEPLOY_REQUIRED = ("source.bucket", "output.bucket", "output.prefix")
# S3 notification filters and the Map's MaxConcurrency: a push is harmless but only narrows
# the source filter (the dispatcher re-checks it) and leaves concurrency as deployed.
REDEPLOY_TO_APPLY = ("source.prefix", "source.suffixes", "max_concurrency")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("presets", help="validate, diff and push the presets file")
    actions = parser.add_subparsers(dest="presets_action", metavar="ACTION", required=True)

    validate = actions.add_parser("validate", help="check a presets file; exit 1 naming each bad field")
    _add_path(validate)
    validate.add_argument("--source-bucket", help="also refuse outputs that would land in this source bucket")
    validate.add_argument("--output-bucket", help="the output bucket the stack uses (with --source-bucket)")
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
    from imgfan.aws import add_cloud_arguments

    add_cloud_arguments(parser)
    parser.add_argument(
        "--parameter-name",
        help="SSM parameter holding the live presets (default: stack output PresetsParameterName)",
    )


# ---- validate / schema ------------------------------------------------------------------------


def load_file(path: str | Path) -> tuple[dict[str, Any], PresetsConfig]:
    """The file's JSON and its validated model; CommandError with one line per bad field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        config = parse_presets(text)
    except InvalidPresets as exc:
        raise CommandError(f"{path} is invalid:\n" + _indent(str(exc))) from None
    return json.loads(text), config


def cmd_validate(args: argparse.Namespace) -> int:
    _, config = load_file(args.path)
    if args.source_bucket or args.output_bucket:
        try:
            check_output_location(config, args.source_bucket, args.output_bucket)
        except InvalidPresets as exc:
            raise CommandError(f"{args.path} is invalid:\n" + _indent(str(exc))) from None
    print(f"{args.path}: valid, {len(config.presets)} presets, presets_hash {presets_hash(config)}")
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


# ---- live parameter ---------------------------------------------------------------------------


@contextmanager
def aws_errors(what: str) -> Iterator[None]:
    """Turn botocore failures into one-line CommandErrors that say what was being attempted."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise CommandError(f"{what}: {error.get('Code', 'error')}: {error.get('Message', exc)}") from None
    except BotoCoreError as exc:
        raise CommandError(f"{what}: {exc}") from None


def parameter_name(cloud: Any, override: str | None) -> str:
    from imgfan.aws import OUTPUT_PRESETS_PARAMETER

    return override or cloud.output(OUTPUT_PRESETS_PARAMETER)


def read_live_presets(
    cloud: Any, name: str, tolerate_invalid: bool = False
) -> tuple[str | None, PresetsConfig | None]:
    """The parameter's text and model; (None, None) if it does not exist yet.

    A live value that no longer validates (a hand edit, an older imgfan) raises CommandError:
    guessing at its meaning would make diff and stale counts lie. ``push`` tolerates it and gets
    (text, None), since replacing a broken value is exactly what it is for.
    """
    ssm = cloud.client("ssm")
    try:
        with aws_errors(f"reading parameter {name}"):
            value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except CommandError as exc:
        if "ParameterNotFound" in str(exc):
            return None, None
        raise
    try:
        return value, parse_presets(value)
    except InvalidPresets as exc:
        if tolerate_invalid:
            print(f"warning: live parameter {name} is invalid and will be replaced:", file=sys.stderr)
            print(_indent(str(exc)), file=sys.stderr)
            return value, None
        raise CommandError(f"live parameter {name} is invalid:\n" + _indent(str(exc))) from None


def parameter_value(document: dict[str, Any]) -> str:
    """Compact JSON without the editor-only $schema: small enough for the Standard tier."""
    body = {k: v for k, v in document.items() if k != "$schema"}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def cmd_push(args: argparse.Namespace) -> int:
    from imgfan.aws import OUTPUT_OUTPUT_BUCKET, OUTPUT_SOURCE_BUCKET, Cloud

    document, config = load_file(args.path)
    cloud = Cloud.from_args(args)
    name = parameter_name(cloud, args.parameter_name)
    source_bucket = args.source_bucket or _optional_output(cloud, OUTPUT_SOURCE_BUCKET, args.parameter_name)
    output_bucket = args.output_bucket or _optional_output(cloud, OUTPUT_OUTPUT_BUCKET, args.parameter_name)
    try:
        check_output_location(config, source_bucket, output_bucket)
    except InvalidPresets as exc:
        raise CommandError(f"{args.path} is invalid:\n" + _indent(str(exc))) from None

    _, live = read_live_presets(cloud, name, tolerate_invalid=True)
    changes = diff_configs(live, config)
    blocked = changes.redeploy_required()
    if blocked and not args.force:
        raise CommandError(
            f"{', '.join(blocked)} changed; the deployed stack's permissions and wiring cover only the old "
            "value, so every write would fail. Redeploy instead (cdk deploy, or restart 'imgfan local up'), "
            "or pass --force"
        )
    value = parameter_value(document)
    request: dict[str, Any] = {"Name": name, "Value": value, "Type": "String", "Overwrite": True}
    if len(value.encode("utf-8")) > _STANDARD_TIER_MAX:
        request["Tier"] = "Advanced"
    with aws_errors(f"writing parameter {name}"):
        version = cloud.client("ssm").put_parameter(**request).get("Version")
    for line in changes.lines():
        print(line)
    print(
        f"pushed {args.path} to {name} (version {version}, presets_hash {presets_hash(config)}); "
        "the dispatcher applies it to new uploads once its parameter cache expires"
    )
    return 0


def _optional_output(cloud: Any, output_name: str, explicit_parameter: str | None) -> str | None:
    """A stack output, or None when the user addressed the parameter directly and there is no stack."""
    try:
        return cloud.output(output_name)
    except CommandError:
        if explicit_parameter:
            return None
        raise


# ---- diff -------------------------------------------------------------------------------------


@dataclass
class PresetsDiff:
    old_hash: str | None
    new_hash: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    settings: list[str] = field(default_factory=list)
    changed_settings: list[str] = field(default_factory=list)

    def redeploy_required(self) -> list[str]:
        return [key for key in self.changed_settings if key in REDEPLOY_REQUIRED]

    @property
    def differs(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.settings)

    def lines(self) -> list[str]:
        if self.old_hash is None:
            head = [f"live: (no parameter yet)  file: {self.new_hash}"]
        else:
            head = [f"presets_hash  live: {self.old_hash}  file: {self.new_hash}"]
        if not self.differs:
            return head + ["no changes"]
        body = [f"+ preset {name}" for name in self.added]
        body += [f"- preset {name}" for name in self.removed]
        for name, details in self.changed.items():
            body.append(f"~ preset {name}: " + "; ".join(details))
        body += [f"~ {line}" for line in self.settings]
        return head + body


def diff_configs(old: PresetsConfig | None, new: PresetsConfig) -> PresetsDiff:
    """Presets added, removed and changed (field by field, defaults filled in), and global settings."""
    result = PresetsDiff(presets_hash(old) if old else None, presets_hash(new))
    new_presets = {p.name: p.model_dump(mode="json") for p in new.presets}
    if old is None:
        result.added = list(new_presets)
        return result
    old_presets = {p.name: p.model_dump(mode="json") for p in old.presets}
    result.added = [name for name in new_presets if name not in old_presets]
    result.removed = [name for name in old_presets if name not in new_presets]
    for name, after in new_presets.items():
        before = old_presets.get(name)
        if before is not None and before != after:
            result.changed[name] = [
                f"{key} {_show(before.get(key))} → {_show(after.get(key))}"
                for key in after
                if before.get(key) != after.get(key)
            ]
    old_settings = _flatten(old.model_dump(mode="json", exclude={"schema_ref", "presets"}))
    new_settings = _flatten(new.model_dump(mode="json", exclude={"schema_ref", "presets"}))
    for key in sorted(set(old_settings) | set(new_settings)):
        if old_settings.get(key) != new_settings.get(key):
            note = ""
            if key in REDEPLOY_REQUIRED:
                note = "  (needs a redeploy; push refuses it)"
            elif key in REDEPLOY_TO_APPLY:
                note = "  (fully applies only after a redeploy)"
            result.changed_settings.append(key)
            result.settings.append(
                f"{key} {_show(old_settings.get(key))} → {_show(new_settings.get(key))}{note}"
            )
    return result


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            flat.update(_flatten(item, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = item
    return flat


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def manifest_hashes(s3: Any, bucket: str, prefix: str) -> dict[str, str | None]:
    """``{manifest key: its presets_hash}`` under ``prefix`` (None when unreadable).

    Backfill can reuse this: the source key is the manifest key minus the output prefix and
    ``/manifest.json``.
    """
    keys: list[str] = []
    with aws_errors(f"listing s3://{bucket}/{prefix}"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith("/" + MANIFEST_NAME)]

    def read_hash(key: str) -> str | None:
        with aws_errors(f"reading s3://{bucket}/{key}"):
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        try:
            digest = json.loads(body).get("presets_hash")
        except (ValueError, AttributeError):
            return None
        return digest if isinstance(digest, str) else None

    with ThreadPoolExecutor(max_workers=_STALE_SCAN_WORKERS) as pool:
        return dict(zip(keys, pool.map(read_hash, keys), strict=True))


def count_stale_manifests(s3: Any, bucket: str, prefix: str, current_hash: str) -> tuple[int, int]:
    """(manifests found, manifests whose presets_hash differs from ``current_hash``).

    An unreadable manifest counts as stale: it needs re-rendering as much as an old one.
    """
    hashes = manifest_hashes(s3, bucket, prefix)
    return len(hashes), sum(1 for digest in hashes.values() if digest != current_hash)


def cmd_diff(args: argparse.Namespace) -> int:
    from imgfan.aws import OUTPUT_OUTPUT_BUCKET, Cloud

    _, config = load_file(args.path)
    cloud = Cloud.from_args(args)
    name = parameter_name(cloud, args.parameter_name)
    _, live = read_live_presets(cloud, name)
    changes = diff_configs(live, config)
    print(f"{args.path} vs parameter {name}")
    for line in changes.lines():
        print(line)
    if not args.no_stale:
        # Existing manifests live where the *live* presets put them.
        where = live or config
        bucket = args.bucket or where.output.bucket or cloud.output(OUTPUT_OUTPUT_BUCKET)
        found, stale = count_stale_manifests(
            cloud.client("s3"), bucket, where.output.prefix, changes.new_hash
        )
        print(
            f"manifests in s3://{bucket}/{where.output.prefix}: {found}, stale after push: {stale} "
            f"(presets_hash other than {changes.new_hash}; 'imgfan backfill --only-stale' re-renders them)"
        )
    return 2 if args.exit_code and changes.differs else 0


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
