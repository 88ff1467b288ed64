"""Docker-free bundling of the shared Lambda layer.

The layer is ``python/imgfan_core`` plus third-party wheels for the Lambda platform (arm64,
CPython 3.12), fetched with ``pip --platform ... --only-binary=:all:`` so no Docker and no
compiler are needed. The pip result is cached on disk keyed by the requirements' hash, so
repeated synths do not download again.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from imgfan.cache import cache_dir
from imgfan.cdk.assets import CORE_PACKAGE, LAYER_REQUIREMENTS
from imgfan.synth import digest_tree

CACHE_ROOT = cache_dir() / "layer-deps"

PYTHON_VERSION = "3.12"
# Lambda's python3.12 runtime runs on Amazon Linux 2023 (glibc 2.34): newer manylinux tags
# are needed because pillow-heif 1.x ships only manylinux_2_28 wheels for aarch64.
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64")
# Everything pip resolves ships, the AWS SDK included (boto3, botocore, s3transfer and their
# pure-Python dependencies): AWS recommends bundling the SDK a function relies on, because the
# runtime's may change without notice (https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html).
# /opt/python comes before the runtime's /var/runtime on sys.path, so the layer's copy wins.
IGNORED_NAMES = ("__pycache__", "*.pyc", "*.pyo")
# Bump when the way the wheels are fetched or pruned changes, so cached builds are redone.
RECIPE = "4"
# imagecodecs bundles about 60 codecs (95 MB unzipped for arm64); the engine uses its JPEG XL
# codec alone (imgfan_core/engine/jxl.py). The layer keeps its Python files, the two extension
# modules JPEG XL loads, the libraries they link, and every licence file: about 11 MB.
IMAGECODECS_KEPT = {
    "imagecodecs": ("*.py", "*.pyi", "py.typed", "licenses", "_shared*", "_jpegxl.*"),
    "imagecodecs.libs": ("libjxl-*", "libjxl_cms-*", "libjxl_threads-*", "libbrotli*"),
}


def requirements_hash() -> str:
    return hashlib.sha256(
        f"{RECIPE}|{PYTHON_VERSION}|{','.join(PLATFORMS)}|{sorted(IMAGECODECS_KEPT.items())}|".encode()
        + LAYER_REQUIREMENTS.read_bytes()
    ).hexdigest()[:20]


def layer_hash() -> str:
    """Changes when imgfan_core or the third-party pins change; CDK skips bundling otherwise."""
    digest = hashlib.sha256(requirements_hash().encode())
    digest_tree(CORE_PACKAGE, digest)
    return digest.hexdigest()


def third_party_dir() -> Path:
    """The pip --target result for the Lambda platform, built once per requirements hash."""
    cached = CACHE_ROOT / requirements_hash() / "python"
    if (cached.parent / "complete").exists():
        return cached
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=CACHE_ROOT))
    target = work / "python"
    print(f"imgfan: fetching layer wheels for linux/arm64 python{PYTHON_VERSION} (cached afterwards)", file=sys.stderr)
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               # Host-compiled .pyc files (another Python version) are dead weight in the layer.
               "--no-compile",
               "--implementation", "cp", "--python-version", PYTHON_VERSION, "--only-binary=:all:",
               "--target", str(target), "-r", str(LAYER_REQUIREMENTS)]
    for platform in PLATFORMS:
        command[4:4] = ["--platform", platform]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        raise RuntimeError(f"pip could not fetch the layer's wheels:\n{result.stderr.strip()}")
    for entry in list(target.iterdir()):
        if entry.name in ("bin", "__pycache__"):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    keep_only_jpegxl_of_imagecodecs(target)
    (work / "complete").write_text(LAYER_REQUIREMENTS.read_text())
    try:
        work.rename(cached.parent)
    except OSError:
        # Another synth finished the same build first; its copy is identical.
        shutil.rmtree(work, ignore_errors=True)
    _prune_old_builds(keep=cached.parent)
    return cached


def keep_only_jpegxl_of_imagecodecs(site: Path) -> None:
    """Remove the imagecodecs codecs the engine never loads from ``site``, and from its RECORD."""
    for folder, kept in IMAGECODECS_KEPT.items():
        for entry in list((site / folder).iterdir()) if (site / folder).is_dir() else []:
            if not any(fnmatch.fnmatch(entry.name, pattern) for pattern in kept):
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for record in site.glob("imagecodecs-*.dist-info/RECORD"):
        with open(record, newline="", encoding="utf-8") as file:
            rows = [row for row in csv.reader(file) if row and (site / row[0]).exists()]
        with open(record, "w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows(rows)


def _prune_old_builds(keep: Path) -> None:
    # Each build is ~100 MB; builds for old requirement pins are never used again.
    for entry in CACHE_ROOT.iterdir():
        if entry != keep and entry.is_dir() and (entry / "complete").exists():
            shutil.rmtree(entry, ignore_errors=True)


def _link_or_copy(src: str, dst: str) -> str:
    # Hard links make staging ~100 MB of wheels instant; fall back where links are not allowed.
    try:
        os.link(src, dst)
        return dst
    except OSError:
        return shutil.copy2(src, dst)


@jsii.implements(ILocalBundling)
class LayerBundler:
    def try_bundle(self, output_dir: str, options: BundlingOptions | None = None, **_: object) -> bool:
        python_dir = Path(output_dir) / "python"
        shutil.copytree(third_party_dir(), python_dir, copy_function=_link_or_copy, dirs_exist_ok=True)
        shutil.copytree(CORE_PACKAGE, python_dir / "imgfan_core",
                        ignore=shutil.ignore_patterns(*IGNORED_NAMES), dirs_exist_ok=True)
        return True


def layer_code() -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(CORE_PACKAGE),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=layer_hash(),
        bundling=BundlingOptions(
            # Never pulled: local bundling always succeeds, so Docker is not needed.
            image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.12:latest"),
            local=LayerBundler(),
        ),
    )


def function_code(directory: Path) -> lambda_.Code:
    """A function's asset is its own directory only; shared code comes from the layer."""
    return lambda_.Code.from_asset(str(directory), exclude=list(IGNORED_NAMES))
