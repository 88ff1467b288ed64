"""`imgfan presets validate|schema` and the diff logic, without any cloud."""

from __future__ import annotations

import json

from imgfan.cli import main
from imgfan.live.presets import parameter_value
from imgfan.live.presets_diff import diff_configs
from imgfan_core.presets import json_schema_text, parse_presets, presets_hash


def test_validate_typo_exits_1_naming_the_key(write_presets, repo_presets, capsys):
    repo_presets["presets"][1]["qualty"] = 80
    path = write_presets(repo_presets)
    assert main(["presets", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "presets[1].qualty (preset 'small'): unknown field; did you mean 'quality'?" in err
    assert "Traceback" not in err


def test_validate_good_file_exits_0_with_hash(write_presets, repo_presets, capsys):
    path = write_presets(repo_presets)
    assert main(["presets", "validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"presets_hash {presets_hash(parse_presets(repo_presets))}" in out and "5 presets" in out


def test_validate_defaults_to_presets_json_in_the_working_directory(
    write_presets, repo_presets, monkeypatch, capsys
):
    path = write_presets(repo_presets)
    monkeypatch.chdir(path.parent)
    assert main(["presets", "validate"]) == 0
    assert capsys.readouterr().out.startswith("presets.json: valid")


def test_validate_missing_file_exits_1(tmp_path, capsys):
    assert main(["presets", "validate", str(tmp_path / "nope.json")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_validate_broken_json_exits_1_with_position(write_presets, capsys):
    path = write_presets('{"presets": [}')
    assert main(["presets", "validate", str(path)]) == 1
    assert "not valid JSON: line 1" in capsys.readouterr().err


def test_validate_with_real_bucket_names_refuses_overlap(write_presets, repo_presets, capsys):
    path = write_presets(repo_presets)
    assert main(["presets", "validate", str(path), "--source-bucket", "b", "--output-bucket", "b"]) == 1
    assert "output.prefix: output bucket 'b'" in capsys.readouterr().err
    assert main(["presets", "validate", str(path), "--source-bucket", "a", "--output-bucket", "b"]) == 0


def test_schema_check_and_write(tmp_path, capsys):
    target = tmp_path / "presets.schema.json"
    target.write_text("{}\n")
    assert main(["presets", "schema", "--check", str(target)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["presets", "schema", "--write", str(target)]) == 0
    assert target.read_text() == json_schema_text()
    assert main(["presets", "schema", "--check", str(target)]) == 0


def test_schema_prints_to_stdout(capsys):
    assert main(["presets", "schema"]) == 0
    assert json.loads(capsys.readouterr().out)["$defs"]["Preset"]


def test_diff_configs_lists_added_removed_changed_and_settings(repo_presets):
    old = parse_presets(repo_presets)
    edited = json.loads(json.dumps(repo_presets))
    edited["presets"] = [p for p in edited["presets"] if p["name"] != "social"]
    edited["presets"][0]["quality"] = 60
    edited["presets"].append({"name": "tiny", "width": 64, "format": "avif"})
    edited["limits"]["max_input_pixels"] = 10
    changes = diff_configs(old, parse_presets(edited))
    assert changes.added == ["tiny"]
    assert changes.removed == ["social"]
    assert changes.changed == {"thumb": ["quality 75 → 60"]}
    assert changes.settings == [f"limits.max_input_pixels {repo_presets['limits']['max_input_pixels']} → 10"]
    lines = changes.lines()
    assert (
        "+ preset tiny" in lines and "- preset social" in lines and "~ preset thumb: quality 75 → 60" in lines
    )


def test_diff_configs_against_nothing_adds_everything(repo_presets):
    changes = diff_configs(None, parse_presets(repo_presets))
    assert changes.added == [p["name"] for p in repo_presets["presets"]] and changes.old_hash is None


def test_diff_configs_identical_is_no_change(repo_presets):
    config = parse_presets(repo_presets)
    changes = diff_configs(config, parse_presets(json.dumps(repo_presets, indent=9)))
    assert not changes.differs and changes.lines()[-1] == "no changes"


def test_parameter_value_is_compact_and_drops_the_editor_hint(repo_presets):
    value = parameter_value(repo_presets)
    assert "$schema" not in value and "\n" not in value
    assert presets_hash(parse_presets(value)) == presets_hash(parse_presets(repo_presets))


def test_diff_configs_flags_settings_baked_in_at_deploy(repo_presets):
    old = parse_presets(repo_presets)
    edited = json.loads(json.dumps(repo_presets))
    edited["output"]["prefix"] = "v/"
    edited["max_concurrency"] = 8
    changes = diff_configs(old, parse_presets(edited))
    assert changes.redeploy_required() == ["output.prefix"]
    assert "max_concurrency 4 → 8  (fully applies only after a redeploy)" in changes.settings
    assert 'output.prefix "" → "v/"  (needs a redeploy; push refuses it)' in changes.settings
