"""`imgfan executions list|show` against the embedded cloud, in the user's terms: keys, not names."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from tests.waits import wait_for

pytestmark = pytest.mark.cloud

PHOTO = (Path(str(resources.files("imgfan") / "samples")) / "nikon-with-gps.jpg").read_bytes()
KEY = "inspect/some photo.jpg"


@pytest.fixture(scope="module")
def inspected(pipeline) -> dict:
    """A photo with a space in its key, rendered; its manifest."""
    pipeline.upload(KEY, PHOTO)
    return pipeline.manifest(KEY)


def timeline_rows(out: str) -> list[list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["offset", "state"])
    return [line.split() for line in lines[start + 1:]]


def test_show_by_key_prints_that_uploads_timeline_with_every_preset(cli, inspected, repo_presets):
    code, out, err = cli("executions", "show", KEY)
    assert code == 0, err
    name = inspected["execution"]["name"]
    assert out.startswith(f"{name}: SUCCEEDED")
    assert f"/{KEY}" in out.splitlines()[1]
    rows = timeline_rows(out)
    # A render starts at Analyze: deletes run in a state machine of their own, no Choice between.
    assert [row[1] for row in rows if row[2] in ("Choice", "Task", "Map") and rows.index(row) in (0, 1)] == [
        "Analyze", "RenderVariants"]
    items = [row[1] for row in rows if row[2] == "item"]
    assert sorted(items) == sorted(p["name"] for p in repo_presets["presets"])
    assert sum(row[1] == "Resize" for row in rows) == len(items)
    # Finalize ends the execution itself: no Choice or Succeed state after it.
    assert rows[-1][1] == "Finalize"
    assert not {"Route", "Outcome", "Done"} & {row[1] for row in rows}


@pytest.mark.parametrize("how", ["name", "arn", "s3 url", "prefix"])
def test_show_accepts_a_name_an_arn_an_s3_url_or_a_unique_prefix(cli, pipeline, inspected, how):
    name = inspected["execution"]["name"]
    target = {"name": name, "arn": inspected["execution"]["arn"],
              "s3 url": f"s3://{pipeline.source_bucket}/{KEY}", "prefix": name[:-6]}[how]
    code, out, err = cli("executions", "show", target)
    assert code == 0, err
    assert out.startswith(f"{name}: SUCCEEDED")


def test_show_suggests_a_near_key_and_names_an_ambiguous_prefix(cli, pipeline, inspected):
    pipeline.upload("inspect/another.jpg", PHOTO)
    pipeline.manifest("inspect/another.jpg")
    code, _, err = cli("executions", "show", "inspect/some phot.jpg")
    assert code == 1 and "Traceback" not in err
    assert f"did you mean {KEY!r}" in err  # the nearest first
    code, _, err = cli("executions", "show", "render-")
    assert code == 1 and "execution names:" in err and "give more of the name" in err


def test_list_shows_key_status_manifest_status_arn_and_the_console(cli, console, pipeline, inspected):
    pipeline.upload("inspect/notes.jpg", b"not a photo")
    failed = pipeline.manifest("inspect/notes.jpg")
    code, out, err = cli("executions", "list", "--wide")
    assert code == 0, err
    lines = out.splitlines()
    [good] = [line for line in lines if line.endswith(inspected["execution"]["arn"])]
    assert good.split()[2:7] == ["SUCCEEDED", good.split()[3], "render", "complete", "inspect/some"]
    assert f"  complete    {KEY}  " in good
    [bad] = [line for line in lines if line.endswith(failed["execution"]["arn"])]
    assert "  failed !    inspect/notes.jpg  " in bad
    assert bad.split()[2] == "FAILED"  # ended by Finalize's ImageFailed, still a failed execution
    # The keys line up: each row's execution ARN starts in the same column.
    assert good.index(inspected["execution"]["arn"]) == bad.index(failed["execution"]["arn"])
    assert lines[-1] == f"console: {console}"


def test_show_names_an_unknown_execution_without_a_traceback(cli, pipeline):
    code, _, err = cli("executions", "show", "no-such-execution")
    assert code == 1
    assert err.startswith("imgfan executions: no execution or source key matches 'no-such-execution'")


def test_deletes_are_listed_and_shown_from_their_own_state_machine(cli, pipeline):
    key = "inspect/gone.jpg"
    pipeline.upload(key, PHOTO)
    pipeline.manifest(key)
    pipeline.s3.delete_object(Bucket=pipeline.source_bucket, Key=key)
    [delete] = wait_for("the delete's execution", lambda: [e for e in pipeline.executions()
                                 if e["name"].startswith("delete-gone.jpg-") and e["status"] != "RUNNING"])
    assert delete["stateMachineArn"] == pipeline.outputs["DeleteStateMachineArn"]
    code, out, err = cli("executions", "list", "--wide")
    assert code == 0, err
    [line] = [line for line in out.splitlines() if line.endswith(delete["executionArn"])]
    assert line.split()[2:5] == ["SUCCEEDED", line.split()[3], "delete"]
    code, out, err = cli("executions", "show", delete["name"])
    assert code == 0, err
    assert out.startswith(f"{delete['name']}: SUCCEEDED")
    assert [row[1] for row in timeline_rows(out)] == ["DeleteOutputs"]
