"""The layer carries imagecodecs' JPEG XL codec for arm64, and none of its other codecs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import imagecodecs

# What an aarch64 manylinux_2_28 library may take from Amazon Linux 2023 instead of the wheel.
SYSTEM_LIBRARIES = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libstdc++.so.6", "libgcc_s.so.1", "ld-linux-aarch64.so.1"}


def _site_copy_of_imagecodecs(tmp_path: Path) -> Path:
    installed = Path(imagecodecs.__file__).parent.parent
    site = tmp_path / "site"
    site.mkdir()
    for name in ("imagecodecs", "imagecodecs.libs"):
        shutil.copytree(installed / name, site / name)
    dist_info = next(installed.glob(f"imagecodecs-{imagecodecs.__version__}.dist-info"))
    shutil.copytree(dist_info, site / dist_info.name)
    return site


def _extension_modules(package: Path) -> set[str]:
    return {p.name.split(".", 1)[0] for p in package.glob("*.so")}


def test_the_pruned_package_still_encodes_and_decodes_jpeg_xl(tmp_path):
    # Here, not at the top: bundling loads aws-cdk-lib, which every worker would then load to collect this file.
    from imgfan.cdk.bundling import keep_only_jpegxl_of_imagecodecs

    # The same pruning as the layer's, on this machine's build of the same version.
    site = _site_copy_of_imagecodecs(tmp_path)
    before = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    keep_only_jpegxl_of_imagecodecs(site)
    after = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    assert _extension_modules(site / "imagecodecs") == {"_jpegxl", "_shared", "_shared_cython"}
    assert after < before / 4, (before, after)
    script = (
        "import sys, numpy, imagecodecs\n"
        f"assert imagecodecs.__file__.startswith({str(site)!r}), imagecodecs.__file__\n"
        "pixels = numpy.full((16, 24, 3), 120, numpy.uint8)\n"
        "data = imagecodecs.jpegxl_encode(pixels, level=80, effort=3, numthreads=1)\n"
        "assert data[:2] == b'\\xff\\x0a' and imagecodecs.jpegxl_decode(data).shape == (16, 24, 3)\n"
        "assert not imagecodecs.AVIF.available and not imagecodecs.WEBP.available\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env={"PYTHONPATH": str(site)},
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    record = next(site.glob("imagecodecs-*.dist-info/RECORD")).read_text()
    assert "_jpegxl." in record and "_avif." not in record
    assert (site / "imagecodecs" / "licenses" / "LICENSE-libjxl").is_file()


def _needed(path: Path) -> set[str]:
    readelf = shutil.which("readelf")
    assert readelf, "readelf (binutils) is needed to read the layer's ELF files"
    out = subprocess.run([readelf, "-d", str(path)], check=True, capture_output=True, text=True).stdout
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))


def test_the_layer_holds_the_arm64_jpeg_xl_codec_and_everything_it_links(standard):
    from test_functions import _asset_dir  # tests/infra/test_functions.py

    _, layer = standard.one("AWS::Lambda::LayerVersion")
    python = _asset_dir(standard, layer["Properties"]["Content"]["S3Key"]) / "python"
    codec = next((python / "imagecodecs").glob("_jpegxl.*.so"))
    assert _needed(codec) & {n for n in _needed(codec) if n.startswith("libjxl")}
    assert codec.read_bytes()[18] == 183  # ELF e_machine: aarch64
    # The modules the host's pruned copy needs to work (the test above), no more.
    assert _extension_modules(python / "imagecodecs") == {"_jpegxl", "_shared", "_shared_cython"}
    assert (python / "imagecodecs" / "licenses" / "LICENSE-libjxl").is_file()
    assert (python / "numpy" / "__init__.py").is_file()
    bundled = {p.name for p in (python / "imagecodecs.libs").iterdir()}
    for library in [codec, *(python / "imagecodecs.libs").iterdir()]:
        missing = _needed(library) - bundled - SYSTEM_LIBRARIES
        assert not missing, f"{library.name} links {sorted(missing)}, which the layer lacks"
