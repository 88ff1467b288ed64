"""Which layer packages the embedded cloud takes from the host: those it could not load."""

from __future__ import annotations

import importlib.machinery
from pathlib import Path

from imgfan.local.layer_imports import HOST_MACHINE, host_supplied_modules

AARCH64, X86_64 = 183, 62


def _elf(machine: int) -> bytes:
    return b"\x7fELF" + bytes([2, 1]) + bytes(12) + machine.to_bytes(2, "little") + bytes(44)


def _distribution(layer: Path, name: str, files: dict[str, bytes]) -> None:
    dist_info = layer / f"{name}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    for path, content in files.items():
        (layer / path).parent.mkdir(parents=True, exist_ok=True)
        (layer / path).write_bytes(content)
    (dist_info / "RECORD").write_text("".join(f"{path},sha256=x,{len(c)}\n" for path, c in files.items())
                                      + f"{name}-1.0.dist-info/RECORD,,\n")


def test_native_distributions_for_another_machine_come_from_the_host_and_pure_ones_from_the_layer(tmp_path):
    other = AARCH64 if HOST_MACHINE != AARCH64 else X86_64
    own_suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    _distribution(tmp_path, "pure", {"pure/__init__.py": b"", "single.py": b""})
    _distribution(tmp_path, "foreign", {"foreign/__init__.py": b"", "_foreign.cpython-312-x-linux-gnu.so": _elf(other),
                                        "foreign.libs/libz.so.1": _elf(other)})
    _distribution(tmp_path, "native", {"native/__init__.py": b"", f"native/_speed{own_suffix}": _elf(HOST_MACHINE)})
    assert host_supplied_modules(tmp_path) == ("_foreign", "foreign")


def test_an_extension_module_of_another_cpython_comes_from_the_host_even_for_this_machine(tmp_path):
    _distribution(tmp_path, "otherpy", {"otherpy/_c.cpython-39-linux-gnu.so": _elf(HOST_MACHINE)})
    assert host_supplied_modules(tmp_path) == ("otherpy",)
