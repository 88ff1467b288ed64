"""``imgfan demo`` as a user runs it: a real image and a file that is not one, end to end.

Expected values come from the input files (size, dimensions) and from the copied files
themselves, never from the code under test.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from local_up import from_a_terminal
from PIL import Image

from imgfan.local.cloud import free_port

pytestmark = pytest.mark.cloud

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGE = REPO_ROOT / "tests" / "fixtures" / "engine" / "concert.jpg"
# Characters HTML must escape, in a key S3 accepts.
IMAGE_KEY = "concert & <friends>.jpg"
NOT_AN_IMAGE_KEY = "notes.jpg"
PRESETS = [p["name"] for p in json.loads((REPO_ROOT / "presets.json").read_text())["presets"]]


class ImageSources(HTMLParser):
    def __init__(self, text: str):
        super().__init__()
        self.sources: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])


@dataclass
class DemoRun:
    returncode: int
    stdout: str
    stderr: str
    console_about: dict


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Run the demo once with --keep-running, look at its console, then Ctrl-C it;
    (the run, its output folder, the uploaded files)."""
    inputs = tmp_path_factory.mktemp("demo-inputs")
    image = inputs / IMAGE_KEY
    shutil.copyfile(IMAGE, image)
    not_an_image = inputs / NOT_AN_IMAGE_KEY
    not_an_image.write_text("a shopping list, not a photo\n")
    out = tmp_path_factory.mktemp("demo-out")
    (out / ".imgfan-demo").write_text("")  # an earlier run's folder, with something it left behind
    (out / "old-image.jpg").mkdir()
    imgfan = Path(sys.executable).with_name("imgfan")  # the installed entry point
    stderr = tmp_path_factory.mktemp("demo-log") / "stderr"
    with open(stderr, "w") as errors:
        process = subprocess.Popen(
            from_a_terminal([str(imgfan), "demo", str(image), str(not_an_image), "--port", str(free_port()),
                             "--out", str(out), "--keep-running"]),
            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=errors, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        printed = []
        for line in process.stdout:
            printed.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        consoles = [line.split()[1] for line in printed if line.startswith("console: http")]
        about = json.loads(urllib.request.urlopen(consoles[0] + "about.json", timeout=30).read()) if consoles else {}
        process.send_signal(signal.SIGINT)
        try:
            rest = process.communicate(timeout=120)[0]
        except subprocess.TimeoutExpired:
            process.kill()  # not left running (with its Lambda workers) after the suite
            rest = process.communicate()[0] + "\n[still running 120 s after Ctrl-C: killed]"
    run = DemoRun(process.returncode, "".join(printed) + rest, stderr.read_text(), about)
    return run, out, {IMAGE_KEY: image, NOT_AN_IMAGE_KEY: not_an_image}


def copied_manifest(out: Path, key: str) -> tuple[dict, Path]:
    """The manifest the demo copied for ``key``, and the folder it sits in."""
    [folder] = [d for d in out.iterdir() if d.is_dir() and json.loads(
        (d / "manifest.json").read_text())["source"]["key"] == key]
    return json.loads((folder / "manifest.json").read_text()), folder


def test_demo_exits_0_when_every_file_got_a_manifest_and_ends_with_a_summary(demo):
    done, out, _ = demo
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "2 images: 1 complete, 1 failed" in lines
    assert f"contact sheet: {(out / 'index.html').resolve()}" in lines


def test_keep_running_leaves_the_cloud_up_with_its_console_until_ctrl_c(demo):
    done, _, _ = demo
    assert done.console_about["service"] == "imgfan-console"
    assert done.stdout.rstrip().endswith("stopping")


def test_each_run_writes_to_a_clean_folder(demo):
    _, out, _ = demo
    assert not (out / "old-image.jpg").exists()
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(
        copied_manifest(out, key)[1].name for key in (IMAGE_KEY, NOT_AN_IMAGE_KEY))


def test_table_shows_the_source_every_preset_the_manifest_and_the_local_copy(demo):
    done, out, files = demo
    width, height = Image.open(IMAGE).size
    size = files[IMAGE_KEY].stat().st_size
    lines = done.stdout.splitlines()
    head = lines.index(f"{IMAGE_KEY}  (jpeg, {width}x{height}, {size:,} bytes)  status: complete")
    table = lines[head + 1 : head + 2 + len(PRESETS)]
    assert table[0].split() == ["preset", "size", "format", "bytes"]
    assert [row.split()[0] for row in table[1:]] == PRESETS
    manifest, folder = copied_manifest(out, IMAGE_KEY)
    assert lines[head + 2 + len(PRESETS)] == (
        f"  manifest: s3://{manifest['output']['bucket']}/{IMAGE_KEY}/manifest.json")
    assert lines[head + 3 + len(PRESETS)] == f"  copied to: {folder}/"

    size = files[NOT_AN_IMAGE_KEY].stat().st_size
    [failed] = [line for line in lines if line.startswith(f"{NOT_AN_IMAGE_KEY}  ")]
    assert failed == f"{NOT_AN_IMAGE_KEY}  failed: NotAnImage: not a recognised image format  ({size} bytes; no variants)"


def test_copied_variants_are_the_images_their_manifest_describes(demo):
    _, out, _ = demo
    manifest, folder = copied_manifest(out, IMAGE_KEY)
    assert [v["preset"] for v in manifest["variants"]] == PRESETS
    for variant in manifest["variants"]:
        assert variant["status"] == "ok"
        path = folder / variant["key"].rsplit("/", 1)[-1]
        assert path.stat().st_size == variant["bytes"]
        with Image.open(path) as copied:
            assert copied.size == (variant["width"], variant["height"])
            assert copied.format.lower() == variant["format"]

    failed, failed_folder = copied_manifest(out, NOT_AN_IMAGE_KEY)
    assert failed["status"] == "failed"
    assert sorted(p.name for p in failed_folder.iterdir()) == ["manifest.json"]


def test_contact_sheet_names_each_key_and_shows_only_files_that_exist(demo):
    _, out, _ = demo
    text = (out / "index.html").read_text(encoding="utf-8")
    for key in (IMAGE_KEY, NOT_AN_IMAGE_KEY):
        assert html.escape(key) in text
    assert IMAGE_KEY not in text  # only escaped
    files = [src for src in ImageSources(text).sources if not src.startswith("data:")]
    assert len(files) == len(PRESETS)
    for src in files:
        assert (out / src).is_file(), src
