"""How the commands that run until stopped (``imgfan local up``, ``imgfan demo --keep-running``)
are stopped: Ctrl-C in a terminal, ``kill`` (SIGTERM) anywhere else.

Python turns only SIGINT into ``KeyboardInterrupt``; SIGTERM, what ``kill``, systemd and CI runners
send, ends the process at once, without the ``finally`` blocks that stop the embedded cloud and its
Lambda workers. And a command started in the background by a non-interactive shell (``imgfan local
up &`` in a script) inherits SIGINT *ignored*. POSIX, Shell Command Language, "Signals and Error
Handling": "If job control is disabled ... when the shell executes an asynchronous list, the
commands in the list shall inherit from the shell a signal action of ignored (SIG_IGN) for the
SIGINT and SIGQUIT signals." Ctrl-C and ``kill -INT`` never reach it then: SIGTERM is the only
clean way to stop it.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator

# SIGHUP: the terminal that started it was closed. Both are left alone when ignored (``nohup``).
_STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def stopped_like_ctrl_c() -> Iterator[None]:
    """Inside the block SIGTERM and SIGHUP raise ``KeyboardInterrupt`` in the main thread, as Ctrl-C does,
    so the command's clean-up runs whichever way it is stopped."""
    previous = {number: signal.getsignal(number) for number in _STOPPING_SIGNALS}
    for number, handler in previous.items():
        if handler is signal.SIG_DFL:
            signal.signal(number, _interrupt)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def how_to_stop() -> str:
    """The prompt's stop instruction, true for how this process was started."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started in the background: Ctrl-C cannot reach it
        return f"Stop it with: kill {os.getpid()}"
    return f"Press Ctrl-C to stop (or: kill {os.getpid()})"
