"""The local console: a browser view of the embedded cloud's executions, variants and presets.

Served by ``imgfan local up`` on the embedded cloud's own port under ``/_imgfan/``; read-only,
server-rendered HTML with no external assets.
"""

from __future__ import annotations

import ipaddress
import threading
from pathlib import Path
from typing import Any

from imgfan.live.console_address import CONSOLE_PATH, about_console, console_url
from imgfan.local.fault_middleware import CONTROL_PATH as FAULTS_CONTROL_PATH

__all__ = ["CONSOLE_PATH", "about_console", "console_url", "is_console_request", "mount_console"]


def is_console_request(environ: dict[str, Any]) -> bool:
    """A request for the console, not for S3: the path is under /_imgfan/ (no bucket name starts
    with an underscore) and the host names no bucket (virtual-hosted ``bucket.localhost`` keeps
    its keys, even one that starts with ``_imgfan/``)."""
    path = environ.get("PATH_INFO", "")
    if not path.startswith(CONSOLE_PATH) or path.startswith(FAULTS_CONTROL_PATH):
        return False  # the fault-injection control is the embedded cloud's own, not the console's
    host = (environ.get("HTTP_HOST") or "").rpartition(":")[0] or environ.get("HTTP_HOST", "")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return "." not in host
    return True


class _SharedClients:
    """One boto3 client per service for every request (clients are thread-safe; making one per
    call, as the embedded cloud's ``client`` does, costs more than the call)."""

    def __init__(self, cloud: Any):
        self.cloud, self.endpoint_url, self.region = cloud, cloud.endpoint_url, cloud.region
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self.cloud.client(service)
            return self._clients[service]


def mount_console(cloud: Any, presets_path: Path | None = None, stack_name: str | None = None) -> str:
    """Serve the console on the embedded cloud ``cloud`` (started and deployed); returns its URL."""
    from imgfan.console.app import ConsoleApp
    from imgfan.live import Stack

    stack = Stack(_SharedClients(cloud)) if stack_name is None else Stack(_SharedClients(cloud), stack_name)
    cloud.mount(is_console_request, ConsoleApp(stack, presets_path))
    return console_url(cloud.endpoint_url)
