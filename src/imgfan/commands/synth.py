"""``imgfan synth``: synthesize the CDK stack (cached) and print the template's path."""

from __future__ import annotations

import argparse

from imgfan.commands import CommandError, context_pair


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "synth", help="synthesize the CDK stack and print the template path",
        description="Synthesize the Imgfan CDK stack (cached under .imgfan-cache/synth) and print the "
                    "path of Imgfan.template.json. Context settings are listed in docs/deploy/settings.md.",
    )
    parser.add_argument("--context", "-c", action="append", type=context_pair, default=[], metavar="KEY=VALUE",
                        help="CDK context setting, e.g. workflowType=EXPRESS (repeatable)")
    parser.add_argument("--outdir", help="write the cloud assembly here instead of the cache")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from imgfan.synth import SynthError, synthesize, template_path

    try:
        assembly = synthesize(dict(args.context), outdir=args.outdir)
    except SynthError as exc:
        raise CommandError(str(exc)) from None
    print(template_path(assembly))
    return 0
