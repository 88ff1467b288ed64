"""Zips of a cloud assembly's directory assets, kept between deployments.

A ``zip`` asset is uploaded as an archive, as ``cdk deploy`` does. Its folder is named by CDK's
hash of its contents (``asset.<64 hex>``), so the same name always holds the same files and its
zip can be reused: every embedded cloud (each test worker's, `imgfan demo`'s, `local up`'s)
deploys the same layer, tens of MB that took seconds of deflate each time.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

# CDK names a directory asset after the SHA-256 of its contents.
CONTENT_NAMED = re.compile(r"asset\.[0-9a-f]{64}")
# Enough for the assets of the few assemblies in use at once (the layer and three functions each).
KEEP_ZIPS = 8


def zip_directory(directory: Path) -> bytes:
    buffer = io.BytesIO()
    # Level 1: the archive is read back by the local runtime a moment later; on a 2-core machine
    # the deflate time matters more than its size.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def zipped_asset(directory: Path, cache: Path | None) -> bytes:
    """The zip of ``directory``: from ``cache`` when its name says its contents (``asset.<hash>``),
    made and stored there otherwise; always made fresh without a cache or for any other name."""
    if cache is None or not CONTENT_NAMED.fullmatch(directory.name):
        return zip_directory(directory)
    stored = cache / f"{directory.name}.zip"
    if stored.is_file():
        os.utime(stored)
        return stored.read_bytes()
    body = zip_directory(directory)
    cache.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name and renamed: another process never reads half a zip.
    with tempfile.NamedTemporaryFile(dir=cache, prefix=".tmp-", suffix=".zip", delete=False) as partial:
        partial.write(body)
    os.replace(partial.name, stored)
    _prune(cache)
    return body


def _prune(cache: Path) -> None:
    zips = sorted(cache.glob("asset.*.zip"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in zips[KEEP_ZIPS:]:
        old.unlink(missing_ok=True)
