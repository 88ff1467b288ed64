"""The local console: a browser view of the embedded cloud's executions, variants and presets.

Served by ``imgfan local up`` on the embedded cloud's own port under ``/_imgfan/``; read-only,
server-rendered HTML with no external assets.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from imgfan.console.address import CONSOLE_PATH, about_console, console_url

__all__ = ["CONSOLE_PATH", "about_console", "console_url", "is_console_request", "mount_console"]


def is_console_request(environ: dict[str, Any]) -> bool:
    """A request for the console, not for S3: the path is under /_imgfan/ (no bucket name starts
    with an underscore) and the host names no bucket (virtual-hosted ``bucket.localhost`` keeps
    its keys, even one that starts with ``_imgfan/``)."""
    if not environ.get("PATH_INFO", "").startswith(CONSOLE_PATH):
        return False
    host = (environ.get("HTTP_HOST") or "").rpartition(":")[0] or environ.get("HTTP_HOST", "")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return "." not in host
    return True


def mount_console(cloud: Any, presets_path: Path | None = None) -> str:
    """Serve the console on the embedded cloud ``cloud`` (started and deployed); returns its URL."""
    from imgfan.console.app import ConsoleApp
    from imgfan.live import Stack

    cloud.mount(is_console_request, ConsoleApp(Stack(cloud), presets_path))
    return console_url(cloud.endpoint_url)
