"""Every command the documentation shows is run somewhere, or says why it cannot be.

Getting started's commands run in test_getting_started.py; a command on any other page (or in
README.md) that is the same command is covered by that. Every other one is listed here, with
the files that run it (each must contain the text given, so the entry goes stale loudly when the
test moves) or the reason nothing can run it in `make test`. An entry no page shows any more
fails too, so the lists stay the page's. The code blocks that are not commands must parse.
"""

from __future__ import annotations

import ast
import json

import pytest
from doc_pages import DOCS, REPO_ROOT, blocks, commands, pages

GETTING_STARTED = {command.bare for command in commands(DOCS / "getting-started.md")}

EXAMPLE_TEST = "tests/examples/test_existing_bucket_example.py"
RUN_ELSEWHERE: dict[str, list[tuple[str, str]]] = {
    "python -m build": [(EXAMPLE_TEST, '"-m", "build"')],
    "pip install dist/imgfan-*.whl": [(EXAMPLE_TEST, '"install", "--quiet", "--disable-pip-version-check", "--no-compile", str(wheel)')],
    # What `cdk synth` does: run the app with CDK_OUTDIR and CDK_CONTEXT_JSON.
    'cdk synth --app "python app.py" -c uploadsBucket=my-app-uploads': [
        (EXAMPLE_TEST, '"CDK_OUTDIR": str(app / "cdk.out")'), (EXAMPLE_TEST, '"app.py"')],
    "imgfan local up --app cdk.out --stack-name ExistingBucketApp --bucket my-app-uploads": [
        (EXAMPLE_TEST, '"--app", str(assembly)'), (EXAMPLE_TEST, '"--bucket", BUCKET')],
    "imgfan backfill --only-stale --yes": [("tests/cloud/test_migration.py", '"--only-stale", "--yes"')],
    'imgfan executions show "inspect/some photo.jpg"': [
        ("tests/cloud/test_executions_cli.py", 'KEY = "inspect/some photo.jpg"'),
        ("tests/cloud/test_executions_cli.py", 'cli("executions", "show", KEY)')],
    ".venv/bin/pytest tests/engine -q": [("tests/engine/test_geometry.py", "def test_")],
    '.venv/bin/pytest -m "not cloud" -q': [("pyproject.toml", '"cloud: runs against the embedded cloud')],
    "make docs": [("Makefile", "$(BIN)/mkdocs serve"), ("tests/docs/test_site.py", '"mkdocs", "build", "--strict"')],
    ".venv/bin/pip install -e '.[bench]'": [("Makefile", "pip install --quiet -e '.[dev,bench]'")],
    "imgfan local up --faults kill=0.05,s3-error=0.02,seed=7": [
        ("tests/local/test_fault_plan.py", '["local", "up", "--faults", "kill=0.1,seed=3"]')],
    "IMGFAN_FAULTS=duplicate=0.1 imgfan local up": [
        ("tests/local/test_fault_plan.py", 'monkeypatch.setenv("IMGFAN_FAULTS", "duplicate=0.5")')],
    "curl -s http://127.0.0.1:4566/_imgfan/faults": [("tests/local/test_fault_middleware.py", "control(cloud)")],
    "curl -s -X POST -d '{\"faults\": \"throttle-start=1\"}' http://127.0.0.1:4566/_imgfan/faults": [
        ("tests/local/test_fault_middleware.py", 'control(cloud, {"faults": "duplicate=0.25,seed=4"})')],
    "curl -s -X POST -d '{\"faults\": \"none\"}' http://127.0.0.1:4566/_imgfan/faults": [
        ("tests/local/test_fault_middleware.py", 'control(cloud, {"faults": "duplicate=0.25,seed=4"})'),
        ("tests/local/test_fault_middleware.py", 'faults("none")')],
    "aws events put-rule --name imgfan-to-app --event-pattern "
    "'{\"source\": [\"imgfan\"], \"detail-type\": [\"Manifest Written\"]}'": [
        ("tests/cloud/test_generations.py", "events.put_rule(")],
    "aws events put-targets --rule imgfan-to-app --targets Id=app,Arn=arn:aws:sqs:REGION:ACCOUNT:app-queue": [
        ("tests/cloud/test_generations.py", "events.put_targets(")],
}

