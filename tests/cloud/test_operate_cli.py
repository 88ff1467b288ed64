"""Operating the deployed pipeline: validate refuses what push refuses, what a push changes and
when, and backfill --prune re-rendering images that are up to date."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

pytestmark = pytest.mark.cloud

PHOTO = (Path(str(resources.files("imgfan") / "samples")) / "nikon-with-gps.jpg").read_bytes()
# tests/conftest.py deploys the test stack with presetsCacheSeconds=1.
CACHE_SECONDS = 1


def test_validate_against_the_deployed_stack_refuses_what_push_refuses(cli, pipeline, write_presets, repo_presets):
    repo_presets["output"]["bucket"] = pipeline.source_bucket
    path = str(write_presets(repo_presets))
    code, _, refused_by_push = cli("presets", "push", path)
    assert code == 1
    code, out, refused_by_validate = cli("presets", "validate", path)
    assert (code, out) == (1, "")
    assert refused_by_validate.removeprefix("imgfan presets: ") == refused_by_push.removeprefix("imgfan presets: ")
    assert "output.prefix:" in refused_by_validate


def test_validate_without_an_endpoint_says_it_did_not_check_a_deployment(monkeypatch, write_presets, repo_presets,
                                                                        capsys):
    from imgfan.cli import main

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert main(["presets", "validate", str(write_presets(repo_presets))]) == 0
    assert "(not checked against a deployed stack" in capsys.readouterr().out


def test_diff_says_when_a_push_applies_and_what_becomes_of_a_removed_presets_variants(cli, write_presets,
                                                                                      repo_presets):
    removed = repo_presets["presets"].pop()["name"]
    code, out, err = cli("presets", "diff", str(write_presets(repo_presets)), "--no-stale")
    assert code == 0, err
    assert f"- preset {removed}" in out
    assert f"new uploads use these presets within {CACHE_SECONDS} s (the dispatcher's presets cache" in out
    assert f"removed presets ({removed}): their variants stay until each image has rendered twice more" in out
    assert "'imgfan backfill --prune' re-renders every image" in out


def test_backfill_prune_re_renders_an_up_to_date_image_each_time(cli, pipeline):
    key = "prune/photo.jpg"
    pipeline.upload(key, PHOTO)
    first = pipeline.manifest(key)
    code, out, err = cli("backfill", "--prefix", "prune/", "--only-stale")
    assert code == 0 and "1 up to date; 0 executions to start" in out, err
    names = []
    for _ in range(2):
        before = len(pipeline.executions())
        code, out, err = cli("backfill", "--prefix", "prune/", "--prune")
        assert code == 0, err
        assert "enqueued 1" in out
        assert "run 'imgfan backfill --prune' again" in out
        pipeline.cloud.wait_until_idle(timeout=60)
        assert len(pipeline.executions()) == before + 1
        names.append(pipeline.wait_for_manifest_with(
            key, lambda m: m["execution"]["name"] not in [first["execution"]["name"], *names])["execution"]["name"])
        # The dispatcher named it as the CLI's planning does, with this run's marker.
        [marker] = re.findall(r"prune run (prune@\S+):", out)
        assert names[-1] == predicted_name(pipeline, key, marker)
    assert len(set(names)) == 2


def predicted_name(pipeline, key: str, marker: str) -> str:
    from imgfan.backfill import plan_backfill
    from imgfan_core.presets import parse_presets

    config = parse_presets(pipeline.ssm.get_parameter(Name=pipeline.outputs["PresetsParameterName"])["Parameter"]["Value"])
    head = pipeline.s3.head_object(Bucket=pipeline.source_bucket, Key=key)
    listed = {"Key": key, "ETag": head["ETag"], "Size": head["ContentLength"]}
    [planned] = plan_backfill([listed], config, pipeline.source_bucket, pipeline.output_bucket, None, marker).to_start
    return planned.request.name


def test_prune_and_only_stale_exclude_each_other(cli):
    code, _, err = cli("backfill", "--prune", "--only-stale")
    assert code == 1 and "--prune re-renders every image; leave out --only-stale" in err


def test_render_takes_a_folder_and_names_its_presets_file(tmp_path, capsys):
    from imgfan.cli import main

    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a photo.jpg").write_bytes(PHOTO)
    (folder / "notes.txt").write_text("not an image, and not an image suffix")
    presets = Path(__file__).resolve().parents[2] / "presets.json"
    assert main(["render", str(folder), "--presets", str(presets), "--out", str(tmp_path / "out")]) == 0
    lines = capsys.readouterr().out.splitlines()
    count = len(json.loads(presets.read_text())["presets"])
    assert lines[0].startswith(f"presets: {presets} ({count} presets, presets_hash ")
    assert len(lines) == 2 and lines[1].startswith(f"{folder / 'a photo.jpg'}: ")
