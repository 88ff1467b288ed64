"""Where the local console is: under ``/_imgfan/`` on the embedded cloud's own port.

No S3 bucket name can start with an underscore, so no path-style S3 request collides with it.
The CLI finds a running console by asking ``about.json`` (a GET with a short timeout).

Here in ``live``, not in ``console``: the live layer asks a running console which region the
embedded cloud serves (``Stack``'s hint when a stack is not found), and ``console`` is built on
``live``, never the reverse.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

CONSOLE_PATH = "/_imgfan/"
ABOUT = "about.json"
# What about.json says, so a probe can tell the console from anything else on the port.
IDENTITY = "imgfan-console"


def console_url(endpoint_url: str) -> str:
    return endpoint_url.rstrip("/") + CONSOLE_PATH


def about_console(endpoint_url: str | None, timeout: float = 1.0) -> dict[str, Any] | None:
    """The console's about.json at ``endpoint_url`` (its ``url``, ``region``, ``stack``), or None."""
    if not endpoint_url or not endpoint_url.startswith(("http://", "https://")):
        return None
    try:
        with urllib.request.urlopen(console_url(endpoint_url) + ABOUT, timeout=timeout) as response:
            about = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return about if isinstance(about, dict) and about.get("service") == IDENTITY else None
