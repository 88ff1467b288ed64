"""``imgfan render``: variants and a manifest per good file, one stderr line per bad one, exit 1."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from engine_helpers import FIXTURES
from PIL import Image

from imgfan.cli import main

REPO = Path(__file__).resolve().parents[2]
GOOD = ["Landscape_6.jpg", "p_trns_single.png", "iss634.gif", "cmyk-icc.jpg"]
BAD = {"truncated_jpeg.jpg": "CorruptImage", "decompression_bomb.gif": "ImageTooLarge",
       "notes.txt": "NotAnImage"}
PRESETS = {
    "presets": [
        {"name": "thumb", "width": 100, "height": 100, "fit": "cover", "position": "attention",
         "format": "webp"},
        {"name": "small", "width": 240, "fit": "inside", "format": "jpeg", "quality": 80},
        {"name": "keep", "width": 300, "format": "original"},
    ]
}


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in GOOD + [n for n in BAD if n != "notes.txt"]:
        shutil.copy(FIXTURES / name, folder / name)
    (folder / "notes.txt").write_text("not an image\n")
    presets = tmp_path / "presets.json"
    presets.write_text(json.dumps(PRESETS))
    return folder, presets


def test_render_good_and_bad_files(inputs, tmp_path, capsys):
    folder, presets = inputs
    out = tmp_path / "out"
    files = [str(folder / n) for n in GOOD + list(BAD)]
    code = main(["render", *files, "--presets", str(presets), "--out", str(out)])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == len(BAD), err
    for name, error in BAD.items():
        line = next(line for line in err if name in line)
        assert error in line and "Traceback" not in line
    for name in GOOD:
        manifest = json.loads((out / name / "manifest.json").read_text())
        assert manifest["status"] == "complete"
        assert [v["preset"] for v in manifest["variants"]] == ["thumb", "small", "keep"]
        for variant in manifest["variants"]:
            path = out / variant["key"]
            assert path.is_file()
            with Image.open(path) as image:
                assert image.size == (variant["width"], variant["height"])
    assert (out / "Landscape_6.jpg" / "small.jpg").is_file()
    assert (out / "p_trns_single.png" / "keep.png").is_file()
    with Image.open(out / "Landscape_6.jpg" / "thumb.webp") as thumb:
        assert thumb.size == (100, 100)
    failed = json.loads((out / "truncated_jpeg.jpg" / "manifest.json").read_text())
    assert failed["status"] == "failed"


def test_render_json_summary(inputs, tmp_path, capsys):
    folder, presets = inputs
    out = tmp_path / "out"
    code = main(["render", str(folder / "Landscape_6.jpg"), "--presets", str(presets), "--out", str(out),
                 "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    (entry,) = summary["files"]
    assert entry["status"] == "complete" and entry["source"]["width"] == 1800
    assert {v["preset"] for v in entry["variants"]} == {"thumb", "small", "keep"}


def test_missing_file_and_bad_presets(inputs, tmp_path, capsys):
    folder, presets = inputs
    code = main(["render", str(folder / "nope.jpg"), "--presets", str(presets), "--out", str(tmp_path / "o")])
    assert code == 1
    assert "nope.jpg" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('{"presets": [{"name": "Bad Name", "width": 10}]}')
    code = main(["render", str(folder / "Landscape_6.jpg"), "--presets", str(broken),
                 "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and "presets" in err and "Traceback" not in err


def test_subprocess_entry_point(inputs, tmp_path):
    folder, presets = inputs
    exe = Path(sys.executable).parent / "imgfan"
    if not exe.exists():
        pytest.fail(f"{exe} does not exist: install the package (make test, or pip install -e '.[dev]') "
                    "so the imgfan command is on the virtualenv's PATH")
    result = subprocess.run(
        [str(exe), "render", str(folder / "p_trns_single.png"), str(folder / "notes.txt"),
         "--presets", str(presets), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"imgfan render: {folder / 'notes.txt'}: NotAnImage: not a recognised image format"
    ]
    assert (tmp_path / "out" / "p_trns_single.png" / "thumb.webp").is_file()


def test_default_presets_from_repository(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    code = main(["render", str(FIXTURES / "p_trns_single.png"), "--out", str(tmp_path / "out")])
    assert code == 0
    assert (tmp_path / "out" / "p_trns_single.png" / "manifest.json").is_file()
