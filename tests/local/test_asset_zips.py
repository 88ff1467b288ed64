"""imgfan.local.asset_zips: a content-named asset is zipped once and reused; nothing else is cached."""

from __future__ import annotations

import io
import zipfile

from imgfan.local import asset_zips

CONTENT_NAME = "asset." + "ab" * 32


def make_asset(root, name: str):
    folder = root / name
    (folder / "python" / "__pycache__").mkdir(parents=True)
    (folder / "python" / "module.py").write_text("VALUE = 1\n")
    (folder / "python" / "__pycache__" / "module.cpython-311.pyc").write_bytes(b"bytecode")
    return folder


def members(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_content_named_asset_is_zipped_once_and_the_stored_zip_served_after(tmp_path, monkeypatch):
    folder = make_asset(tmp_path, CONTENT_NAME)
    cache = tmp_path / "zips"
    first = asset_zips.zipped_asset(folder, cache)
    assert members(first) == {"python/module.py": b"VALUE = 1\n"}
    assert (cache / f"{CONTENT_NAME}.zip").read_bytes() == first

    def no_zip(directory):
        raise AssertionError(f"zipped {directory} again although its zip is stored")

    monkeypatch.setattr(asset_zips, "zip_directory", no_zip)
    assert asset_zips.zipped_asset(folder, cache) == first
    assert not list(cache.glob(".tmp-*"))


def test_a_folder_not_named_by_its_contents_is_zipped_fresh_every_time(tmp_path):
    folder = make_asset(tmp_path, "my-layer")
    cache = tmp_path / "zips"
    before = asset_zips.zipped_asset(folder, cache)
    (folder / "python" / "module.py").write_text("VALUE = 2\n")
    assert members(asset_zips.zipped_asset(folder, cache)) == {"python/module.py": b"VALUE = 2\n"}
    assert members(before) == {"python/module.py": b"VALUE = 1\n"}
    assert not cache.exists()


def test_the_cache_keeps_the_most_recently_used_zips(tmp_path):
    cache = tmp_path / "zips"
    names = [f"asset.{i:064x}" for i in range(asset_zips.KEEP_ZIPS + 3)]
    for name in names:
        asset_zips.zipped_asset(make_asset(tmp_path, name), cache)
    kept = {path.name.removesuffix(".zip") for path in cache.glob("asset.*.zip")}
    assert len(kept) == asset_zips.KEEP_ZIPS
    assert names[-1] in kept and names[0] not in kept
