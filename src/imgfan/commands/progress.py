"""Progress lines for long work: rewritten in place on a terminal, one line each otherwise."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.interactive = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()
        self._last = ""

    def update(self, message: str) -> None:
        if message == self._last:
            return
        self._last = message
        elapsed = time.monotonic() - self.started
        line = f"[{elapsed:5.1f}s] {message}"
        if self.interactive:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def say(self, message: str) -> None:
        """A line that stays."""
        if self.interactive and self._last:
            self.stream.write("\r\033[K")
        self._last = ""
        elapsed = time.monotonic() - self.started
        self.stream.write(f"[{elapsed:5.1f}s] {message}\n")
        self.stream.flush()

    def done(self) -> None:
        if self.interactive and self._last:
            self.stream.write("\n")
            self.stream.flush()
        self._last = ""
