"""Where the construct finds what it deploys.

In a clone these are the repository's own folders (``functions/``, ``statemachine/``,
``src/imgfan_core``). A wheel carries copies of the first two under ``imgfan/cdk/bundle/``
(setup.py's build step puts them there) and ``imgfan_core`` as an installed package, so an app
that only did ``pip install imgfan`` deploys exactly the code a clone deploys.
"""

from __future__ import annotations

from pathlib import Path

import imgfan_core
from imgfan.cache import BUNDLE_DIR, CLONE_DIR, holds_deployable_content

PACKAGE_DIR = Path(__file__).resolve().parent
LAYER_REQUIREMENTS = PACKAGE_DIR / "layer_requirements.txt"
CORE_PACKAGE = Path(imgfan_core.__file__).resolve().parent


def _content_root() -> Path:
    for root in (BUNDLE_DIR, CLONE_DIR):
        if holds_deployable_content(root):
            return root
    raise FileNotFoundError(
        f"imgfan's Lambda handlers and state machine definitions are neither in {BUNDLE_DIR} (an installed "
        f"wheel) nor in {CLONE_DIR} (a clone); reinstall imgfan from its wheel")


CONTENT_ROOT = _content_root()
FUNCTIONS_DIR = CONTENT_ROOT / "functions"
RENDER_ASL_FILE = CONTENT_ROOT / "statemachine" / "imgfan.asl.json"
DELETE_ASL_FILE = CONTENT_ROOT / "statemachine" / "delete.asl.json"

