"""Where imgfan keeps what it can rebuild: layer wheels, unpacked code, validated presets.

Kept free of heavy imports: ``imgfan render`` reads it at start-up, before anything else loads.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# src/imgfan -> the repository, when running from a clone (an editable install included).
CLONE_DIR = PACKAGE_DIR.parents[1]
# A wheel carries the handlers and state machine definitions here (setup.py's build step).
BUNDLE_DIR = PACKAGE_DIR / "cdk" / "bundle"


def holds_deployable_content(root: Path) -> bool:
    """Whether ``root`` has the handlers and the state machine definitions the construct deploys."""
    return (root / "functions").is_dir() and (root / "statemachine").is_dir()


def running_from_clone() -> bool:
    return not holds_deployable_content(BUNDLE_DIR) and holds_deployable_content(CLONE_DIR)


def cache_dir() -> Path:
    """``IMGFAN_CACHE_DIR``, else the clone's ``.imgfan-cache`` (``make clean`` removes it), else
    the user's cache folder."""
    if os.environ.get("IMGFAN_CACHE_DIR"):
        return Path(os.environ["IMGFAN_CACHE_DIR"])
    if running_from_clone():
        return CLONE_DIR / ".imgfan-cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "imgfan"
