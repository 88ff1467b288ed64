"""`imgfan presets push` changes live behaviour on the embedded cloud, with no redeploy."""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path

import pytest

from imgfan.cli import main
from imgfan_core.presets import parse_presets, presets_hash

pytestmark = pytest.mark.cloud

REPO_ROOT = Path(__file__).resolve().parents[2]
PHOTO = (Path(str(resources.files("imgfan") / "samples")) / "nikon-with-gps.jpg").read_bytes()


def test_pushed_presets_apply_to_the_next_upload_without_redeploy(pipeline, cli_env, tmp_path, capsys):
    original = pipeline.ssm.get_parameter(Name=pipeline.outputs["PresetsParameterName"])["Parameter"]["Value"]
    document = json.loads((REPO_ROOT / "presets.json").read_text())
    document["$schema"] = str(REPO_ROOT / "presets.schema.json")
    document["presets"] = [
        {"name": "tiny", "width": 64, "fit": "inside", "format": "png"},
        {"name": "square", "width": 128, "height": 128, "fit": "cover", "format": "jpeg", "quality": 70},
    ]
    changed = tmp_path / "presets.json"
    changed.write_text(json.dumps(document))
    new_hash = presets_hash(parse_presets(document))
    assert new_hash != presets_hash(parse_presets(original))

    try:
        assert main(["presets", "push", str(changed)]) == 0
        assert new_hash in capsys.readouterr().out

        # The dispatcher re-reads the parameter once its cache age passes; no redeploy happens.
        deadline = time.monotonic() + 90
        attempt = 0
        while True:
            attempt += 1
            key = f"presets-live/upload-{attempt}.jpg"
            pipeline.upload(key, PHOTO)
            manifest = pipeline.manifest(key)
            if manifest["presets_hash"] == new_hash or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert manifest["presets_hash"] == new_hash
        assert [v["preset"] for v in manifest["variants"]] == ["tiny", "square"]
        tiny, square = manifest["variants"]
        assert (tiny["width"], tiny["format"]) == (64, "png")
        assert (square["width"], square["height"], square["format"]) == (128, 128, "jpeg")
    finally:
        pipeline.ssm.put_parameter(Name=pipeline.outputs["PresetsParameterName"], Value=original,
                                   Type="String", Overwrite=True)
        pipeline.wait_for_presets(presets_hash(parse_presets(original)))


def test_a_prefixed_preset_renders_only_under_its_prefix(pipeline, cli, tmp_path):
    name = pipeline.outputs["PresetsParameterName"]
    original = pipeline.ssm.get_parameter(Name=name)["Parameter"]["Value"]
    document = json.loads((REPO_ROOT / "presets.json").read_text())
    document["$schema"] = str(REPO_ROOT / "presets.schema.json")
    document["presets"] = [
        {"name": "avatar", "width": 96, "height": 96, "fit": "cover", "format": "webp", "prefixes": ["avatars/"]},
        {"name": "small", "width": 200, "format": "jpeg"},
    ]
    pushed = tmp_path / "presets.json"
    pushed.write_text(json.dumps(document))
    config = parse_presets(document)
    try:
        code, _, err = cli("presets", "push", str(pushed))
        assert code == 0, err
        # Probe keys lie outside avatars/, so their manifests carry the hash of "small" alone.
        pipeline.wait_for_presets(presets_hash(config, "presets-probe/x.jpg"))
        pipeline.upload("avatars/prefixed-me.jpg", PHOTO)
        pipeline.upload("products/prefixed-chair.jpg", PHOTO)
        avatar, product = pipeline.manifest("avatars/prefixed-me.jpg"), pipeline.manifest("products/prefixed-chair.jpg")
    finally:
        pipeline.ssm.put_parameter(Name=name, Value=original, Type="String", Overwrite=True)
        pipeline.wait_for_presets(presets_hash(parse_presets(original)))
    assert [v["preset"] for v in avatar["variants"]] == ["avatar", "small"]
    assert [v["preset"] for v in product["variants"]] == ["small"]
    assert avatar["presets_hash"] == presets_hash(config, "avatars/prefixed-me.jpg") != product["presets_hash"]
    assert set(avatar["srcset"]) == {"jpeg"}  # the square avatar crop stays out of the srcset
