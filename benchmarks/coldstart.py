"""The resizer's cold start: CPU time of ``import handler`` in fresh interpreters.

    .venv/bin/python benchmarks/coldstart.py [TREE ...]     # default: this checkout

Each TREE is a checkout of imgfan (an older commit from ``git worktree add``, say); its
``functions/resizer`` is imported with ``PYTHONPATH=TREE/src``, trees alternating so that a busy
machine slows each alike. CPU time rather than wall time, for the same reason. Best and median of
``--repeat`` runs per tree, and the modules the import loads.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

PROBE = (
    "import json, sys, time; before = set(sys.modules); t = time.process_time(); import handler; "
    "ms = (time.process_time() - t) * 1000; "
    "print(json.dumps({'ms': ms, 'modules': len(set(sys.modules) - before), 'pydantic': 'pydantic' in sys.modules}))"
)


def measure(tree: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "AWS_DEFAULT_REGION": "us-east-1",
           "POWERTOOLS_TRACE_DISABLED": "true"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=tree / "functions" / "resizer", env=env,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path, default=[Path(__file__).resolve().parents[1]])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    runs: dict[Path, list[dict]] = {tree: [] for tree in args.trees}
    for _ in range(args.repeat):
        for tree in args.trees:
            runs[tree].append(measure(tree))
    for tree, results in runs.items():
        times = sorted(r["ms"] for r in results)
        print(f"{tree}: best {times[0]:.0f} ms, median {statistics.median(times):.0f} ms CPU over {len(times)}; "
              f"{results[0]['modules']} modules, pydantic {'loaded' if results[0]['pydantic'] else 'not loaded'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
