"""The resizer runs once per preset per image: what it imports on a cold start is paid often."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_resizer_handler_does_not_import_pydantic_or_moto():
    # numpy and imagecodecs (JPEG XL) load on the first jxl variant only, never at init.
    probe = ("import sys, handler; print(sorted(m for m in ('pydantic', 'moto', 'imgfan', 'numpy', 'imagecodecs')"
             " if m in sys.modules))")
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT / "functions" / "resizer", capture_output=True, text=True, check=False,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
