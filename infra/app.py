"""Entry point of the CDK app: ``python -m infra.app`` (what cdk.json runs).

Context settings are documented in docs/deploy/settings.md and parsed in ``infra.settings``. A bad
presets file or setting stops synthesis with one line naming the field, not a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aws_cdk import App, Aspects

from imgfan_core.errors import InvalidPresets
from imgfan_core.stack_names import STACK_NAME
from infra.settings import SettingsError, read_settings
from infra.stack import ImgfanStack

# Feature flags the stack relies on, set here (not only in cdk.json) so that `imgfan synth`,
# the tests and `cdk synth` produce the same template.
FEATURE_FLAGS = {
    # Grant log delivery through a bucket policy instead of ACLs, so every bucket can keep
    # ACLs disabled (BucketOwnerEnforced).
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def build(app: App) -> ImgfanStack:
    settings = read_settings(app.node.get_all_context(), Path.cwd())
    stack = ImgfanStack(
        app, STACK_NAME, settings=settings,
        description="imgfan: fan each uploaded image out into web-ready variants and a manifest",
    )
    if settings.nag:
        from cdk_nag import AwsSolutionsChecks

        Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return stack


def main() -> int:
    app = App(context=FEATURE_FLAGS)
    try:
        build(app)
    except (SettingsError, InvalidPresets) as exc:
        print(f"imgfan synth: {exc}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
