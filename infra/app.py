"""Entry point of the CDK app: ``python -m infra.app`` (what cdk.json runs).

Context settings are documented in docs/deploy/settings.md and parsed in ``infra.settings``. A bad
presets file or setting stops synthesis with one line naming the field, not a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from imgfan_core.errors import InvalidPresets
from imgfan_core.stack_names import STACK_NAME
from infra.settings import SettingsError, read_settings

if TYPE_CHECKING:
    from aws_cdk import App

    from infra.stack import ImgfanStack

# Feature flags the stack relies on, set here (not only in cdk.json) so that `imgfan synth`,
# the tests and `cdk synth` produce the same template.
FEATURE_FLAGS = {
    # Grant log delivery through a bucket policy instead of ACLs, so every bucket can keep
    # ACLs disabled (BucketOwnerEnforced).
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def build(app: App) -> ImgfanStack:
    from aws_cdk import Aspects

    from infra.stack import ImgfanStack

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
    try:
        # What the CDK CLI (or imgfan.synth) passed is checked before aws-cdk-lib is loaded and its
        # Node process started: a mistake is reported in a fraction of a second, not after 2 s.
        # build() checks the app's whole context again (cdk.json's and the flags above included).
        read_settings(json.loads(os.environ.get("CDK_CONTEXT_JSON") or "{}"), Path.cwd())
        from aws_cdk import App

        app = App(context=FEATURE_FLAGS)
        build(app)
    except (SettingsError, InvalidPresets) as exc:
        print(f"imgfan synth: {exc}", file=sys.stderr)
        return 1
    app.synth()
    return 0


def synth_many(jobs_file: str) -> int:
    """Synthesize one assembly per job of ``jobs_file`` ([{"context", "outdir"}], from
    ``imgfan.synth.synthesize_many``) in this one process, printing ``done <index>`` after each.
    A job that fails is skipped: ``synthesize`` runs it alone and reports its error."""
    from aws_cdk import App

    parent = os.getppid()
    for index, job in enumerate(json.loads(Path(jobs_file).read_text())):
        if os.getppid() != parent:
            return 1  # whoever asked has gone; nobody will move these assemblies into place
        app = App(context={**FEATURE_FLAGS, **job["context"]}, outdir=job["outdir"])
        try:
            build(app)
            app.synth()
        except Exception as exc:  # noqa: BLE001 - reported by synthesize() when it runs the job alone
            print(f"failed {index}: {exc}", file=sys.stderr, flush=True)
            continue
        print(f"done {index}", flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--many"] and len(sys.argv) == 3:
        sys.exit(synth_many(sys.argv[2]))
    sys.exit(main())
