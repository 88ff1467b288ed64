"""imgfan.local.unpacked_code: a zip is unpacked once per digest; old folders go only once unused."""

from __future__ import annotations

import io
import os
import time
import zipfile

import pytest

from imgfan.local import unpacked_code


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def test_a_zip_is_unpacked_once_and_its_folder_reused(tmp_path):
    first = unpacked_code.unpacked(tmp_path, "layers", "ab12", _zip({"python/module.py": b"VALUE = 1\n"}))
    assert (first / "python" / "module.py").read_bytes() == b"VALUE = 1\n"
    # The folder's name is the zip's digest: a second cloud gets the folder without unpacking anything.
    again = unpacked_code.unpacked(tmp_path, "layers", "ab12", b"not a zip: never read")
    assert again == first
    assert [p.name for p in (tmp_path / "layers").iterdir()] == ["ab12"]


def test_a_zip_that_cannot_be_unpacked_leaves_no_folder_behind(tmp_path):
    with pytest.raises(zipfile.BadZipFile):
        unpacked_code.unpacked(tmp_path, "code", "cd34", b"not a zip")
    assert list((tmp_path / "code").iterdir()) == []


def test_only_folders_beyond_the_newest_and_unused_for_an_hour_are_removed(tmp_path):
    kind = tmp_path / "layers"
    long_ago = time.time() - unpacked_code.UNUSED_FOR_S - 60
    names = [f"old{i:02d}" for i in range(unpacked_code.KEEP_PER_KIND + 2)]
    for age, name in enumerate(names):
        (kind / name).mkdir(parents=True)
        os.utime(kind / name, (long_ago - age, long_ago - age))
    recently_used = kind / "recent"
    recently_used.mkdir()
    os.utime(recently_used, (long_ago - 999, long_ago - 999))
    unpacked_code.unpacked(tmp_path, "layers", "recent", b"")  # a cloud uses it again: touched, not unpacked
    abandoned = kind / ".partial-x-123456"
    abandoned.mkdir()
    os.utime(abandoned, (long_ago, long_ago))

    unpacked_code.unpacked(tmp_path, "layers", "new", _zip({"f": b"x"}))

    kept = {p.name for p in kind.iterdir()}
    # The two just used, then the newest of the rest; the oldest and the abandoned partial are gone.
    assert kept == {"new", "recent", *names[: unpacked_code.KEEP_PER_KIND - 2]}
