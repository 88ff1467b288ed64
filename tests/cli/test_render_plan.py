"""``imgfan render`` validates a presets file once per content and renders from the kept plan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from imgfan import render_plan
from imgfan.cli import main
from imgfan.render_plan import load_render_plan
from imgfan_core.errors import InvalidPresets
from imgfan_core.presets import load_presets_file, presets_hash

REPO = Path(__file__).resolve().parents[2]
PRESETS = {"presets": [
    {"name": "thumb", "width": 64, "height": 64, "fit": "cover", "format": "webp", "quality": 70},
    {"name": "small", "width": 120, "format": "jpeg", "quality": 80},
]}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("IMGFAN_CACHE_DIR", str(folder))
    return folder / render_plan.PLAN_FOLDER


@pytest.fixture
def presets(tmp_path):
    path = tmp_path / "presets.json"
    path.write_text(json.dumps(PRESETS))
    return path


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.radial_gradient("L").resize((300, 200)).convert("RGB").save(path, quality=90)
    return path


def _render(photo: Path, presets: Path, out: Path) -> dict:
    assert main(["render", str(photo), "--presets", str(presets), "--out", str(out)]) == 0
    return json.loads((out / photo.name / "manifest.json").read_text())


def test_a_kept_plan_renders_what_the_file_renders(cache, presets, photo, tmp_path):
    cold = _render(photo, presets, tmp_path / "cold")
    assert len(list(cache.glob("*.json"))) == 1
    warm = _render(photo, presets, tmp_path / "warm")
    for key in ("variants", "source", "presets_hash", "status"):
        assert warm[key] == cold[key]
    for variant in cold["variants"]:
        assert (tmp_path / "warm" / variant["key"]).read_bytes() == (tmp_path / "cold" / variant["key"]).read_bytes()
    config = load_presets_file(presets).config
    assert cold["presets_hash"] == presets_hash(config)


def test_a_render_from_a_kept_plan_does_not_load_pydantic(cache, presets, photo, tmp_path):
    program = ("import sys; from imgfan.cli import main; "
               f"code = main(['render', {str(photo)!r}, '--presets', {str(presets)!r}, '--out', {str(tmp_path / 'out')!r}]); "
               "print(code, 'pydantic' in sys.modules)")
    env = dict(os.environ, IMGFAN_CACHE_DIR=str(cache.parent))
    runs = [subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True)
            for _ in range(2)]
    assert [run.stdout.splitlines()[-1] for run in runs] == ["0 True", "0 False"]


def test_an_edited_file_is_validated_again(cache, presets):
    first = load_render_plan(presets)
    edited = {"presets": [{**PRESETS["presets"][0], "quality": 50}, PRESETS["presets"][1]]}
    presets.write_text(json.dumps(edited))
    second = load_render_plan(presets)
    assert second.presets[0].quality == 50 and first.presets[0].quality == 70
    assert second.presets_hash != first.presets_hash
    assert len(list(cache.glob("*.json"))) == 2


def test_an_invalid_file_is_refused_every_time_and_never_kept(cache, presets, photo, tmp_path, capsys):
    presets.write_text(json.dumps({"presets": [{"name": "thumb", "width": "64"}]}))
    for _ in range(2):
        assert main(["render", str(photo), "--presets", str(presets), "--out", str(tmp_path / "out")]) == 1
        err = capsys.readouterr().err
        assert "is invalid" in err and "presets[0].width" in err
    assert not cache.exists() or list(cache.iterdir()) == []


def test_a_file_that_is_not_utf8_gets_a_message_not_a_traceback(cache, presets):
    presets.write_bytes(b'{"presets": [\xff]}')
    with pytest.raises(InvalidPresets, match=r"is not UTF-8 text: byte 13 \(0xff\)"):
        load_render_plan(presets)
    with pytest.raises(InvalidPresets, match=r"is not UTF-8 text: byte 13 \(0xff\)"):
        load_presets_file(presets)


def test_a_damaged_plan_is_validated_again_and_rewritten(cache, presets):
    expected = load_render_plan(presets)
    [kept] = cache.glob("*.json")
    kept.write_text('{"presets": [{"name": ')
    assert load_render_plan(presets) == expected
    assert json.loads(kept.read_text())["presets_hash"] == expected.presets_hash


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path, monkeypatch, presets, photo):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("IMGFAN_CACHE_DIR", str(blocker))
    assert _render(photo, presets, tmp_path / "out")["status"] == "complete"


def test_the_cache_keeps_only_the_newest_plans(cache, presets, monkeypatch):
    monkeypatch.setattr(render_plan, "KEEP_PLANS", 3)
    for quality in range(60, 66):
        presets.write_text(json.dumps({"presets": [{**PRESETS["presets"][0], "quality": quality}]}))
        load_render_plan(presets)
    kept = sorted(json.loads(p.read_text())["presets"][0]["quality"] for p in cache.glob("*.json"))
    assert kept == [63, 64, 65]


def test_the_fingerprint_covers_every_module_validation_loads():
    # A kept plan is only as fresh as its key: any imgfan_core module the presets model reads must be in it.
    program = ("import sys, imgfan_core.presets; "
               "print('\\n'.join(m.__file__ for n, m in sys.modules.items() "
               "if n.startswith('imgfan_core') and getattr(m, '__file__', None)))")
    loaded = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    fingerprinted = {path.resolve() for path in render_plan.fingerprinted_files()}
    modules = {Path(line).resolve() for line in loaded.stdout.splitlines()}
    assert modules and modules <= fingerprinted
    assert any(path.parent.name == "pydantic" for path in fingerprinted)


def test_a_change_to_the_code_changes_the_key(monkeypatch, tmp_path):
    source = tmp_path / "model.py"
    source.write_text("A = 1\n")
    monkeypatch.setattr(render_plan, "fingerprinted_files", lambda: [source])
    before = render_plan._kept_file(b"{}")
    source.write_text("A = 2\n")
    assert render_plan._kept_file(b"{}") != before