AWS_ACCOUNT = "needs an AWS account and its credentials"
BENCHMARK = "a benchmark over the reader's photos: minutes of CPU, the bench extra; never part of make test"
NOT_RUN: dict[str, str] = {
    "export AWS_PROFILE=my-profile AWS_REGION=eu-west-1": AWS_ACCOUNT,
    "npx aws-cdk@2 bootstrap": AWS_ACCOUNT,
    "npx aws-cdk@2 deploy Imgfan": AWS_ACCOUNT,
    "npx aws-cdk@2 deploy Imgfan -c workflowType=EXPRESS -c alarmEmail=ops@example.com": AWS_ACCOUNT,
    "npx aws-cdk@2 destroy Imgfan": AWS_ACCOUNT,
    "make bench PHOTOS=~/Pictures": BENCHMARK,
    "make bench PHOTOS=benchmarks/photos": BENCHMARK,
    ".venv/bin/python benchmarks/held_out_photos.py benchmarks/photos":
        "downloads 70 MB from GitHub; tests/test_held_out_photos.py runs it against a local mirror",
    ".venv/bin/python benchmarks/quality.py": BENCHMARK,
    ".venv/bin/python benchmarks/render_vs_vips.py --repeat 3 --simd-lanczos benchmarks/photos": BENCHMARK,
    ".venv/bin/python benchmarks/resample.py --repeat 3 benchmarks/photos": BENCHMARK,
    ".venv/bin/python benchmarks/quality.py src/imgfan/samples ~/Pictures --limit 5 --rows": BENCHMARK,
    ".venv/bin/python benchmarks/quality.py ~/Pictures --target 80": BENCHMARK,
    ".venv/bin/python benchmarks/encoder_settings.py ~/Pictures --preset medium --settings 5 6 7 8 9": BENCHMARK,
    ".venv/bin/python benchmarks/encoder_settings.py ~/Pictures --settings 4 5 6 7 8 9 --qualities 60 --no-score":
        BENCHMARK,
    ".venv/bin/python benchmarks/encoder_settings.py ~/Pictures --preset medium --settings 6 --qualities 30 40 50 "
    "60 70 --tunes ssim iq": BENCHMARK,
    ".venv/bin/python benchmarks/quality.py ../shared/corpus/sharp ../shared/corpus/image-bench --limit 2 "
    "--presets benchmarks/presets-formats.json --formats --rows --repeat 2 --jobs 2": BENCHMARK,
    ".venv/bin/python benchmarks/encoder_settings.py ../shared/corpus/sharp ../shared/corpus/image-bench --limit 2 "
    "--format jxl --preset medium --settings 3 4 5 6 7 8 --qualities 70 80 90": BENCHMARK,
}

SHOWN = [command for page in pages() for command in commands(page)]


def test_every_command_shown_is_run_or_says_why_not():
    unaccounted = [f"{command.where()}: {command.bare}" for command in SHOWN
                   if command.bare not in GETTING_STARTED | RUN_ELSEWHERE.keys() | NOT_RUN.keys()]
    assert unaccounted == [], "add each to getting-started.md, RUN_ELSEWHERE or NOT_RUN"


def test_every_listed_command_is_still_shown():
    shown = {command.bare for command in SHOWN}
    assert sorted((RUN_ELSEWHERE.keys() | NOT_RUN.keys()) - shown) == []


def test_no_command_is_both_run_and_excused():
    assert RUN_ELSEWHERE.keys() & NOT_RUN.keys() == set()
    assert GETTING_STARTED & NOT_RUN.keys() == set()


@pytest.mark.parametrize("command", sorted(RUN_ELSEWHERE))
def test_the_files_said_to_run_a_command_do(command):
    for path, text in RUN_ELSEWHERE[command]:
        assert text in (REPO_ROOT / path).read_text(encoding="utf-8"), f"{path} lacks {text!r}"


def test_code_blocks_parse():
    problems = []
    for page in pages():
        for block in blocks(page):
            source = "\n".join(block.lines)
            where = f"{page.relative_to(REPO_ROOT)}:{block.line}"
            try:
                if block.lang == "python":
                    ast.parse(source)
                elif block.lang == "json":
                    json.loads(source)
            except (SyntaxError, ValueError) as exc:
                problems.append(f"{where}: {exc}")
    assert problems == []


def test_pages_show_commands_and_code():
    # The checks above pass vacuously on pages the parser cannot read.
    languages = {block.lang for page in pages() for block in blocks(page)}
    assert {"sh", "console", "python", "json"} <= languages
    assert len(SHOWN) > 40
