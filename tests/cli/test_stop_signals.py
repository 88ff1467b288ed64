"""`imgfan local up` and `imgfan demo --keep-running` stop cleanly however they are stopped
(src/imgfan/commands/stop_signals.py): each case is a real process sent a real signal."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest
from local_up import with_sigint

# Stands for a command that runs until stopped: its clean-up is the `except KeyboardInterrupt` line.
# It waits as the commands do, a second at a time at most. CPython runs a Python signal handler
# between bytecodes: a signal that lands after the last check and before a sleep has started waits
# until that sleep ends. A single 60 s sleep once made a loaded suite run miss the 30 s limit below.
PROGRAM = textwrap.dedent("""
    import signal, sys, time
    from imgfan.commands.stop_signals import how_to_stop, stopped_like_ctrl_c
    with stopped_like_ctrl_c():
        try:
            print(how_to_stop(), flush=True)
            for _ in range(120):
                time.sleep(0.5)
        except KeyboardInterrupt as stop:
            print("cleaned up after", stop.args[0] if stop.args else "SIGINT", flush=True)
    print("SIGTERM afterwards:", signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, flush=True)
""")


def run_until(stop_with: signal.Signals, sigint: signal.Handlers = signal.SIG_DFL) -> tuple[int, list[str], int]:
    """(exit status, printed lines, pid) of PROGRAM started with that SIGINT disposition, sent ``stop_with``."""
    process = subprocess.Popen(with_sigint(sigint, [sys.executable, "-c", PROGRAM]), stdout=subprocess.PIPE, text=True)
    prompt = process.stdout.readline()
    process.send_signal(stop_with)
    rest = process.communicate(timeout=30)[0]
    return process.returncode, [prompt.rstrip("\n"), *rest.splitlines()], process.pid


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_ctrl_c_kill_and_a_closed_terminal_all_run_the_clean_up(stop_with):
    code, lines, pid = run_until(stop_with)
    assert code == 0, lines
    assert lines == [f"Press Ctrl-C to stop (or: kill {pid})", f"cleaned up after {stop_with.name}",
                     "SIGTERM afterwards: True"]


def test_started_in_the_background_it_says_to_use_kill_and_kill_stops_it():
    code, lines, pid = run_until(signal.SIGTERM, sigint=signal.SIG_IGN)
    assert (code, lines[:2]) == (0, [f"Stop it with: kill {pid}", "cleaned up after SIGTERM"])


def test_a_hangup_ignored_by_nohup_stays_ignored():
    # nohup's promise: the command outlives its terminal. The SIGHUP is ignored, SIGTERM still stops it.
    process = subprocess.Popen(["nohup", sys.executable, "-c", PROGRAM], stdout=subprocess.PIPE, text=True)
    process.stdout.readline()
    process.send_signal(signal.SIGHUP)
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(timeout=2)
    process.send_signal(signal.SIGTERM)
    assert process.communicate(timeout=30)[0].splitlines()[0] == "cleaned up after SIGTERM"
