#!/usr/bin/env python3
"""Does the test suite hold on a busy machine? Run it N times on a fresh clone while a second job
keeps the CPUs busy, and report each run's time and outcome.

The clone is made in a temporary folder from the repository's HEAD (so uncommitted edits are not
tested, as on CI), `make .venv/.installed` installs it once (timed apart), then a load job starts:
`imgfan render` of the bundled sample photos over and over, one process per CPU. Each run is
`make test` (the command CI runs), with the load still running.

    python3 scripts/suite_under_load.py                 # 5 runs, one render loop per CPU
    python3 scripts/suite_under_load.py --runs 2 --load 1 --keep

Exit status: 0 when every run passed, 1 when one failed (its log path is printed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(r"^=+ (.*(passed|failed|error).*) in [\d.]+s", re.MULTILINE)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="how many times to run the suite (default 5)")
    parser.add_argument("--load", type=int, default=os.cpu_count() or 2,
                        help="render loops running beside the suite (default: one per CPU)")
    parser.add_argument("--keep", action="store_true", help="keep the clone and its logs afterwards")
    return parser.parse_args(argv)


def timed(command: list[str], cwd: Path, log: Path) -> tuple[float, int]:
    started = time.monotonic()
    with log.open("w") as out:
        code = subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    return time.monotonic() - started, code


def start_load(clone: Path, loops: int, scratch: Path) -> list[subprocess.Popen]:
    """Render loops: the engine's decode/resize/encode keeps a CPU busy, as a user's job would."""
    samples = clone / "src" / "imgfan" / "samples"
    loop = (f'while true; do "{clone}/.venv/bin/imgfan" render "{samples}" --out "{scratch}/$$" '
            f'>/dev/null 2>&1; done')
    return [subprocess.Popen(["bash", "-c", loop], start_new_session=True) for _ in range(loops)]


def stop_load(loops: list[subprocess.Popen]) -> None:
    for process in loops:
        os.killpg(process.pid, 15)
        process.wait()


def summary_of(log: Path) -> str:
    found = SUMMARY.findall(log.read_text(errors="replace"))
    return found[-1][0] if found else "no pytest summary (see the log)"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="imgfan-suite-"))
    clone = workdir / "imgfan"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, check=True,
                          capture_output=True, text=True).stdout.strip()
    print(f"clone of {head} in {clone}", flush=True)
    seconds, code = timed(["make", ".venv/.installed"], clone, workdir / "install.log")
    print(f"install: {seconds:.0f} s (exit {code})", flush=True)
    if code:
        print(f"install failed: {workdir / 'install.log'}")
        return 1
    loops = start_load(clone, args.load, workdir / "renders")
    print(f"load: {args.load} render loop(s) running", flush=True)
    failed = []
    try:
        for run in range(1, args.runs + 1):
            log = workdir / f"run-{run}.log"
            seconds, code = timed(["make", "test"], clone, log)
            print(f"run {run}/{args.runs}: {seconds / 60:.1f} min, exit {code}: {summary_of(log)}", flush=True)
            if code:
                failed.append(log)
    finally:
        stop_load(loops)
    for log in failed:
        print(f"failed run's log: {log}")
    if not failed and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
