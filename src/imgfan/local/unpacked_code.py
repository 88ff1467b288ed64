"""Function and layer zips unpacked once per machine, shared by every embedded cloud.

A zip is unpacked into a folder named after its digest (Lambda's ``CodeSha256``), so the same name
always holds the same files. Every embedded cloud (each test worker's, `imgfan demo`'s, `local up`'s)
deploys the same layer zip (``asset_zips``); unpacking it is 150 MB of writes, and its bytecode,
which the first sandbox writes beside it, is then compiled once instead of once per cloud.
"""

from __future__ import annotations

import io
import os
import shutil
import time
import uuid
import zipfile
from pathlib import Path

# Folders beyond the newest few of a kind are removed, but only once nothing has used them for
# this long: a cloud started earlier (a day-long `local up`) may still start sandboxes from one.
KEEP_PER_KIND = 6
UNUSED_FOR_S = 3600


def unpacked(root: Path, kind: str, name: str, data: bytes) -> Path:
    """``data`` (a zip) unpacked into ``root/kind/name``, unless a complete copy is there already."""
    target = root / kind / name
    if target.is_dir():
        os.utime(target)
        return target
    # Unpacked beside the target and renamed into place: another process never sees half a folder.
    partial = target.with_name(f".partial-{name}-{uuid.uuid4().hex[:6]}")
    try:
        partial.mkdir(parents=True)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(partial)
        try:
            partial.rename(target)
        except OSError:  # another cloud unpacked the same zip first; its copy is identical
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    _prune(root / kind)
    return target


def _prune(folder: Path) -> None:
    now = time.time()
    entries = sorted(folder.iterdir(), key=_mtime, reverse=True)
    kept = [entry for entry in entries if not entry.name.startswith(".partial-")][:KEEP_PER_KIND]
    for entry in entries:
        if entry not in kept and now - _mtime(entry) > UNUSED_FOR_S:
            shutil.rmtree(entry, ignore_errors=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed by another cloud's prune meanwhile
        return 0.0
