"""Where ``imgfan render``'s fixed cost goes: CPU ms of each import, and of building its dataclasses.

    .venv/bin/python benchmarks/render_startup.py [--repeat 25]

The fixed cost is ``imgfan render`` of a 64 px JPEG, the part of every process that does not
depend on the photo (``render_vs_vips.py`` prints it next to ``import pyvips``). In fresh
interpreters, median of ``--repeat``, this prints:

* each module of ``MODULES`` imported in turn: the CPU it adds to the ones before it (a module
  that an earlier one already imported shows 0), so the rows add up to the imports' total;
* the CPU of the ``@dataclass`` decorator alone during a whole render, per module that defines
  dataclasses. On Python 3.11 and 3.12 it compiles each generated method separately (a frozen
  dataclass has six), so every class costs a fraction of a millisecond at each start.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# In the order a render imports them: the standard library's share first, then Pillow's, then imgfan's.
MODULES = (
    "argparse", "typing", "dataclasses", "pathlib", "json", "hashlib", "datetime",
    "PIL.Image", "PIL.JpegImagePlugin", "PIL.WebPImagePlugin", "PIL.TiffImagePlugin",
    "imgfan.cli", "imgfan_core.engine", "imgfan_core.contract", "fastjsonschema", "imgfan_core.manifest",
    "imgfan.render_plan", "imgfan.commands.render",
)

IMPORTS_CHILD = r"""
import importlib, json, sys, time
spent = []
for name in sys.argv[1:]:
    start = time.process_time()
    importlib.import_module(name)
    spent.append(time.process_time() - start)
print(json.dumps(spent))
"""

# dataclasses._process_class is private; it has been the decorator's worker since Python 3.7.
DATACLASS_CHILD = r"""
import collections, contextlib, dataclasses, io, json, sys, time
if not hasattr(dataclasses, "_process_class"):
    raise SystemExit("dataclasses._process_class is gone: this Python builds dataclasses another way")
spent = collections.Counter()
process_class = dataclasses._process_class
def timed(cls, *args, **kwargs):
    start = time.process_time()
    try:
        return process_class(cls, *args, **kwargs)
    finally:
        spent[cls.__module__] += time.process_time() - start
dataclasses._process_class = timed
from imgfan.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
if code:
    raise SystemExit(f"imgfan render exited {code}")
print(json.dumps(spent))
"""


def run_child(code: str, args: list[str]) -> object:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    result = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise SystemExit(result.stderr.strip()[-500:])
    return json.loads(result.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=25, help="fresh interpreters; the median is kept")
    args = parser.parse_args(argv)
    imports = [run_child(IMPORTS_CHILD, list(MODULES)) for _ in range(args.repeat)]
    print(f"imports in turn, CPU ms, median of {args.repeat} processes (Python {sys.version.split()[0]}):")
    for index, name in enumerate(MODULES):
        print(f"  {statistics.median(run[index] for run in imports) * 1000:6.1f}  {name}")
    print(f"  {statistics.median(sum(run) for run in imports) * 1000:6.1f}  all of them")
    with tempfile.TemporaryDirectory() as folder:
        from PIL import Image

        tiny = Path(folder, "tiny.jpg")
        Image.new("RGB", (64, 48), (90, 120, 150)).save(tiny)
        render = ["render", str(tiny), "--presets", str(REPO / "presets.json"), "--out", str(Path(folder, "out"))]
        runs = [run_child(DATACLASS_CHILD, render) for _ in range(args.repeat)]
    modules = sorted({name for run in runs for name in run})
    rows = sorted(((statistics.median(run.get(name, 0.0) for run in runs), name) for name in modules), reverse=True)
    print("the @dataclass decorator during one imgfan render of a 64 px JPEG, CPU ms:")
    for ms, name in rows:
        print(f"  {ms * 1000:6.2f}  {name}")
    print(f"  {statistics.median(sum(run.values()) for run in runs) * 1000:6.2f}  in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
