"""Entry point of the CDK app: ``python -m infra.app`` (what cdk.json runs).

Context settings are documented in README.md ("Context settings") and parsed in ``infra.settings``. A bad
presets file or setting stops synthesis with one line naming the field, not a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aws_cdk import App, Aspects

from imgfan_core.errors import InvalidPresets
from imgfan_core.presets import PresetsConfig, parse_presets

from infra.nag import apply_suppressions
from infra.settings import Settings, SettingsError, read_settings
from infra.stack import ImgfanStack

STACK_NAME = "Imgfan"
# Feature flags the stack relies on, set here (not only in cdk.json) so that `imgfan synth`,
# the tests and `cdk synth` produce the same template.
FEATURE_FLAGS = {
    # Grant log delivery through a bucket policy instead of ACLs, so every bucket can keep
    # ACLs disabled (BucketOwnerEnforced).
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


class SynthError(Exception):
    pass


def load_presets(settings: Settings) -> tuple[str, PresetsConfig]:
    path = settings.presets_file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SynthError(f"cannot read presets file {path}: {exc.strerror}") from None
    try:
        return text.strip(), parse_presets(text)
    except InvalidPresets as exc:
        raise SynthError(f"invalid presets file {path}:\n{exc}") from None


def build(app: App) -> ImgfanStack:
    try:
        settings = read_settings(app.node.try_get_context, Path.cwd())
    except SettingsError as exc:
        raise SynthError(str(exc)) from None
    presets_text, presets = load_presets(settings)
    stack = ImgfanStack(
        app, STACK_NAME,
        settings=settings, presets=presets, presets_text=presets_text,
        description="imgfan: fan each uploaded image out into web-ready variants and a manifest",
    )
    apply_suppressions(stack)
    if settings.nag:
        from cdk_nag import AwsSolutionsChecks

        Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return stack


def main() -> int:
    app = App(context=FEATURE_FLAGS)
    try:
        build(app)
    except SynthError as exc:
        print(f"imgfan synth: {exc}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
