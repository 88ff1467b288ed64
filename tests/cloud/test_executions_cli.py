"""`imgfan executions list|show` read the real execution history of the embedded cloud."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from imgfan.cli import main

pytestmark = pytest.mark.cloud

PHOTO = (Path(str(resources.files("imgfan") / "samples")) / "nikon-with-gps.jpg").read_bytes()


def test_show_prints_states_and_one_row_per_map_iteration(pipeline, cli_env, capsys):
    key = "executions-cli/timeline.jpg"
    pipeline.upload(key, PHOTO)
    manifest = pipeline.manifest(key)
    name = manifest["execution"]["name"]

    assert main(["executions", "list"]) == 0
    listing = capsys.readouterr().out
    assert name in listing and "SUCCEEDED" in listing

    code = main(["executions", "show", name])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    timeline = captured.out
    assert timeline.startswith(f"{name}: SUCCEEDED")
    for state in ("Route", "Analyze", "RenderVariants", "Finalize"):
        assert state in timeline
    presets = len(manifest["variants"])
    assert sum(line.strip().split()[1] == "iteration" for line in timeline.splitlines()[2:]
               if len(line.split()) > 2) == presets
    assert timeline.count("Resize") == presets


def test_show_names_an_unknown_execution_without_a_traceback(pipeline, cli_env, capsys):
    assert main(["executions", "show", "no-such-execution"]) == 1
    assert "no execution 'no-such-execution'" in capsys.readouterr().err
