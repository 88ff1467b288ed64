"""The suite's CDK contexts synthesized one process per context and all in one process, in one run.

``tests/conftest.py`` synthesizes every context of ``tests/synth_contexts.py`` at session start
with ``imgfan.synth.synthesize_many``; this measures what that saves against the way each test
used to ask for its own (``imgfan.synth.synthesize``, one ``python -m infra.app`` each). Each
way runs in a copy of the repository's tracked files, so both start from an empty cache, and the
templates of the two are compared byte for byte.

Usage: .venv/bin/python benchmarks/synth_contexts.py
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from imgfan.synth import template_path

REPO = Path(__file__).resolve().parents[1]

ONE_BY_ONE = "from imgfan.synth import synthesize as s; from tests.synth_contexts import PREPARED as P; " \
             "print(__import__('json').dumps([str(s(c, quiet=True)) for c in P]))"
ALL_AT_ONCE = "from imgfan.synth import synthesize_many as m, synthesize as s; " \
              "from tests.synth_contexts import PREPARED as P; m(P); " \
              "print(__import__('json').dumps([str(s(c, quiet=True)) for c in P]))"


def copy_of_repo(into: Path) -> Path:
    into.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "HEAD"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def timed(code: str, root: Path) -> tuple[float, float, list[Path]]:
    """(wall s, CPU s of the process and its children, the assemblies it printed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=f"{root / 'src'}:{root}")
    result = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                            check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"synthesis failed:\n{result.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, [Path(p) for p in json.loads(result.stdout.splitlines()[-1])]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="imgfan-synth-bench-") as work:
        results = {}
        for name, code in (("one process per context", ONE_BY_ONE), ("one process for all", ALL_AT_ONCE)):
            root = copy_of_repo(Path(work) / name.replace(" ", "-"))
            print(f"{name} ...", file=sys.stderr, flush=True)
            results[name] = timed(code, root)
        (base_wall, base_cpu, base), (wall, cpu, many) = results.values()
        same = [template_path(a).read_bytes() == template_path(b).read_bytes() for a, b in zip(base, many, strict=True)]
        print(f"{len(base)} contexts, {os.cpu_count()} cores")
        print(f"{'':26}{'wall s':>8}{'CPU s':>8}")
        for name, (w, c, _) in results.items():
            print(f"{name:26}{w:8.1f}{c:8.1f}")
        print(f"ratio (per context / all at once): wall {base_wall / wall:.1f}x, CPU {base_cpu / cpu:.1f}x")
        print(f"templates byte-identical: {sum(same)} of {len(same)}")
        return 0 if all(same) else 1


if __name__ == "__main__":
    sys.exit(main())
