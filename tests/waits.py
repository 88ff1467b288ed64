"""Polling for what the embedded cloud does asynchronously, for the cloud tests."""

from __future__ import annotations

import time


def wait_for(what: str, predicate, timeout: float = 90):
    """``predicate()``'s first truthy value, polled every 0.3 s; AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")
