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
