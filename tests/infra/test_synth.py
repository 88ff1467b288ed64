"""imgfan.synth: invalid input fails with a message naming the field; the cache key covers the inputs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from imgfan import synth

pytestmark = pytest.mark.synth

REPO_ROOT = Path(__file__).resolve().parents[2]


def _presets(**changes) -> dict:
    document = json.loads((REPO_ROOT / "presets.json").read_text())
    document.pop("$schema", None)
    document.update(changes)
    return document


def test_invalid_presets_fail_synth_naming_the_field(tmp_path):
    document = _presets()
    document["presets"][1]["fit"] = "squash"
    bad = tmp_path / "presets.json"
    bad.write_text(json.dumps(document))
    with pytest.raises(synth.SynthError) as failure:
        synth.synthesize({"presetsFile": str(bad)}, quiet=True)
    message = str(failure.value)
    assert message.startswith(f"{bad} is invalid:")
    # The field's path, however imgfan_core.presets spells it (presets.1.fit or presets[1].fit).
    assert re.search(r"presets(\.1\.|\[1\]\.)fit", message), message
    assert "Traceback" not in message


def test_bad_context_fails_synth_naming_the_setting(capsys):
    from imgfan.cli import main

    assert main(["synth", "--context", "workflowType=SOMETIMES"]) == 1
    err = capsys.readouterr().err
    assert "workflowType" in err and "STANDARD, EXPRESS" in err


def test_a_bad_setting_is_reported_before_cdk_is_loaded():
    probe = ("import sys; from infra import app; code = app.main(); "
             "print(code, sorted({m.split('.')[0] for m in sys.modules} & {'aws_cdk', 'jsii'}))")
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"workflowType": "SOMETIMES"})}
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            check=False)
    assert result.stdout.split() == ["1", "[]"], result.stdout + result.stderr
    assert "workflowType" in result.stderr


@pytest.mark.parametrize("value", ["-1", "3601", "soon"])
def test_presets_cache_seconds_out_of_range_fails_synth(value, capsys):
    from imgfan.cli import main

    assert main(["synth", "--context", f"presetsCacheSeconds={value}"]) == 1
    assert "presetsCacheSeconds" in capsys.readouterr().err


def _fake_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for name in synth.INPUT_DIRS:
        (root / name).mkdir(parents=True)
        (root / name / "file.txt").write_text(name)
    (root / "presets.json").write_text("{}")
    return root


@pytest.mark.parametrize("changed", ["infra/file.txt", "statemachine/file.txt", "functions/file.txt",
                                     "src/imgfan_core/file.txt", "presets.json", "functions/new.py"])
def test_cache_key_changes_with_every_input(tmp_path, changed):
    root = _fake_repo(tmp_path)
    before = synth.assembly_hash(root, {})
    (root / changed).write_text("changed")
    assert synth.assembly_hash(root, {}) != before


def test_cache_key_ignores_bytecode_and_depends_on_context(tmp_path):
    root = _fake_repo(tmp_path)
    before = synth.assembly_hash(root, {})
    (root / "infra" / "__pycache__").mkdir()
    (root / "infra" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert synth.assembly_hash(root, {}) == before
    assert synth.assembly_hash(root, {"workflowType": "EXPRESS"}) != before


def test_relative_presets_path_is_the_callers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert synth._normalise_context({"presetsFile": "p.json", "kmsKey": True}, tmp_path) == {
        "presetsFile": str(tmp_path / "p.json"), "kmsKey": "true"}


def test_second_synth_is_served_from_the_cache(standard, monkeypatch):
    def no_synth(*args, **kwargs):
        raise AssertionError("synthesized again although nothing changed")

    monkeypatch.setattr(synth, "_run_app", no_synth)
    assert synth.synthesize({"nag": "true"}, quiet=True) == standard.assembly
    assert synth.template_path(standard.assembly).is_file()


def test_synth_command_prints_the_template_path(standard, capsys):
    from imgfan.cli import main

    assert main(["synth", "-c", "nag=true"]) == 0
    assert capsys.readouterr().out.strip() == str(standard.path)


def test_synthesize_many_fills_the_cache_in_one_process_and_skips_what_is_cached(standard, tmp_path, monkeypatch):
    # A presets file of this test's own: its path is part of the cache key, so it is a miss.
    (tmp_path / "presets.json").write_text((REPO_ROOT / "presets.json").read_text())
    contexts = [{"presetsFile": str(tmp_path / "presets.json")}]
    invalid = {"workflowType": "SOMETIMES"}

    def no_single_synth(*args, **kwargs):
        raise AssertionError("synthesized one context on its own")

    monkeypatch.setattr(synth, "_run_app", no_single_synth)
    made = synth.synthesize_many([*contexts, {"nag": "true"}, invalid])
    # The cached context is not made again, the invalid one is left for synthesize() to report.
    assert made == [synth.synthesize(context, quiet=True) for context in contexts]
    assert standard.assembly not in made
    assert not list((REPO_ROOT / ".imgfan-cache" / "synth").glob(".jobs-*"))
    monkeypatch.undo()
    with pytest.raises(synth.SynthError, match="workflowType"):
        synth.synthesize(invalid, quiet=True)
    # The same template as the app run on its own for that context (`cdk synth`'s way).
    alone = synth.synthesize(contexts[0], outdir=tmp_path / "alone", quiet=True)
    assert synth.template_path(alone).read_bytes() == synth.template_path(made[0]).read_bytes()
