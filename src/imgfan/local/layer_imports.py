"""Which of a layer's packages the host must supply: those with native code for another machine.

The layer is built for Lambda (arm64, CPython 3.12), the embedded cloud runs on whatever the
developer has. Pure-Python packages, the AWS SDK among them, run from the layer as they do on
AWS, so a function sees the versions the layer pins. A distribution with native code built for
another machine or another CPython (Pillow, pydantic-core, ...) cannot load here; the whole
distribution then comes from the host's site-packages, where pyproject.toml pins the same version.
"""

from __future__ import annotations

import csv
import functools
import importlib.machinery
import sys
from pathlib import Path


def _elf_machine(path: Path) -> int | None:
    """The ELF header's e_machine (183 for aarch64, 62 for x86-64); None for other files."""
    try:
        with open(path, "rb") as file:
            header = file.read(20)
    except OSError:
        return None
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    return int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")


HOST_MACHINE = _elf_machine(Path(sys.executable).resolve())


def _top_level_name(record_path: str) -> str | None:
    first = record_path.split("/", 1)[0]
    if first.endswith((".dist-info", ".data", ".libs")) or first in ("..", "bin", "__pycache__"):
        return None
    return first.split(".", 1)[0]  # "six.py" -> "six", "_x.cpython-312-aarch64-linux-gnu.so" -> "_x"


def _loadable_here(layer: Path, shared_object: str) -> bool:
    """False for an ELF file of another machine, or an extension module of another CPython."""
    if _elf_machine(layer / shared_object) not in (None, HOST_MACHINE):
        return False
    name = shared_object.rsplit("/", 1)[-1]
    tagged = ".cpython-" in name or ".abi3." in name  # "_imaging.cpython-312-aarch64-linux-gnu.so"
    return not tagged or name[name.index("."):] in importlib.machinery.EXTENSION_SUFFIXES


def _foreign_distribution(layer: Path, record: list[str]) -> bool:
    shared_objects = [p for p in record if p.endswith(".so") or ".so." in p]
    return not all(_loadable_here(layer, p) for p in shared_objects)


@functools.lru_cache(maxsize=64)  # a layer's folder is named after its digest: never changes
def host_supplied_modules(layer: Path) -> tuple[str, ...]:
    """Top-level module names of ``layer``'s distributions whose native code this host cannot run."""
    names: set[str] = set()
    for dist_info in layer.glob("*.dist-info"):
        record_file = dist_info / "RECORD"
        if not record_file.exists():
            continue
        with open(record_file, newline="", encoding="utf-8") as file:
            record = [row[0] for row in csv.reader(file) if row]
        if _foreign_distribution(layer, record):
            names.update(n for n in map(_top_level_name, record) if n and n.isidentifier())
    return tuple(sorted(names))
