"""benchmarks/render_startup.py still sees the dataclass decorator it times (a private of dataclasses)."""

from __future__ import annotations

import re

from tests.benchmark_scripts import load_benchmark


def test_one_run_times_every_import_and_the_contracts_dataclasses(capsys):
    script = load_benchmark("render_startup")
    assert script.main(["--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert re.findall(r"^ +\d+\.\d  (\S+)$", out, flags=re.MULTILINE) == list(script.MODULES)
    # The hook on dataclasses._process_class saw the contract's frozen records being built: were it
    # moved, the child would stop with a message, and were it silently bypassed, this would be 0.
    contract = re.search(r"^ +(\d+\.\d\d)  imgfan_core\.contract$", out, flags=re.MULTILINE)
    assert contract is not None and float(contract.group(1)) > 0
