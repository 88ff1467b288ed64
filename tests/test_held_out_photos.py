"""benchmarks/held_out_photos.py writes only photos whose SHA-256 is the pinned one."""

from __future__ import annotations

import hashlib
import re

from tests.benchmark_scripts import load_benchmark


def test_a_mirror_with_one_right_one_wrong_and_one_missing_photo(tmp_path, monkeypatch):
    script = load_benchmark("held_out_photos")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    right, wrong, missing = (b"right bytes", b"tampered", b"never served")
    (mirror / "a b.jpg").write_bytes(right)
    (mirror / "c.jpg").write_bytes(wrong)
    monkeypatch.setattr(script, "PHOTOS", {name: hashlib.sha256(data).hexdigest() for name, data in
                                           {"a b.jpg": right, "c.jpg": b"the pinned bytes", "d.jpg": missing}.items()})
    out = tmp_path / "photos"
    assert script.main([str(out), "--base-url", mirror.as_uri() + "/"]) == 1
    assert sorted(p.name for p in out.iterdir()) == ["a b.jpg"]
    assert (out / "a b.jpg").read_bytes() == right
    # A second run keeps what is right and tries only the rest.
    (mirror / "a b.jpg").unlink()
    problems = script.fetch(out, mirror.as_uri() + "/")
    assert [line.split(":")[0] for line in problems] == ["c.jpg", "d.jpg"]
    assert "not the pinned one" in problems[0] and "cannot download" in problems[1]


def test_every_pinned_photo_has_a_full_digest():
    photos = load_benchmark("held_out_photos").PHOTOS
    assert len(photos) >= 10
    assert all(re.fullmatch("[0-9a-f]{64}", digest) for digest in photos.values())
