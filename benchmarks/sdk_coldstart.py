"""What the AWS SDK in the layer costs a cold start: ``import boto3`` plus an S3 client.

    .venv/bin/python benchmarks/sdk_coldstart.py [--python PYTHON] [--repeat N]

Fresh interpreters, CPU time (the machine is shared), alternating between:

- ``installed``: the SDK from this interpreter's site-packages, byte-compiled at install, like
  the copy a Lambda runtime ships;
- ``layer``: the layer's copy (``.imgfan-cache/layer-deps``, built by any synth) with
  ``PYTHONDONTWRITEBYTECODE``, as a function meets it: the layer holds no ``.pyc`` (see
  ``imgfan/cdk/bundling.py``) and Lambda's ``/opt`` is read-only, so every cold start compiles it;
- ``layer+pyc``: the same copy byte-compiled first by this interpreter, what shipping ``.pyc``
  for the runtime's exact Python would give.

``--python`` picks another interpreter (a python3.12, Lambda's version) for the layer variants;
``installed`` is then left out unless that interpreter has boto3 itself.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import json, sys, time; t = time.process_time(); import boto3; "
    "boto3.client('s3', region_name='us-east-1'); ms = (time.process_time() - t) * 1000; "
    "import botocore; print(json.dumps({'ms': ms, 'file': botocore.__file__}))"
)


def layer_copy() -> Path:
    builds = sorted((REPO_ROOT / ".imgfan-cache" / "layer-deps").glob("*/python/botocore"))
    if not builds:
        sys.exit("no layer build found: run `imgfan synth` (or any synth test) first")
    return builds[-1].parent


def run(python: str, path: Path | None, compiled_ok: bool) -> dict:
    command = [python, "-c", PROBE] if path is None else [python, "-S", "-c", f"import sys; sys.path.insert(0, {str(path)!r}); " + PROBE]
    env = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    if not compiled_ok:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return json.loads(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        plain = Path(scratch) / "plain"
        compiled = Path(scratch) / "compiled"
        for target in (plain, compiled):
            shutil.copytree(layer_copy(), target)
        subprocess.run([args.python, "-m", "compileall", "-q", "-j", "0", str(compiled)], check=True)
        variants = {"layer": (plain, False), "layer+pyc": (compiled, True)}
        if subprocess.run([args.python, "-c", "import boto3"], capture_output=True, check=False).returncode == 0:
            variants = {"installed": (None, True), **variants}
        runs: dict[str, list[dict]] = {name: [] for name in variants}
        for _ in range(args.repeat):
            for name, (path, compiled_ok) in variants.items():
                runs[name].append(run(args.python, path, compiled_ok))
    version = subprocess.run([args.python, "-V"], capture_output=True, text=True, check=False).stdout.strip()
    for name, results in runs.items():
        times = sorted(r["ms"] for r in results)
        print(f"{version} {name:10}: best {times[0]:.0f} ms, median {statistics.median(times):.0f} ms CPU "
              f"over {len(times)} ({results[0]['file']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
