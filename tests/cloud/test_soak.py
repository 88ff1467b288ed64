"""A small soak (benchmarks/soak.py) with every fault switch on: it asserts counts, not times."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from benchmarks import soak

pytestmark = pytest.mark.cloud

# Every switch, at rates high enough that each fires in a run this small (the streams are
# seeded, so the same calls see the same faults), low enough that retries absorb them.
FAULTS = ("kill=0.05,idle-kill=0.05,latency=0.05,latency-seconds=0.2,lambda-error=0.03,throttle-lambda=0.03,"
          "s3-error=0.03,throttle-start=0.05,duplicate=0.1,seed=7")


def test_nothing_is_lost_duplicated_or_left_behind_under_faults(tmp_path):
    options = soak.Options(n=24, burst=6, faults=FAULTS, visibility=10, measure_engine=False, quiet=True,
                           state_dir=tmp_path / "soak")
    result = soak.run(options)

    assert (result.uploads, result.bad_files, result.reuploads, result.deletions) == (30, 1, 2, 1)
    assert result.lost == []
    assert result.wrong_status == []
    assert result.duplicate_executions == []
    assert result.missing_executions == []
    assert result.failed_executions == []
    assert (result.queue_left, result.dlq) == (0, 0)
    assert result.orphan_outputs == []
    assert result.leftover_outputs == []
    assert result.missing_variants == []
    assert result.denied == [], "a function made a call its own role does not allow"
    injected = result.faults["injected"]
    switches = ["kill", "idle-kill", "latency", "lambda-error", "throttle-lambda", "s3-error", "throttle-start",
                "duplicate"]
    assert {switch: injected.get(switch, 0) > 0 for switch in switches} == dict.fromkeys(switches, True)
    assert result.faults["event_source"]["batches"] > 0
