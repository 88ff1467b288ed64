"""Where the construct finds what it deploys.

In a clone these are the repository's own folders (``functions/``, ``statemachine/``,
``src/imgfan_core``). A wheel carries copies of the first two under ``imgfan/cdk/bundle/``
(setup.py's build step puts them there) and ``imgfan_core`` as an installed package, so an app
that only did ``pip install imgfan`` deploys exactly the code a clone deploys.
"""

from __future__ import annotations

import os
from pathlib import Path

import imgfan_core

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLE_DIR = PACKAGE_DIR / "bundle"
# src/imgfan/cdk -> the repository, when running from a clone (an editable install included).
CLONE_DIR = PACKAGE_DIR.parents[2]
LAYER_REQUIREMENTS = PACKAGE_DIR / "layer_requirements.txt"
CORE_PACKAGE = Path(imgfan_core.__file__).resolve().parent


def _content_root() -> Path:
    for root in (BUNDLE_DIR, CLONE_DIR):
        if (root / "functions").is_dir() and (root / "statemachine").is_dir():
            return root
    raise FileNotFoundError(
        f"imgfan's Lambda handlers and state machine definitions are neither in {BUNDLE_DIR} (an installed "
        f"wheel) nor in {CLONE_DIR} (a clone); reinstall imgfan from its wheel")


CONTENT_ROOT = _content_root()
FUNCTIONS_DIR = CONTENT_ROOT / "functions"
RENDER_ASL_FILE = CONTENT_ROOT / "statemachine" / "imgfan.asl.json"
DELETE_ASL_FILE = CONTENT_ROOT / "statemachine" / "delete.asl.json"


def cache_dir() -> Path:
    """Where downloaded layer wheels are kept between synths: ``IMGFAN_CACHE_DIR``, else the
    clone's ``.imgfan-cache`` (``make clean`` removes it), else the user's cache folder."""
    if os.environ.get("IMGFAN_CACHE_DIR"):
        return Path(os.environ["IMGFAN_CACHE_DIR"])
    if CONTENT_ROOT == CLONE_DIR:
        return CLONE_DIR / ".imgfan-cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "imgfan"
